/* pidfds (kernel/pid.c, kernel/signal.c, kernel/exit.c): pidfd_open and its errors, close-on-exec
 * and PIDFD_NONBLOCK, poll/epoll readiness when the process ends (POLLIN) and after it is reaped
 * (POLLIN|POLLHUP), pidfd_send_signal (signal 0, a siginfo with SI_QUEUE, EINVAL/EPERM/EBADF/
 * ESRCH rules), waitid(P_PIDFD) with WNOWAIT, EAGAIN for a non-blocking pidfd, ECHILD for a
 * process that is not a child, pidfd_getfd on the caller's own descriptors. With the argument
 * "child", pidfd_getfd takes a descriptor from a child process instead (on SGX the child is
 * another enclave: its kernel exports the description). With "kinds", one of each kind a child
 * can hand over (a socket of a pair, an eventfd, a memfd, /dev/null, a pipe's read end): used
 * from the parent (shared offset, counter, bytes both ways) and compared with kcmp against the
 * child's own descriptors. The pidfd_open flag PIDFD_THREAD (Linux 6.9) is not tried (TEE OS
 * refuses it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s = -1 %s\n", what, strerrorname_np(errno));
  else printf("%s = %ld\n", what, r);
  fflush(stdout);
}
#define T(e) show(#e, (long)(e))

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) { return syscall(SYS_pidfd_send_signal, fd, sig, info, flags); }
static int pidfd_getfd(int fd, int target, unsigned flags) { return syscall(SYS_pidfd_getfd, fd, target, flags); }

static int poll1(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, 0);
  return r < 0 ? -1 : p.revents;
}

static volatile pid_t thread_tid;
static int thread_go[2];
static void *thread_fn(void *arg) {
  (void)arg;
  thread_tid = gettid();
  char c;
  if (read(thread_go[0], &c, 1) != 1) return NULL;
  return NULL;
}

/* A child that waits for a byte, then takes a queued SIGUSR1 (blocked, sigwaitinfo), prints it
 * and exits with 7. */
static pid_t spawn_waiter(int *go) {
  int p[2];
  if (pipe(p)) exit(90);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    close(p[1]);
    char ch;
    if (read(p[0], &ch, 1) != 1) _exit(91);
    siginfo_t si;
    int sig = sigwaitinfo(&s, &si);
    printf("child: signal %d code %d value %d from parent %d\n", sig, si.si_code, si.si_value.sival_int, si.si_pid == getppid());
    fflush(stdout);
    _exit(7);
  }
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  close(p[0]);
  *go = p[1];
  return c;
}

static void getfd_child(void) {
  int p[2];
  if (pipe(p)) exit(90);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    /* The child makes a pipe of its own, tells the parent its number, and waits. */
    int q[2];
    if (pipe(q)) _exit(92);
    char msg[8];
    snprintf(msg, sizeof msg, "%d", q[1]);
    if (write(p[1], msg, strlen(msg) + 1) < 0) _exit(93);
    char buf[32];
    long n = read(q[0], buf, sizeof buf);
    printf("child read %ld bytes: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
    fflush(stdout);
    _exit(0);
  }
  close(p[1]);
  char msg[8];
  if (read(p[0], msg, sizeof msg) <= 0) exit(94);
  int target = atoi(msg);
  int pfd = pidfd_open(c, 0);
  int fd = pidfd_getfd(pfd, target, 0);
  printf("got a descriptor: %d\n", fd >= 0);
  T(fcntl(fd, F_GETFD));
  T(pidfd_getfd(pfd, 999, 0));
  /* Once the bytes are written the child prints: the parent prints again only after its end. */
  long w = write(fd, "through getfd", 13);
  close(fd);
  int st;
  waitpid(c, &st, 0);
  printf("write through it: %ld\n", w);
  printf("child status %d\n", WEXITSTATUS(st));
}

static const char *same(pid_t a, pid_t b, int fa, int fb) {
  long r = syscall(SYS_kcmp, a, b, 0 /* KCMP_FILE */, fa, fb);
  return r < 0 ? strerrorname_np(errno) : r == 0 ? "same" : "different";
}

