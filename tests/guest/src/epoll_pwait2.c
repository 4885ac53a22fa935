/* epoll_pwait2 (Linux 5.11; qemu-riscv64 7.2 lacks it, so tests/epoll.test.ts checks this
 * program's output itself): a timespec timeout, EINVAL for a bad one, the signal mask. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static volatile int got;
static void on_usr1(int s) { (void)s; got++; }

int main(void) {
  int p[2], ep = epoll_create1(0);
  pipe(p);
  struct epoll_event e = { .events = EPOLLIN, .data.u64 = 7 }, ev[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
  struct timespec ts = { 0, 20000000 }, t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int n = epoll_pwait2(ep, ev, 2, &ts, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("timeout: %d after >= 20 ms %d\n", n, ms >= 19);
  ts.tv_nsec = 2000000000;
  n = epoll_pwait2(ep, ev, 2, &ts, NULL);
  printf("bad timespec: %d %s\n", n, strerrorname_np(errno));
  write(p[1], "x", 1);
  n = epoll_pwait2(ep, ev, 2, NULL, NULL);
  printf("ready: %d data %lu events 0x%x\n", n, (unsigned long)ev[0].data.u64, ev[0].events);
  read(p[0], ev, 1);
  signal(SIGUSR1, on_usr1);
  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  sigemptyset(&none);
  kill(getpid(), SIGUSR1);
  ts.tv_nsec = 10000000;
  n = epoll_pwait2(ep, ev, 2, &ts, &none);
  printf("masked: %d %s handler %d\n", n, n < 0 ? strerrorname_np(errno) : "-", got);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("blocked again %d\n", sigismember(&cur, SIGUSR1));
  return 0;
}
