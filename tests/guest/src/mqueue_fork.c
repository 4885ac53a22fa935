/* POSIX message queues shared across fork: the inherited descriptor is the same description
   (O_NONBLOCK set in the child is seen by the parent), the name reaches the same queue, a
   process blocked in mq_receive/mq_send is woken by the other, a notification registered by
   the parent fires for the child's send with the child's pid, only its owner removes it (the
   child's NULL and close do not, EBUSY for the child's own), and a registration dies with the
   process that made it. Enclave-only like mqueue (qemu 7.2 has no mq_notify): the expected
   output is Linux's for the same source built natively. Processes are ordered with pipes and
   by waiting for a process's state in /proc, never by sleeping. */
#include "pm.h"
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static volatile int got_sig, got_code, got_val, got_pid;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = sig; got_code = si->si_code; got_val = si->si_value.sival_int; got_pid = si->si_pid;
}

static void wait_blocked(pid_t id) { pm_wait_sleeping("/proc/%d/stat", (int)id); }

static void attrs(const char *label, mqd_t q) {
  struct mq_attr a;
  if (mq_getattr(q, &a)) { printf("%s: getattr %s\n", label, strerrorname_np(errno)); return; }
  printf("%s: flags=%s curmsgs=%ld\n", label, a.mq_flags & O_NONBLOCK ? "NONBLOCK" : "0", a.mq_curmsgs);
}

static void status_line(const char *label, mqd_t q, pid_t self) {
  char buf[128];
  lseek(q, 0, SEEK_SET);
  ssize_t n = read(q, buf, sizeof buf - 1);
  if (n < 0) { printf("%s: read %s\n", label, strerrorname_np(errno)); return; }
  buf[n] = 0;
  unsigned long qs; int nt, sg, pid;
  sscanf(buf, "QSIZE:%lu NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &qs, &nt, &sg, &pid);
  printf("%s: qsize=%lu notify=%d signo=%d pid=%s\n", label, qs, nt, sg, pid == 0 ? "0" : pid == self ? "parent" : "other");
}

static int to_child[2], to_parent[2];
static void tell(int fd) { char c = 1; if (write(fd, &c, 1) != 1) exit(3); }
static void await(int fd) { char c; while (read(fd, &c, 1) != 1) if (errno != EINTR) exit(4); }

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pm_drop_root();
  struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART };
  sigaction(SIGUSR1, &sa, NULL);
  struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 32 };
  mq_unlink("/teeos_mqf");
  mqd_t q = mq_open("/teeos_mqf", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  printf("create: %s\n", q < 0 ? strerrorname_np(errno) : "ok");
  struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 77 };
  printf("parent notify: %d\n", mq_notify(q, &sev));
  pid_t parent = getpid();
  if (pipe(to_child) || pipe(to_parent)) return 1;
  pid_t child = fork();
  if (child == 0) {
    char buf[32]; unsigned prio;
    /* The parent's registration: the child can neither add one nor remove it. */
    ERR("child notify", mq_notify(q, &sev));
    ERR("child notify NULL", mq_notify(q, NULL));
    /* The inherited descriptor is the parent's description. */
    struct mq_attr nb = { .mq_flags = O_NONBLOCK };
    mq_setattr(q, &nb, NULL);
    tell(to_parent[1]);
    await(to_child[0]);
    /* The name is the same queue; a send to it fires the parent's notification. */
    mqd_t q2 = mq_open("/teeos_mqf", O_WRONLY);
    printf("child open by name: %s\n", q2 < 0 ? strerrorname_np(errno) : "ok");
    mq_send(q2, "from child", 10, 3);
    close(q2);
    tell(to_parent[1]);
    await(to_child[0]);
    /* Blocked on the empty queue until the parent sends. */
    ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
    buf[n > 0 ? n : 0] = 0;
    printf("child received: %zd %s/%u\n", n, buf, prio);
    tell(to_parent[1]);
    await(to_child[0]);
    /* The parent is blocked sending to the full queue: a receive lets its message in. */
    wait_blocked(parent);
    n = mq_receive(q, buf, sizeof buf, &prio);
    buf[n > 0 ? n : 0] = 0;
    printf("child took: %s/%u\n", buf, prio);
    /* Closing the child's descriptors does not touch the parent's registration. */
    close(q);
    tell(to_parent[1]);
    await(to_child[0]);
    /* A registration of the child's own goes when it exits. */
    mqd_t q3 = mq_open("/teeos_mqf", O_RDONLY);
    struct sigevent none = { .sigev_notify = SIGEV_NONE };
    printf("child registers: %d\n", mq_notify(q3, &none));
    tell(to_parent[1]);
    await(to_child[0]);
    _exit(0);
  }
  await(to_parent[0]);
  attrs("parent sees child's O_NONBLOCK", q);
  struct mq_attr bl = { .mq_flags = 0 };
  mq_setattr(q, &bl, NULL);
  status_line("still the parent's", q, parent);
  tell(to_child[1]);
  await(to_parent[0]);
  printf("signal: sig=%d code=%s value=%d from child=%d\n", got_sig, got_code == SI_MESGQ ? "SI_MESGQ" : "?", got_val, got_pid == child);
  status_line("after firing", q, parent);
  char buf[32]; unsigned prio;
  ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
  buf[n > 0 ? n : 0] = 0;
  printf("parent received: %zd %s/%u\n", n, buf, prio);
  /* Registered again; the child blocks in mq_receive; the send goes straight to it. */
  got_sig = 0;
  mq_notify(q, &sev);
  tell(to_child[1]);
  wait_blocked(child);
  mq_send(q, "to child", 8, 5);
  await(to_parent[0]);
  printf("no signal with a receiver waiting: %d\n", got_sig);
  status_line("registration kept", q, parent);
  /* Fill the queue, then block sending until the child receives. */
  mq_send(q, "first", 5, 1); /* fires the registration (empty to one message) */
  mq_notify(q, &sev);
  tell(to_child[1]);
  int r = mq_send(q, "second", 6, 2);
  await(to_parent[0]);
  printf("blocked send: %d\n", r);
  status_line("after the child's close", q, parent);
  n = mq_receive(q, buf, sizeof buf, &prio);
  buf[n > 0 ? n : 0] = 0;
  printf("parent received: %s/%u\n", buf, prio);
  mq_notify(q, NULL);
  tell(to_child[1]);
  await(to_parent[0]);
  status_line("child's registration", q, parent);
  ERR("parent notify while the child's stands", mq_notify(q, &sev));
  tell(to_child[1]);
  int st;
  waitpid(child, &st, 0);
  printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  status_line("after the child's exit", q, parent);
  SHOW("parent notify again", mq_notify(q, &sev));
  close(q);
  SHOW("unlink", mq_unlink("/teeos_mqf"));
  return 0;
}