static void getfd_kinds(void) {
  int p[2];
  if (pipe(p)) exit(90);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    int s[2], q[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) || pipe(q)) _exit(92);
    int e = eventfd(0, 0);
    int m = memfd_create("kinds", 0);
    int dn = open("/dev/null", O_WRONLY);
    if (e < 0 || m < 0 || dn < 0 || write(m, "memfd", 5) != 5) _exit(93);
    char msg[64];
    snprintf(msg, sizeof msg, "%d %d %d %d %d %d", s[0], s[1], e, m, dn, q[0]);
    if (write(p[1], msg, strlen(msg) + 1) < 0) _exit(94);
    char buf[32];
    long n = read(s[1], buf, sizeof buf);
    printf("child: socket read %ld bytes: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
    uint64_t v = 0;
    printf("child: eventfd read %ld, value %llu\n", (long)read(e, &v, 8), (unsigned long long)v);
    printf("child: memfd offset %ld\n", (long)lseek(m, 0, SEEK_CUR));
    fflush(stdout);
    if (write(q[1], "pipe data", 9) != 9) _exit(95);
    _exit(0);
  }
  close(p[1]);
  char msg[64];
  if (read(p[0], msg, sizeof msg) <= 0) exit(96);
  int s0, s1, e, m, dn, q0;
  if (sscanf(msg, "%d %d %d %d %d %d", &s0, &s1, &e, &m, &dn, &q0) != 6) exit(97);
  int pfd = pidfd_open(c, 0);
  int gs = pidfd_getfd(pfd, s0, 0), ge = pidfd_getfd(pfd, e, 0), gm = pidfd_getfd(pfd, m, 0);
  int gd = pidfd_getfd(pfd, dn, 0), gq = pidfd_getfd(pfd, q0, 0);
  printf("got: socket %d eventfd %d memfd %d null %d pipe %d\n", gs >= 0, ge >= 0, gm >= 0, gd >= 0, gq >= 0);
  printf("close-on-exec: %d %d %d %d %d\n", fcntl(gs, F_GETFD), fcntl(ge, F_GETFD), fcntl(gm, F_GETFD), fcntl(gd, F_GETFD), fcntl(gq, F_GETFD));
  pid_t me = getpid();
  printf("kcmp socket: %s, its peer: %s\n", same(me, c, gs, s0), same(me, c, gs, s1));
  printf("kcmp eventfd: %s, memfd: %s, null: %s, pipe: %s\n", same(me, c, ge, e), same(me, c, gm, m), same(me, c, gd, dn), same(me, c, gq, q0));
  printf("kcmp memfd against the child's eventfd: %s\n", same(me, c, gm, e));
  int again = pidfd_getfd(pfd, m, 0);
  printf("the memfd again: %s\n", same(me, me, gm, again));
  close(again);
  printf("memfd offset %ld\n", (long)lseek(gm, 0, SEEK_CUR));
  char b[8] = {0};
  printf("memfd pread %ld: %.5s\n", (long)pread(gm, b, 5, 0), b);
  lseek(gm, 2, SEEK_SET);
  printf("null write %ld\n", (long)write(gd, "x", 1));
  uint64_t v = 5;
  /* Once the socket has its bytes the child prints: the parent prints again only after the pipe's. */
  fflush(stdout);
  long we = write(ge, &v, 8);
  long ws = write(gs, "hello", 5);
  char buf[32];
  long n = read(gq, buf, sizeof buf);
  printf("eventfd write %ld, socket write %ld\n", we, ws);
  printf("pipe read %ld bytes: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  int st;
  waitpid(c, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child")) {
    getfd_child();
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "kinds")) {
    getfd_kinds();
    return 0;
  }
  printf("-- pidfd_open\n");
  int self = pidfd_open(getpid(), 0);
  printf("self pidfd ok: %d\n", self >= 0);
  T(fcntl(self, F_GETFD));
  T(fcntl(self, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  T(pidfd_open(getpid(), 1));
  T(pidfd_open(getpid(), ~O_NONBLOCK & ~O_EXCL));
  T(pidfd_open(0, 0));
  T(pidfd_open(-1, 0));
  T(pidfd_open(4000000, 0));
  int nb = pidfd_open(getpid(), O_NONBLOCK);
  T(fcntl(nb, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  close(nb);
  char b[8];
  T(read(self, b, sizeof b));
  T(write(self, b, 1));
  T(poll1(self));
  pipe(thread_go);
  pthread_t th;
  pthread_create(&th, NULL, thread_fn, NULL);
  while (!thread_tid) sched_yield();
  T(pidfd_open(thread_tid, 0));
  write(thread_go[1], "x", 1);
  pthread_join(th, NULL);

  printf("-- pidfd_send_signal\n");
  int go;
  pid_t c = spawn_waiter(&go);
  int pfd = pidfd_open(c, 0);
  printf("child pidfd ok: %d\n", pfd >= 0);
  T(poll1(pfd));
  T(pidfd_send_signal(pfd, 0, NULL, 0));
  T(pidfd_send_signal(pfd, 0, NULL, 1));
  T(pidfd_send_signal(pfd, 0, NULL, 4));
  T(pidfd_send_signal(pfd, 0, NULL, 3));
  T(pidfd_send_signal(pfd, 0, NULL, 8));
  T(pidfd_send_signal(pfd, 65, NULL, 0));
  T(pidfd_send_signal(-1, 0, NULL, 0));
  T(pidfd_send_signal(go, 0, NULL, 0));
  T(pidfd_send_signal(pfd, SIGUSR1, (siginfo_t *)1, 0));
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  T(pidfd_send_signal(pfd, SIGUSR1, &si, 0));
  si.si_signo = SIGUSR1;
  si.si_code = SI_USER;
  T(pidfd_send_signal(pfd, SIGUSR1, &si, 0));
  si.si_code = SI_TKILL;
  T(pidfd_send_signal(pfd, SIGUSR1, &si, 0));
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = 42;
  T(pidfd_send_signal(pfd, SIGUSR1, &si, 0));
  write(go, "g", 1);

  printf("-- the child ends\n");
  struct pollfd p = {pfd, POLLIN, 0};
  T(poll(&p, 1, 10000));
  printf("revents 0x%x\n", p.revents);
  int ep = epoll_create1(0);
  struct epoll_event ee = {.events = EPOLLIN, .data.u32 = 5}, out;
  T(epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ee));
  T(epoll_wait(ep, &out, 1, 0));
  printf("epoll events 0x%x data %u\n", out.events, out.data.u32);
  T(pidfd_send_signal(pfd, 0, NULL, 0));
  memset(&si, 0, sizeof si);
  T(waitid(P_PIDFD, pfd, &si, WEXITED | WNOWAIT));
  printf("si_pid is the child: %d, code %d, status %d\n", si.si_pid == c, si.si_code, si.si_status);
  T(poll1(pfd));
  memset(&si, 0, sizeof si);
  T(waitid(P_PIDFD, pfd, &si, WEXITED));
  printf("si_pid is the child: %d, code %d, status %d\n", si.si_pid == c, si.si_code, si.si_status);
  T(poll1(pfd));
  T(epoll_wait(ep, &out, 1, 0));
  printf("epoll events 0x%x\n", out.events);
  T(pidfd_send_signal(pfd, 0, NULL, 0));
  T(pidfd_send_signal(pfd, SIGKILL, NULL, 0));
  T(waitid(P_PIDFD, pfd, &si, WEXITED));
  T(pidfd_open(c, 0));
  close(ep);
  close(pfd);
  close(go);

  printf("-- waitid(P_PIDFD) rules, PIDFD_NONBLOCK\n");
  T(waitid(P_PIDFD, -1, &si, WEXITED));
  T(waitid(P_PIDFD, 999, &si, WEXITED));
  T(waitid(P_PIDFD, 0, &si, WEXITED));
  T(waitid(P_PIDFD, self, &si, WEXITED));
  T(waitid(P_PIDFD, self, &si, 0));
  c = spawn_waiter(&go);
  int nfd = pidfd_open(c, O_NONBLOCK);
  T(waitid(P_PIDFD, nfd, &si, WEXITED));
  memset(&si, 0xff, sizeof si);
  T(waitid(P_PIDFD, nfd, &si, WEXITED | WNOHANG));
  printf("si_pid %d\n", si.si_pid);
  T(pidfd_send_signal(nfd, SIGKILL, NULL, 0));
  p.fd = nfd;
  p.revents = 0;
  T(poll(&p, 1, 10000));
  T(waitid(P_PIDFD, nfd, &si, WEXITED));
  printf("si_pid is the child: %d, code %d (CLD_KILLED %d), status %d\n", si.si_pid == c, si.si_code, CLD_KILLED, si.si_status);
  close(nfd);
  close(go);

  printf("-- pidfd_getfd on itself\n");
  int pp[2];
  pipe(pp);
  int dup = pidfd_getfd(self, pp[1], 0);
  printf("got a descriptor: %d (not the same number: %d)\n", dup >= 0, dup != pp[1]);
  T(fcntl(dup, F_GETFD));
  T(write(dup, "via", 3));
  T(read(pp[0], b, sizeof b));
  T(pidfd_getfd(self, pp[1], 1));
  T(pidfd_getfd(self, 999, 0));
  T(pidfd_getfd(self, -1, 0));
  T(pidfd_getfd(-1, pp[1], 0));
  T(pidfd_getfd(pp[0], pp[1], 0));
  close(dup);
  close(self);
  return 0;
}
