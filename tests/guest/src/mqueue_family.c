/* POSIX message queues among a parent, its child and a grandchild (on sgx, three enclaves):
   a queue made by a child outlives it while the parent holds a descriptor (messages in
   priority order, EEXIST for its name, unlink by another process, the descriptor still
   working after); a registration of the child's fires for the grandchild's send (si_pid the
   grandchild's); a receiver blocked in one process is woken by a send from another that did
   not make the queue; poll on an inherited descriptor; a timeout, and a receive interrupted by
   a signal that must not swallow the next message; a sender blocked on a full queue made by
   another process; O_NONBLOCK set with fcntl in one process seen by mq_getattr in another;
   pidfd_getfd of a queue descriptor. Enclave-only like mqueue (qemu 7.2 has no mq_notify): the
   expected output is Linux's for the same source built natively. Processes are ordered with
   pipes and by waiting for a process's state in /proc, never by sleeping. */
#include "pm.h"
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static void wait_blocked(pid_t id) { pm_wait_sleeping("/proc/%d/stat", (int)id); }

static int down[2], up[2];
static void tell(int fd) { char c = 1; if (write(fd, &c, 1) != 1) exit(3); }
static void await(int fd) { char c; while (read(fd, &c, 1) != 1) if (errno != EINTR) exit(4); }
static void tell_int(int fd, int v) { if (write(fd, &v, sizeof v) != sizeof v) exit(3); }
static int await_int(int fd) { int v; while (read(fd, &v, sizeof v) != sizeof v) if (errno != EINTR) exit(4); return v; }

static void on_alarm(int sig) { (void)sig; }

