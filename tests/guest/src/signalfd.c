/* signalfd: reading blocked signals as signalfd_siginfo (signo, code, pid, uid, value from
 * sigqueue), several at once, standard signals coalescing, realtime ones queuing in order,
 * EAGAIN when none (SFD_NONBLOCK), reads too small (EINVAL), changing the mask through the
 * same fd, poll readiness, flags and mask errors (EINVAL, EBADF), and that SIGKILL/SIGSTOP
 * in the mask are ignored. */
#include "fsutil.h"
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

static void rd(int fd) {
  struct signalfd_siginfo si[4];
  ssize_t n = read(fd, si, sizeof si);
  if (n < 0) { printf("read = -1 %s\n", strerrorname_np(errno)); return; }
  printf("read = %zd (%zd records)\n", n, n / (ssize_t)sizeof si[0]);
  for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
    printf("  signo=%u code=%d pid_self=%d uid_me=%d int=%d\n", si[i].ssi_signo, si[i].ssi_code, si[i].ssi_pid == (unsigned)getpid(),
           si[i].ssi_uid == getuid(), si[i].ssi_int);
  fflush(stdout);
}

int main(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGUSR2);
  sigaddset(&m, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int fd = signalfd(-1, &m, SFD_NONBLOCK);
  T(fd >= 0);
  rd(fd);
  raise(SIGUSR1);
  raise(SIGUSR1);
  union sigval v = { .sival_int = 42 };
  sigqueue(getpid(), SIGUSR2, v);
  v.sival_int = 1;
  sigqueue(getpid(), SIGRTMIN, v);
  v.sival_int = 2;
  sigqueue(getpid(), SIGRTMIN, v);
  struct pollfd pf = { fd, POLLIN, 0 };
  T(poll(&pf, 1, 0));
  printf("revents %#x\n", pf.revents);
  rd(fd);
  rd(fd);
  char small[10];
  raise(SIGUSR1);
  T(read(fd, small, sizeof small));
  rd(fd);
  /* change the mask through the same descriptor */
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  T(signalfd(fd, &only2, 0));
  raise(SIGUSR1);
  raise(SIGUSR2);
  rd(fd);
  sigset_t pend;
  sigpending(&pend);
  printf("SIGUSR1 still pending: %d\n", sigismember(&pend, SIGUSR1));
  T(signalfd(fd, &m, 0));
  rd(fd);
  /* SIGKILL and SIGSTOP in the mask are dropped silently */
  sigset_t ks;
  sigemptyset(&ks);
  sigaddset(&ks, SIGKILL);
  sigaddset(&ks, SIGSTOP);
  int k = signalfd(-1, &ks, SFD_NONBLOCK | SFD_CLOEXEC);
  T(k >= 0);
  T(fcntl(k, F_GETFD));
  rd(k);
  /* errors */
  T(signalfd(-1, &m, 0x1234));
  /* (a sizemask other than 8 is EINVAL on Linux; qemu 7.2 ignores it, so it is not printed) */
  T(signalfd(99, &m, 0));
  T(signalfd(0, &m, 0));
  T(signalfd(-1, (sigset_t *)8, 0));
  T(write(fd, "x", 1));
  return 0;
}
