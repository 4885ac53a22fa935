/* epoll (level/edge triggered, EPOLLONESHOT, EPOLLEXCLUSIVE, nesting, error paths), timerfd,
 * signalfd, and the signal mask of ppoll/pselect6/epoll_pwait applied during the wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define T(e) do { errno = 0; long _r = (long)(e); if (_r < 0) printf("%s = -1 %s\n", #e, strerrorname_np(errno)); else printf("%s = %ld\n", #e, _r); fflush(stdout); } while (0)
#define OK(e) do { errno = 0; long _r = (long)(e); if (_r < 0) printf("%s = -1 %s\n", #e, strerrorname_np(errno)); else printf("%s ok\n", #e); fflush(stdout); } while (0)

static int wait_show(int ep, int timeout) {
  struct epoll_event ev[8];
  int n = epoll_wait(ep, ev, 8, timeout);
  if (n < 0) { printf("  epoll_wait: -1 %s\n", strerrorname_np(errno)); return n; }
  printf("  epoll_wait: %d", n);
  for (int i = 0; i < n; i++) printf(" [data %lu ev 0x%x]", (unsigned long)ev[i].data.u64, ev[i].events);
  printf("\n");
  return n;
}

static int wfd;
static void *late_writer(void *arg) {
  (void)arg;
  usleep(30000);
  write(wfd, "z", 1);
  return NULL;
}

static volatile int got_usr1;
static void on_usr1(int s) { (void)s; got_usr1++; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2], ep, ep2, tmp;
  T(epoll_create1(0x1234));
  T(epoll_create(0));
  OK(ep = epoll_create1(EPOLL_CLOEXEC));
  T(fcntl(ep, F_GETFD));
  T(pipe(p));
  struct epoll_event e = { .events = EPOLLIN, .data.u64 = 1 };
  T(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &e));
  T(epoll_ctl(99, EPOLL_CTL_ADD, p[0], &e));
  T(epoll_ctl(p[0], EPOLL_CTL_ADD, p[0], &e));
  T(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
  tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
  T(epoll_ctl(ep, EPOLL_CTL_ADD, tmp, &e));
  close(tmp);
  tmp = open("/tmp/epoll-regular", O_CREAT | O_RDWR, 0600);
  T(epoll_ctl(ep, EPOLL_CTL_ADD, tmp, &e));
  close(tmp);
  unlink("/tmp/epoll-regular");
  T(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
  T(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &e));
  T(epoll_ctl(ep, 99, p[0], &e));
  T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
  T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
  struct epoll_event evs[4];
  T(epoll_wait(ep, evs, 0, 0));
  volatile int negative = -1;
  T(epoll_wait(ep, evs, negative, 0));
  T(epoll_wait(p[0], evs, 4, 0));

  printf("level triggered:\n");
  wait_show(ep, 0);
  write(p[1], "ab", 2);
  wait_show(ep, 0);
  wait_show(ep, 0);
  char b[16];
  read(p[0], b, 2);
  wait_show(ep, 0);

  printf("edge triggered:\n");
  e.events = EPOLLIN | EPOLLET; e.data.u64 = 2;
  T(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
  write(p[1], "a", 1);
  wait_show(ep, 0);
  wait_show(ep, 0);
  write(p[1], "b", 1);
  wait_show(ep, 0);
  read(p[0], b, 2);

  printf("oneshot:\n");
  e.events = EPOLLIN | EPOLLONESHOT; e.data.u64 = 3;
  T(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
  write(p[1], "a", 1);
  wait_show(ep, 0);
  wait_show(ep, 0);
  T(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
  wait_show(ep, 0);
  read(p[0], b, 1);

  printf("exclusive:\n");
  e.events = EPOLLIN | EPOLLEXCLUSIVE; e.data.u64 = 4;
  T(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
  T(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
  T(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
  e.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  T(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));

  printf("several files, hangup, nesting:\n");
  int sv[2], efd = eventfd(0, 0);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  e.events = EPOLLIN; e.data.u64 = 10;
  T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
  e.events = EPOLLOUT; e.data.u64 = 11;
  T(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &e));
  e.events = EPOLLIN | EPOLLRDHUP; e.data.u64 = 12;
  T(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e));
  e.events = EPOLLIN; e.data.u64 = 13;
  T(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e));
  wait_show(ep, 0);
  uint64_t one = 1;
  write(efd, &one, 8);
  write(sv[1], "s", 1);
  wait_show(ep, 0);
  OK(ep2 = epoll_create1(0));
  e.events = EPOLLIN; e.data.u64 = 20;
  T(epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &e));
  T(epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &e));
  wait_show(ep2, 0);
  read(efd, &one, 8);
  read(sv[0], b, 1);
  shutdown(sv[1], SHUT_WR);
  wait_show(ep, 0);
  close(sv[1]);
  close(p[1]);
  T(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
  wait_show(ep, 0);
  struct pollfd pf = { .fd = ep2, .events = POLLIN };
  T(poll(&pf, 1, 0));
  printf("  revents 0x%x\n", pf.revents);
  close(p[0]); close(sv[0]); close(efd); close(ep2);
  /* A closed file leaves the set; a blocking wait is woken by another thread. */
  pipe(p);
  e.events = EPOLLIN; e.data.u64 = 30;
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
  wfd = p[1];
  pthread_t th;
  pthread_create(&th, NULL, late_writer, NULL);
  wait_show(ep, 5000);
  pthread_join(th, NULL);
  /* (epoll_pwait2 is not here: qemu-riscv64 7.2 does not implement it; tests/epoll.test.ts) */
  read(p[0], b, 1);
  close(ep);

  printf("timerfd:\n");
  T(timerfd_create(CLOCK_MONOTONIC, 0x1234));
  T(timerfd_create(99, 0));
  int tf = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  OK(tf);
  uint64_t ticks = 0;
  T(read(tf, &ticks, 8));
  struct itimerspec its = { .it_value = { 0, 30000000 } }, old;
  T(timerfd_settime(tf, 0x55, &its, NULL));
  its.it_value.tv_nsec = 2000000000;
  T(timerfd_settime(tf, 0, &its, NULL));
  its.it_value.tv_nsec = 30000000;
  T(timerfd_settime(tf, 0, &its, NULL));
  T(timerfd_gettime(tf, &old));
  printf("  armed %d interval %ld\n", old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0, (long)old.it_interval.tv_nsec);
  T(read(tf, &ticks, 4));
  struct pollfd tp = { .fd = tf, .events = POLLIN };
  T(poll(&tp, 1, 2000));
  T(read(tf, &ticks, 8));
  printf("  ticks %lu\n", (unsigned long)ticks);
  T(read(tf, &ticks, 8));
  /* Periodic: 10 ms, read after ~55 ms: at least 4 expirations. */
  its.it_value.tv_nsec = 10000000; its.it_interval.tv_nsec = 10000000;
  T(timerfd_settime(tf, 0, &its, NULL));
  usleep(55000);
  T(read(tf, &ticks, 8));
  printf("  periodic ticks >= 4: %d\n", ticks >= 4);
  memset(&its, 0, sizeof its);
  T(timerfd_settime(tf, 0, &its, &old));
  printf("  old interval %ld\n", (long)old.it_interval.tv_nsec);
  T(timerfd_gettime(tf, &old));
  printf("  disarmed %d\n", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
  /* Absolute time in the past: expires at once. A blocking read waits for the expiry. */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  its.it_value = now;
  T(timerfd_settime(tf, TFD_TIMER_ABSTIME, &its, NULL));
  T(read(tf, &ticks, 8));
  close(tf);
  tf = timerfd_create(CLOCK_REALTIME, 0);
  its.it_value.tv_sec = 0; its.it_value.tv_nsec = 20000000;
  T(timerfd_settime(tf, 0, &its, NULL));
  T(read(tf, &ticks, 8));
  printf("  blocking read ticks %lu\n", (unsigned long)ticks);
  T(timerfd_settime(0, 0, &its, NULL));
  close(tf);

  printf("signalfd:\n");
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGUSR2);
  sigprocmask(SIG_BLOCK, &m, NULL);
  T(signalfd(-1, &m, 0x1234));
  int sf = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  OK(sf);
  struct signalfd_siginfo si;
  T(read(sf, &si, sizeof si));
  T(read(sf, &si, 8));
  kill(getpid(), SIGUSR2);
  kill(getpid(), SIGUSR1);
  struct pollfd sp = { .fd = sf, .events = POLLIN };
  T(poll(&sp, 1, 0));
  T(read(sf, &si, sizeof si));
  printf("  signo %u code %d pid==getpid %d uid==getuid %d\n", si.ssi_signo, si.ssi_code, si.ssi_pid == (uint32_t)getpid(), si.ssi_uid == getuid());
  T(read(sf, &si, sizeof si));
  printf("  signo %u\n", si.ssi_signo);
  T(read(sf, &si, sizeof si));
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  T(signalfd(sf, &only2, 0) == sf);
  kill(getpid(), SIGUSR1);
  T(read(sf, &si, sizeof si));
  sigset_t pend;
  sigpending(&pend);
  printf("  SIGUSR1 still pending %d\n", sigismember(&pend, SIGUSR1));
  int sf1 = signalfd(-1, &m, 0);
  T(read(sf1, &si, sizeof si));
  printf("  blocking read signo %u\n", si.ssi_signo);
  T(signalfd(0, &m, 0));
  close(sf); close(sf1);

  printf("sigmask of ppoll/pselect/epoll_pwait:\n");
  signal(SIGUSR1, on_usr1);
  sigset_t none;
  sigemptyset(&none);
  pipe(p);
  kill(getpid(), SIGUSR1); /* pending, blocked */
  struct pollfd pp = { .fd = p[0], .events = POLLIN };
  struct timespec zero = { 0, 0 }, shortt = { 0, 10000000 };
  T(ppoll(&pp, 1, &shortt, NULL));
  printf("  handler ran %d\n", got_usr1);
  T(ppoll(&pp, 1, &zero, &none));
  printf("  handler ran %d\n", got_usr1);
  T(ppoll(&pp, 1, &shortt, &none));
  printf("  handler ran %d\n", got_usr1);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("  SIGUSR1 blocked again %d\n", sigismember(&cur, SIGUSR1));
  kill(getpid(), SIGUSR1);
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(p[0], &rs);
  T(pselect(p[0] + 1, &rs, NULL, NULL, &shortt, &none));
  printf("  handler ran %d\n", got_usr1);
  kill(getpid(), SIGUSR1);
  ep = epoll_create1(0);
  e.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
  T(epoll_pwait(ep, evs, 4, 10, &none));
  printf("  handler ran %d\n", got_usr1);
  T(epoll_pwait(ep, evs, 4, 10, NULL));
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("  SIGUSR1 blocked again %d\n", sigismember(&cur, SIGUSR1));
  /* Ready at once: the call returns the events, the signal stays pending. */
  write(p[1], "x", 1);
  kill(getpid(), SIGUSR1);
  T(ppoll(&pp, 1, &shortt, &none));
  printf("  handler ran %d\n", got_usr1);
  return 0;
}