static void recv_show(const char *label, mqd_t q) {
  char buf[64]; unsigned prio;
  ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
  if (n < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  buf[n] = 0;
  printf("%s: %s/%u\n", label, buf, prio);
}

static void attrs(const char *label, mqd_t q) {
  struct mq_attr a;
  if (mq_getattr(q, &a)) { printf("%s: getattr %s\n", label, strerrorname_np(errno)); return; }
  printf("%s: flags=%s maxmsg=%ld msgsize=%ld curmsgs=%ld\n", label, a.mq_flags & O_NONBLOCK ? "NONBLOCK" : "0",
         a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

/* Part 1: the child makes a queue, sends two messages and ends; the parent goes on with it. */
static void made_by_a_child(void) {
  pid_t c = fork();
  if (c == 0) {
    struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
    mqd_t q = mq_open("/teeos_mqa", O_CREAT | O_EXCL | O_RDWR, 0640, &a);
    if (q < 0) { printf("child create: %s\n", strerrorname_np(errno)); _exit(1); }
    mq_send(q, "one", 3, 1);
    mq_send(q, "two", 3, 7);
    tell(up[1]);
    await(down[0]);
    _exit(0);
  }
  await(up[0]);
  mqd_t q = mq_open("/teeos_mqa", O_RDWR);
  printf("open the child's queue: %s\n", q < 0 ? strerrorname_np(errno) : "ok");
  struct stat st;
  if (fstat(q, &st) == 0) printf("fstat: mode=%o size=%lld\n", st.st_mode & 07777, (long long)st.st_size);
  char line[128];
  ssize_t n = read(q, line, sizeof line - 1);
  line[n > 0 ? n : 0] = 0;
  unsigned long qs = 0;
  sscanf(line, "QSIZE:%lu", &qs);
  printf("read: qsize=%lu\n", qs);
  tell(down[1]);
  int stt;
  waitpid(c, &stt, 0);
  printf("child exit: %d\n", WIFEXITED(stt) ? WEXITSTATUS(stt) : -1);
  recv_show("first after its maker ended", q);
  recv_show("second", q);
  SHOW("send", mq_send(q, "three", 5, 2));
  attrs("attrs", q);
  struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
  ERR("create it again", mq_open("/teeos_mqa", O_CREAT | O_EXCL | O_RDWR, 0600, &a));
  SHOW("unlink", mq_unlink("/teeos_mqa"));
  ERR("open after unlink", mq_open("/teeos_mqa", O_RDWR));
  recv_show("the descriptor still works", q);
  close(q);
  /* A new queue of the same name is another queue. */
  mqd_t q2 = mq_open("/teeos_mqa", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  printf("a new one: %s\n", q2 < 0 ? strerrorname_np(errno) : "ok");
  attrs("new attrs", q2);
  close(q2);
  SHOW("unlink the new one", mq_unlink("/teeos_mqa"));
}

/* Part 2: a queue made by the parent, used by its child and grandchild. */
static void child_and_grandchild(void) {
  struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 16 };
  mqd_t b = mq_open("/teeos_mqb", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  printf("parent create: %s\n", b < 0 ? strerrorname_np(errno) : "ok");
  pid_t c = fork();
  if (c == 0) {
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 5 };
    SHOW("child notify", mq_notify(b, &sev));
    int gup[2];
    if (pipe(gup)) _exit(1);
    pid_t g = fork();
    if (g == 0) {
      mqd_t q = mq_open("/teeos_mqb", O_WRONLY);
      printf("grandchild open: %s\n", q < 0 ? strerrorname_np(errno) : "ok");
      mq_send(q, "gc", 2, 2);
      /* The child is blocked receiving on the (now empty) queue: this one goes straight to it. */
      await(gup[0]);
      mq_send(q, "gc again", 8, 4);
      _exit(0);
    }
    siginfo_t si;
    struct timespec ten = { 10, 0 };
    int s = sigtimedwait(&usr1, &si, &ten);
    printf("child notified: sig=%d code=%s value=%d from grandchild=%d\n", s, si.si_code == SI_MESGQ ? "SI_MESGQ" : "?",
           si.si_value.sival_int, si.si_pid == g);
    recv_show("child received", b);
    tell(gup[1]);
    recv_show("child blocked, woken by the grandchild", b);
    int st;
    waitpid(g, &st, 0);
    printf("grandchild exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    /* poll until the parent sends. */
    tell(up[1]);
    struct pollfd p = { .fd = b, .events = POLLIN };
    int r = poll(&p, 1, 10000);
    printf("child poll: %d revents=%s\n", r, p.revents == POLLIN ? "POLLIN" : "?");
    recv_show("child received after poll", b);
    /* A timeout. */
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 50 * 1000000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    char buf[16];
    ERR("child timed receive", mq_timedreceive(b, buf, sizeof buf, NULL, &abs));
    /* Interrupted by a signal without SA_RESTART; the next message is not lost to that wait. */
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { .it_value = { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    ERR("child receive interrupted", mq_receive(b, buf, sizeof buf, NULL));
    tell(up[1]);
    recv_show("child received the next one", b);
    /* Fill the queue and block on it until the parent receives. */
    mq_send(b, "fill1", 5, 1);
    mq_send(b, "fill2", 5, 1);
    tell(up[1]);
    int sent = mq_send(b, "fill3", 5, 6);
    /* O_NONBLOCK with fcntl: the description's, seen by the parent's mq_getattr. */
    fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
    tell(up[1]);
    await(down[0]);
    printf("child's blocked send: %d\n", sent);
    _exit(0);
  }
  await(up[0]);
  wait_blocked(c);
  /* The parent's sends print nothing: the child's lines come next, and would race with them. */
  if (mq_send(b, "polled", 6, 3)) printf("parent send: %s\n", strerrorname_np(errno));
  await(up[0]);
  if (mq_send(b, "next", 4, 1)) printf("parent send: %s\n", strerrorname_np(errno));
  await(up[0]);
  wait_blocked(c);
  recv_show("parent received", b);
  recv_show("parent received", b);
  recv_show("parent received", b);
  await(up[0]);
  attrs("parent sees the child's fcntl", b);
  tell(down[1]);
  int st;
  waitpid(c, &st, 0);
  printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  close(b);
  SHOW("unlink", mq_unlink("/teeos_mqb"));
}

/* Part 3: pidfd_getfd of a queue descriptor the child made. */
static void taken_with_pidfd_getfd(void) {
  pid_t c = fork();
  if (c == 0) {
    struct mq_attr a = { .mq_maxmsg = 3, .mq_msgsize = 8 };
    mqd_t q = mq_open("/teeos_mqc", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
    mq_unlink("/teeos_mqc");
    tell_int(up[1], q);
    await(down[0]);
    recv_show("child received", q);
    _exit(0);
  }
  int n = await_int(up[0]);
  int pidfd = syscall(SYS_pidfd_open, c, 0);
  int fd = syscall(SYS_pidfd_getfd, pidfd, n, 0);
  printf("pidfd_getfd: %s cloexec=%d\n", fd < 0 ? strerrorname_np(errno) : "ok", fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  attrs("its attrs", fd);
  SHOW("send through it", mq_send(fd, "x", 1, 9));
  tell(down[1]);
  int st;
  waitpid(c, &st, 0);
  printf("child exit: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  attrs("after the child", fd);
  close(fd);
  close(pidfd);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pm_drop_root();
  /* Dropping root made the process non-dumpable; pidfd_getfd needs ptrace access to the child. */
  prctl(PR_SET_DUMPABLE, 1);
  mq_unlink("/teeos_mqa");
  mq_unlink("/teeos_mqb");
  mq_unlink("/teeos_mqc");
  if (pipe(down) || pipe(up)) return 1;
  made_by_a_child();
  child_and_grandchild();
  taken_with_pidfd_getfd();
  return 0;
}
