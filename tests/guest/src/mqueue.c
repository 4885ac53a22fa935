/* POSIX message queues (ipc/mqueue.c) within one process and its threads: the queue name
   space, attributes and their limits, priorities, the descriptor as a file (O_NONBLOCK per
   description, fstat, read's status line, dup, poll/select/epoll), timeouts, EINTR and
   SA_RESTART, blocked senders and receivers woken in task priority order, mq_notify with
   SIGEV_NONE and SIGEV_SIGNAL, RLIMIT_MSGQUEUE and queues_max. Enclave-only (qemu 7.2 has no
   mq_notify): the expected output is Linux's for the same source built natively. Runs as
   uid 1000 (pm_drop_root) so the unprivileged limits apply. Linux checks an absolute timeout
   (tv_nsec) before anything else, even when the call would not block (prepare_timeout). */
#include "pm.h"
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define BAD ((void *)16)

static void wait_blocked(pid_t id) { pm_wait_sleeping("/proc/self/task/%d/stat", (int)id); }

static mqd_t mk(const char *name, long maxmsg, long msgsize) {
  struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
  mq_unlink(name);
  return mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
}

static void attrs(const char *label, mqd_t q) {
  struct mq_attr a;
  memset(&a, 0x55, sizeof a);
  if (mq_getattr(q, &a)) { printf("%s: getattr %s\n", label, strerrorname_np(errno)); return; }
  printf("%s: flags=%s maxmsg=%ld msgsize=%ld curmsgs=%ld\n", label, a.mq_flags & O_NONBLOCK ? "NONBLOCK" : "0", a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

/* read()'s line with NOTIFY_PID given as self/0/other. */
static void status_line(const char *label, mqd_t q) {
  char buf[128];
  lseek(q, 0, SEEK_SET);
  ssize_t n = read(q, buf, sizeof buf - 1);
  if (n < 0) { printf("%s: read %s\n", label, strerrorname_np(errno)); return; }
  buf[n] = 0;
  unsigned long qs; int nt, sg, pid;
  if (sscanf(buf, "QSIZE:%lu NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &qs, &nt, &sg, &pid) != 4) { printf("%s: unparsed\n", label); return; }
  printf("%s: len=%zd qsize=%lu notify=%d signo=%d pid=%s\n", label, n, qs, nt, sg, pid == 0 ? "0" : pid == getpid() ? "self" : "other");
}

static volatile int got_sig, got_code, got_val, got_pid_ok, got_uid_ok;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = sig; got_code = si->si_code; got_val = si->si_value.sival_int;
  got_pid_ok = si->si_pid == getpid(); got_uid_ok = si->si_uid == getuid();
}
static void on_usr2(int sig) { (void)sig; }

struct rcv_arg { mqd_t q; int nice; const char *name; volatile pid_t tid; char out[64]; int ret; unsigned prio; };
static void *receiver(void *p) {
  struct rcv_arg *a = p;
  if (a->nice) setpriority(PRIO_PROCESS, 0, a->nice);
  a->tid = (pid_t)syscall(SYS_gettid);
  char buf[8192];
  errno = 0;
  ssize_t n = mq_receive(a->q, buf, sizeof buf, &a->prio);
  a->ret = n < 0 ? -errno : (int)n;
  if (n >= 0) { buf[n] = 0; snprintf(a->out, sizeof a->out, "%.63s", buf); }
  return NULL;
}
struct snd_arg { mqd_t q; int nice; const char *msg; unsigned prio; volatile pid_t tid; int ret; };
static void *sender(void *p) {
  struct snd_arg *a = p;
  if (a->nice) setpriority(PRIO_PROCESS, 0, a->nice);
  a->tid = (pid_t)syscall(SYS_gettid);
  a->ret = mq_send(a->q, a->msg, strlen(a->msg), a->prio) ? -errno : 0;
  return NULL;
}

static void recv_all(const char *label, mqd_t q) {
  char buf[8192]; unsigned prio;
  printf("%s:", label);
  for (;;) {
    struct timespec ts = { 0, 0 };
    ssize_t n = mq_timedreceive(q, buf, sizeof buf, &prio, &ts);
    if (n < 0) { printf(" (%s)\n", strerrorname_np(errno)); return; }
    buf[n] = 0;
    printf(" %s/%u", buf, prio);
  }
}

/* ipc/mq_sysctl.c's files: the defaults and limits that apply. */
static void sysctls(void) {
  const char *files[] = { "msg_default", "msg_max", "msgsize_default", "msgsize_max", "queues_max" };
  for (int i = 0; i < 5; i++) {
    char path[64], buf[32];
    snprintf(path, sizeof path, "/proc/sys/fs/mqueue/%s", files[i]);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0) close(fd);
    buf[n > 0 ? n : 0] = 0;
    printf("%s: %s", files[i], n > 0 ? buf : "unreadable\n");
  }
}

static void names(void) {
  char longname[300];
  ERR("open no slash", mq_open("teeos_mq", O_RDONLY));
  ERR("open /", mq_open("/", O_CREAT | O_RDWR, 0600, NULL));
  ERR("open /a/b", mq_open("/teeos_mq/b", O_CREAT | O_RDWR, 0600, NULL));
  ERR("open /.", mq_open("/.", O_CREAT | O_RDWR, 0600, NULL));
  ERR("open /..", mq_open("/..", O_RDWR));
  longname[0] = '/';
  memset(longname + 1, 'q', 256);
  longname[257] = 0;
  ERR("open 256 chars", mq_open(longname, O_CREAT | O_RDWR, 0600, NULL));
  ERR("unlink 256 chars", mq_unlink(longname));
  longname[256] = 0;
  mqd_t q = mq_open(longname, O_CREAT | O_RDWR, 0600, NULL);
  printf("open 255 chars: %s\n", q < 0 ? strerrorname_np(errno) : "ok");
  ERR("unlink 255 chars", mq_unlink(longname));
  close(q);
  ERR("open missing", mq_open("/teeos_mq_missing", O_RDWR));
  ERR("unlink missing", mq_unlink("/teeos_mq_missing"));
  ERR("unlink /", mq_unlink("/"));
  errno = 0;
  printf("raw open bad name: %s\n", syscall(SYS_mq_open, BAD, O_RDONLY, 0, NULL) < 0 ? strerrorname_np(errno) : "ok");
  printf("raw unlink bad name: %s\n", syscall(SYS_mq_unlink, BAD) < 0 ? strerrorname_np(errno) : "ok");
  printf("raw open bad attr: %s\n", syscall(SYS_mq_open, "teeos_mq_attr", O_CREAT | O_RDWR, 0600, BAD) < 0 ? strerrorname_np(errno) : "ok");
}

static void create_and_attrs(void) {
  mq_unlink("/teeos_mq_a");
  umask(022);
  mqd_t q = mq_open("/teeos_mq_a", O_CREAT | O_RDWR, 0666, NULL);
  printf("create default: %s\n", q < 0 ? strerrorname_np(errno) : "ok");
  attrs("default attrs", q);
  struct stat st;
  fstat(q, &st);
  printf("fstat: reg=%d mode=%o size=%lld nlink=%d uid=%d\n", S_ISREG(st.st_mode), (unsigned)(st.st_mode & 07777), (long long)st.st_size, (int)st.st_nlink, st.st_uid == getuid());
  printf("cloexec: %d\n", fcntl(q, F_GETFD) == FD_CLOEXEC);
  printf("getfl: %s\n", (fcntl(q, F_GETFL) & O_ACCMODE) == O_RDWR ? "O_RDWR" : "other");
  ERR("excl again", mq_open("/teeos_mq_a", O_CREAT | O_EXCL | O_RDWR, 0600, NULL));
  ERR("accmode 3", mq_open("/teeos_mq_a", O_RDWR | O_WRONLY));
  mqd_t r = mq_open("/teeos_mq_a", O_RDONLY);
  printf("reopen rdonly: %s\n", r < 0 ? strerrorname_np(errno) : "ok");
  ERR("send on rdonly", mq_send(r, "x", 1, 0));
  mqd_t w = mq_open("/teeos_mq_a", O_WRONLY | O_CREAT, 0600, NULL);
  char buf[8192];
  ERR("receive on wronly", mq_receive(w, buf, sizeof buf, NULL));
  ERR("write on rdwr", write(q, "x", 1));
  close(r); close(w);

  struct mq_attr a = { .mq_maxmsg = 11, .mq_msgsize = 8 };
  mq_unlink("/teeos_mq_b");
  ERR("maxmsg 11", mq_open("/teeos_mq_b", O_CREAT | O_RDWR, 0600, &a));
  a.mq_maxmsg = 10; a.mq_msgsize = 8193;
  ERR("msgsize 8193", mq_open("/teeos_mq_b", O_CREAT | O_RDWR, 0600, &a));
  a.mq_maxmsg = 0; a.mq_msgsize = 8;
  ERR("maxmsg 0", mq_open("/teeos_mq_b", O_CREAT | O_RDWR, 0600, &a));
  a.mq_maxmsg = 1; a.mq_msgsize = -1;
  ERR("msgsize -1", mq_open("/teeos_mq_b", O_CREAT | O_RDWR, 0600, &a));
  a.mq_maxmsg = 10; a.mq_msgsize = 8192;
  mqd_t b = mq_open("/teeos_mq_b", O_CREAT | O_RDWR, 0600, &a);
  printf("maxmsg 10 msgsize 8192: %s\n", b < 0 ? strerrorname_np(errno) : "ok");
  /* An existing queue keeps its attributes; attr is not looked at. */
  a.mq_maxmsg = 3; a.mq_msgsize = 5;
  mqd_t b2 = mq_open("/teeos_mq_b", O_CREAT | O_RDWR, 0600, &a);
  attrs("existing keeps attrs", b2);
  close(b); close(b2);
  mq_unlink("/teeos_mq_b");

  /* Permission by mode: write-only for the owner. */
  mq_unlink("/teeos_mq_p");
  mqd_t p = mq_open("/teeos_mq_p", O_CREAT | O_WRONLY, 0200, NULL);
  printf("create 0200: %s\n", p < 0 ? strerrorname_np(errno) : "ok");
  ERR("open rdonly of 0200", mq_open("/teeos_mq_p", O_RDONLY));
  ERR("open rdwr of 0200", mq_open("/teeos_mq_p", O_RDWR));
  mqd_t p2 = mq_open("/teeos_mq_p", O_WRONLY);
  printf("open wronly of 0200: %s\n", p2 < 0 ? strerrorname_np(errno) : "ok");
  close(p); close(p2);
  mq_unlink("/teeos_mq_p");

  /* O_NONBLOCK belongs to the description: dup shares it, another mq_open does not. */
  mqd_t d = dup(q);
  mqd_t o = mq_open("/teeos_mq_a", O_RDWR);
  struct mq_attr nb = { .mq_flags = O_NONBLOCK }, old;
  SHOW("setattr nonblock", mq_setattr(q, &nb, &old));
  printf("old flags: %ld maxmsg=%ld\n", old.mq_flags, old.mq_maxmsg);
  attrs("dup", d);
  attrs("other open", o);
  printf("getfl nonblock: %d\n", (fcntl(d, F_GETFL) & O_NONBLOCK) != 0);
  nb.mq_flags = O_NONBLOCK | O_APPEND;
  ERR("setattr other flag", mq_setattr(q, &nb, NULL));
  nb.mq_flags = 0; nb.mq_maxmsg = 2; nb.mq_msgsize = 2;
  SHOW("setattr clear (maxmsg ignored)", mq_setattr(d, &nb, NULL));
  attrs("after clear", q);
  fcntl(o, F_SETFL, O_NONBLOCK);
  attrs("fcntl nonblock", o);
  int pfd[2];
  pipe(pfd);
  ERR("getattr on pipe", mq_getattr(pfd[0], &old));
  ERR("send on pipe", mq_send(pfd[1], "x", 1, 0));
  ERR("getattr closed fd", mq_getattr(999, &old));
  ERR("getattr bad ptr", syscall(SYS_mq_getsetattr, q, NULL, BAD));
  ERR("setattr bad ptr", syscall(SYS_mq_getsetattr, q, BAD, NULL));
  close(pfd[0]); close(pfd[1]);
  close(d); close(o); close(q);
  mq_unlink("/teeos_mq_a");
}

static void messages(void) {
  mqd_t q = mk("/teeos_mq_m", 8, 16);
  char buf[64];
  SHOW("send a/1", mq_send(q, "a", 1, 1));
  SHOW("send b/5", mq_send(q, "b", 1, 5));
  SHOW("send c/1", mq_send(q, "c", 1, 1));
  SHOW("send d/5", mq_send(q, "d", 1, 5));
  SHOW("send e/0", mq_send(q, "e", 1, 0));
  SHOW("send empty/32767", mq_send(q, "", 0, 32767));
  ERR("send prio 32768", mq_send(q, "f", 1, 32768));
  ERR("send 17 bytes", mq_send(q, "0123456789abcdefg", 17, 0));
  SHOW("send 16 bytes/2", mq_send(q, "0123456789abcdef", 16, 2));
  attrs("seven queued", q);
  status_line("status", q);
  ERR("receive buffer 15", mq_receive(q, buf, 15, NULL));
  recv_all("order", q);
  status_line("status empty", q);
  /* Partial reads of the line follow the file position. */
  lseek(q, 0, SEEK_SET);
  char part[8] = { 0 };
  ssize_t n1 = read(q, part, 6);
  printf("read 6: %zd %.6s\n", n1, part);
  printf("lseek end: %ld\n", (long)lseek(q, 0, SEEK_END));
  printf("read at 80: %zd\n", read(q, buf, sizeof buf));
  /* Faults: the message is lost when the receive buffer is bad. */
  ERR("send bad buffer", mq_send(q, BAD, 4, 0));
  attrs("after bad send", q);
  mq_send(q, "lost", 4, 0);
  ERR("receive bad buffer", mq_receive(q, BAD, 16, NULL));
  attrs("after bad receive", q);
  mq_send(q, "kept", 4, 0);
  ERR("receive bad prio ptr", mq_receive(q, buf, 16, BAD));
  attrs("after bad prio ptr", q);
  ERR("timed bad timeout ptr", mq_timedreceive(q, buf, 16, NULL, BAD));
  /* Non-blocking: empty and full. */
  struct mq_attr nb = { .mq_flags = O_NONBLOCK };
  mq_setattr(q, &nb, NULL);
  ERR("nonblock receive empty", mq_receive(q, buf, 16, NULL));
  for (int i = 0; i < 8; i++) mq_send(q, "x", 1, 0);
  ERR("nonblock send full", mq_send(q, "y", 1, 0));
  nb.mq_flags = 0;
  mq_setattr(q, &nb, NULL);
  /* Timeouts: absolute CLOCK_REALTIME. */
  struct timespec now, ts;
  clock_gettime(CLOCK_REALTIME, &now);
  ts = now; ts.tv_nsec += 50000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  ERR("timedsend full 50ms", mq_timedsend(q, "y", 1, 0, &ts));
  struct timespec after;
  clock_gettime(CLOCK_REALTIME, &after);
  printf("waited until the timeout: %d\n", after.tv_sec > ts.tv_sec || (after.tv_sec == ts.tv_sec && after.tv_nsec >= ts.tv_nsec));
  ts.tv_sec = 0; ts.tv_nsec = 0;
  ERR("timedsend full past", mq_timedsend(q, "y", 1, 0, &ts));
  ts.tv_nsec = 1000000000;
  ERR("timedsend nsec 1e9", mq_timedsend(q, "y", 1, 0, &ts));
  ERR("timedreceive nsec 1e9 with messages", mq_timedreceive(q, buf, 16, NULL, &ts));
  ts.tv_nsec = -1;
  ERR("timedreceive nsec -1", mq_timedreceive(q, buf, 16, NULL, &ts));
  ts.tv_sec = -1; ts.tv_nsec = 0;
  ERR("timedreceive sec -1", mq_timedreceive(q, buf, 16, NULL, &ts));
  recv_all("drain", q);
  ts.tv_sec = 0; ts.tv_nsec = 0;
  ERR("timedreceive empty past", mq_timedreceive(q, buf, 16, NULL, &ts));
  close(q);
  mq_unlink("/teeos_mq_m");
}

static void readiness(void) {
  mqd_t q = mk("/teeos_mq_r", 2, 8);
  struct pollfd p = { .fd = q, .events = POLLIN | POLLOUT };
  poll(&p, 1, 0);
  printf("poll empty: in=%d out=%d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
  mq_send(q, "1", 1, 0);
  poll(&p, 1, 0);
  printf("poll one: in=%d out=%d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
  mq_send(q, "2", 1, 0);
  poll(&p, 1, 0);
  printf("poll full: in=%d out=%d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
  fd_set rs, ws;
  FD_ZERO(&rs); FD_ZERO(&ws); FD_SET(q, &rs); FD_SET(q, &ws);
  struct timeval tv = { 0, 0 };
  int n = select(q + 1, &rs, &ws, NULL, &tv);
  printf("select full: %d r=%d w=%d\n", n, FD_ISSET(q, &rs), FD_ISSET(q, &ws));
  recv_all("drain", q);
  /* epoll: a thread's send wakes the wait. */
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, out;
  epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev);
  printf("epoll empty: %d\n", epoll_wait(ep, &out, 1, 0));
  struct snd_arg sa = { .q = q, .msg = "e", .prio = 3 };
  pthread_t th;
  pthread_create(&th, NULL, sender, &sa);
  n = epoll_wait(ep, &out, 1, 10000);
  printf("epoll after send: %d events=%s data=%u\n", n, out.events & EPOLLIN ? "EPOLLIN" : "?", out.data.u32);
  pthread_join(th, NULL);
  recv_all("drain", q);
  close(ep);
  close(q);
  mq_unlink("/teeos_mq_r");
}

static void waiters(void) {
  mqd_t q = mk("/teeos_mq_w", 1, 64);
  /* Receivers: nice 10 blocks first, nice 0 second; the higher priority gets the first message. */
  struct rcv_arg r1 = { .q = q, .nice = 10 }, r2 = { .q = q, .nice = 0 };
  pthread_t t1, t2, t3, t4;
  pthread_create(&t1, NULL, receiver, &r1);
  while (!r1.tid) sched_yield();
  wait_blocked(r1.tid);
  pthread_create(&t2, NULL, receiver, &r2);
  while (!r2.tid) sched_yield();
  wait_blocked(r2.tid);
  /* A receiver waiting: the message goes to it, no notification fires and the registration stays. */
  struct sigevent sev = { .sigev_notify = SIGEV_NONE };
  mq_notify(q, &sev);
  mq_send(q, "first", 5, 1);
  pthread_join(t2, NULL);
  printf("nice 0 receiver: %d %s/%u\n", r2.ret, r2.out, r2.prio);
  status_line("registration kept", q);
  mq_notify(q, NULL);
  mq_send(q, "second", 6, 2);
  pthread_join(t1, NULL);
  printf("nice 10 receiver: %d %s/%u\n", r1.ret, r1.out, r1.prio);
  /* Same priority: first come first served. */
  struct rcv_arg r3 = { .q = q }, r4 = { .q = q };
  pthread_create(&t3, NULL, receiver, &r3);
  while (!r3.tid) sched_yield();
  wait_blocked(r3.tid);
  pthread_create(&t4, NULL, receiver, &r4);
  while (!r4.tid) sched_yield();
  wait_blocked(r4.tid);
  mq_send(q, "A", 1, 0);
  mq_send(q, "B", 1, 0);
  pthread_join(t3, NULL); pthread_join(t4, NULL);
  printf("fifo receivers: %s %s\n", r3.out, r4.out);
  /* Senders on a full queue: the higher priority task's message moves in first. */
  mq_send(q, "full", 4, 0);
  struct snd_arg s1 = { .q = q, .nice = 10, .msg = "low", .prio = 9 }, s2 = { .q = q, .msg = "high", .prio = 1 };
  pthread_create(&t1, NULL, sender, &s1);
  while (!s1.tid) sched_yield();
  wait_blocked(s1.tid);
  pthread_create(&t2, NULL, sender, &s2);
  while (!s2.tid) sched_yield();
  wait_blocked(s2.tid);
  char buf[64]; unsigned prio;
  ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
  buf[n] = 0;
  printf("receive: %s/%u\n", buf, prio);
  pthread_join(t2, NULL);
  n = mq_receive(q, buf, sizeof buf, &prio);
  buf[n] = 0;
  printf("moved in: %s/%u (sender %d)\n", buf, prio, s2.ret);
  pthread_join(t1, NULL);
  n = mq_receive(q, buf, sizeof buf, &prio);
  buf[n] = 0;
  printf("moved in: %s/%u (sender %d)\n", buf, prio, s1.ret);
  close(q);
  mq_unlink("/teeos_mq_w");
}

static void interrupts(void) {
  mqd_t q = mk("/teeos_mq_i", 1, 8);
  struct sigaction sa = { .sa_handler = on_usr2 };
  sigaction(SIGUSR2, &sa, NULL);
  struct rcv_arg r = { .q = q };
  pthread_t th;
  pthread_create(&th, NULL, receiver, &r);
  while (!r.tid) sched_yield();
  wait_blocked(r.tid);
  pthread_kill(th, SIGUSR2);
  pthread_join(th, NULL);
  printf("receive interrupted: %s\n", r.ret < 0 ? strerrorname_np(-r.ret) : "ok");
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
  struct rcv_arg r2 = { .q = q };
  pthread_create(&th, NULL, receiver, &r2);
  while (!r2.tid) sched_yield();
  wait_blocked(r2.tid);
  pthread_kill(th, SIGUSR2);
  /* Restarted: it sleeps again and takes the next message. */
  wait_blocked(r2.tid);
  mq_send(q, "after", 5, 4);
  pthread_join(th, NULL);
  printf("receive restarted: %d %s/%u\n", r2.ret, r2.out, r2.prio);
  mq_send(q, "full", 4, 0);
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  struct snd_arg s = { .q = q, .msg = "x" };
  pthread_create(&th, NULL, sender, &s);
  while (!s.tid) sched_yield();
  wait_blocked(s.tid);
  pthread_kill(th, SIGUSR2);
  pthread_join(th, NULL);
  printf("send interrupted: %s\n", s.ret < 0 ? strerrorname_np(-s.ret) : "ok");
  attrs("after", q);
  close(q);
  mq_unlink("/teeos_mq_i");
}

static void notify(void) {
  mqd_t q = mk("/teeos_mq_n", 4, 8);
  struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 4242 };
  SHOW("notify signal", mq_notify(q, &sev));
  status_line("registered", q);
  ERR("notify again", mq_notify(q, &sev));
  mq_send(q, "1", 1, 0);
  printf("signal: sig=%d code=%s value=%d pid=%d uid=%d\n", got_sig, got_code == SI_MESGQ ? "SI_MESGQ" : "?", got_val, got_pid_ok, got_uid_ok);
  status_line("after firing", q);
  /* Registered again on a non-empty queue: a further message does not fire it. */
  got_sig = 0;
  SHOW("notify on non-empty", mq_notify(q, &sev));
  mq_send(q, "2", 1, 0);
  printf("no signal for a non-empty queue: %d\n", got_sig);
  recv_all("drain", q);
  mq_send(q, "3", 1, 0);
  printf("fired once empty: %d\n", got_sig);
  recv_all("drain", q);
  /* Removal with NULL; then nothing fires. */
  got_sig = 0;
  mq_notify(q, &sev);
  SHOW("notify NULL", mq_notify(q, NULL));
  status_line("removed", q);
  SHOW("notify NULL again", mq_notify(q, NULL));
  mq_send(q, "4", 1, 0);
  printf("no signal after removal: %d\n", got_sig);
  recv_all("drain", q);
  /* SIGEV_NONE: registered, then removed when a message arrives. */
  sev.sigev_notify = SIGEV_NONE;
  SHOW("notify none", mq_notify(q, &sev));
  status_line("none registered", q);
  mq_send(q, "5", 1, 0);
  status_line("none after message", q);
  recv_all("drain", q);
  /* signo 0 is accepted and sends nothing. */
  sev.sigev_notify = SIGEV_SIGNAL; sev.sigev_signo = 0;
  SHOW("notify signo 0", mq_notify(q, &sev));
  status_line("signo 0", q);
  mq_send(q, "6", 1, 0);
  status_line("signo 0 after message", q);
  recv_all("drain", q);
  /* Closing any descriptor of the queue removes the caller's registration (mqueue_flush_file). */
  sev.sigev_signo = SIGUSR1;
  mq_notify(q, &sev);
  mqd_t q2 = mq_open("/teeos_mq_n", O_RDONLY);
  close(q2);
  status_line("after closing another descriptor", q);
  sev.sigev_signo = 65;
  ERR("notify signo 65", mq_notify(q, &sev));
  sev.sigev_notify = 99;
  ERR("notify kind 99", mq_notify(q, &sev));
  ERR("notify bad pointer", syscall(SYS_mq_notify, q, BAD));
  ERR("notify closed fd", mq_notify(999, NULL));
  int pfd[2];
  pipe(pfd);
  ERR("notify on a pipe", mq_notify(pfd[0], NULL));
  /* SIGEV_THREAD at the system call: sigev_signo names the netlink socket, the cookie is 32 bytes. */
  char cookie[32] = { 0 };
  struct sigevent th = { .sigev_notify = SIGEV_THREAD, .sigev_value.sival_ptr = cookie, .sigev_signo = pfd[0] };
  errno = 0;
  printf("raw thread on a pipe: %s\n", syscall(SYS_mq_notify, q, &th) < 0 ? strerrorname_np(errno) : "ok");
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  th.sigev_signo = sv[0];
  printf("raw thread on a unix socket: %s\n", syscall(SYS_mq_notify, q, &th) < 0 ? strerrorname_np(errno) : "ok");
  th.sigev_signo = 999;
  printf("raw thread on a closed fd: %s\n", syscall(SYS_mq_notify, q, &th) < 0 ? strerrorname_np(errno) : "ok");
  th.sigev_value.sival_ptr = BAD;
  printf("raw thread bad cookie: %s\n", syscall(SYS_mq_notify, q, &th) < 0 ? strerrorname_np(errno) : "ok");
  close(sv[0]); close(sv[1]); close(pfd[0]); close(pfd[1]);
  close(q);
  mq_unlink("/teeos_mq_n");
}

static void lifetime_and_limits(void) {
  mqd_t q = mk("/teeos_mq_u", 2, 8);
  mq_send(q, "kept", 4, 0);
  SHOW("unlink while open", mq_unlink("/teeos_mq_u"));
  ERR("open after unlink", mq_open("/teeos_mq_u", O_RDWR));
  char buf[8];
  ssize_t n = mq_receive(q, buf, sizeof buf, NULL);
  printf("still usable: %zd\n", n);
  mqd_t q2 = mq_open("/teeos_mq_u", O_CREAT | O_RDWR, 0600, NULL);
  attrs("new queue of the name", q2);
  close(q2);
  mq_unlink("/teeos_mq_u");

  /* queues_max (256) for an unprivileged user. */
  static mqd_t many[256];
  int made = 0, err = 0;
  char name[32];
  struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 1 };
  for (int i = 0; i < 256; i++) {
    snprintf(name, sizeof name, "/teeos_mq_many%d", i);
    mq_unlink(name);
    many[i] = mq_open(name, O_CREAT | O_RDWR, 0600, &a);
    if (many[i] < 0) { err = errno; break; }
    made++;
  }
  /* q (unlinked, still open) counts as one of them. */
  printf("queues made: %d (%s)\n", made, err ? strerrorname_np(err) : "no error");
  for (int i = 0; i < made; i++) {
    snprintf(name, sizeof name, "/teeos_mq_many%d", i);
    mq_unlink(name);
    close(many[i]);
  }
  close(q);

  /* RLIMIT_MSGQUEUE: 2*300 bytes plus 2*(48+48) of bookkeeping is 792, twice is over 1000. */
  struct rlimit rl = { 1000, 1000 };
  SHOW("setrlimit MSGQUEUE", setrlimit(RLIMIT_MSGQUEUE, &rl));
  a.mq_maxmsg = 2; a.mq_msgsize = 300;
  mq_unlink("/teeos_mq_l1");
  mq_unlink("/teeos_mq_l2");
  mqd_t l1 = mq_open("/teeos_mq_l1", O_CREAT | O_RDWR, 0600, &a);
  printf("first within limit: %s\n", l1 < 0 ? strerrorname_np(errno) : "ok");
  ERR("second over limit", mq_open("/teeos_mq_l2", O_CREAT | O_RDWR, 0600, &a));
  mq_unlink("/teeos_mq_l1");
  ERR("unlinked but open still counts", mq_open("/teeos_mq_l2", O_CREAT | O_RDWR, 0600, &a));
  close(l1);
  mqd_t l2 = mq_open("/teeos_mq_l2", O_CREAT | O_RDWR, 0600, &a);
  printf("after close: %s\n", l2 < 0 ? strerrorname_np(errno) : "ok");
  close(l2);
  mq_unlink("/teeos_mq_l2");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pm_drop_root();
  sysctls();
  names();
  create_and_attrs();
  messages();
  readiness();
  waiters();
  interrupts();
  notify();
  lifetime_and_limits();
  printf("done\n");
  return 0;
}
