/* process_mrelease (mm/oom_kill.c, Linux 6.18): flags (EINVAL before the pidfd), EBADF, a process
   that is not dying (itself, a sleeping child, a stopped one, one with a fatal signal blocked):
   EINVAL; a child just sent SIGKILL: 0 (its memory released) or ESRCH (already gone), which one
   is a race on Linux, so only "0 or ESRCH" is printed; a zombie and a reaped child: ESRCH. Not a
   qemu case: qemu 7.2 answers ENOSYS. The expected output
   (tests/guest/linux/process_mrelease.stdout) is what Linux 6.18 (x86-64) printed for this
   source built natively. */
#include "pm.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long mrelease(int fd, unsigned flags) { return syscall(448, fd, flags); }
static int pidfd_open_(pid_t pid) { return (int)syscall(434, pid, 0); }

/* A child that says it is ready, then sleeps in read() until the pipe closes. */
static pid_t sleeper(int *fd, int block_term) {
  int ready[2], hold[2];
  if (pipe(ready) || pipe(hold)) exit(1);
  pid_t c = fork();
  if (c == 0) {
    char b;
    if (block_term) {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGTERM);
      sigprocmask(SIG_BLOCK, &s, NULL);
    }
    close(hold[1]);
    if (write(ready[1], "r", 1) != 1) _exit(2);
    while (read(hold[0], &b, 1) == 1) {}
    _exit(0);
  }
  char b;
  close(hold[0]);
  if (read(ready[0], &b, 1) != 1) exit(1);
  close(ready[0]);
  close(ready[1]);
  *fd = pidfd_open_(c);
  return c;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int self = pidfd_open_(getpid());
  SHOW("flags 1", mrelease(self, 1));
  SHOW("flags 1, bad fd", mrelease(-1, 1));
  SHOW("bad fd", mrelease(-1, 0));
  SHOW("not a pidfd", mrelease(0, 0));
  SHOW("self", mrelease(self, 0));

  int fd;
  pid_t c = sleeper(&fd, 0);
  SHOW("sleeping child", mrelease(fd, 0));
  kill(c, SIGSTOP);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  waitid(P_PID, c, &si, WSTOPPED);
  SHOW("stopped child", mrelease(fd, 0));
  kill(c, SIGKILL);
  errno = 0;
  long r = mrelease(fd, 0);
  printf("killed child: %s\n", r == 0 || errno == ESRCH ? "0 or ESRCH" : strerrorname_np(errno));
  memset(&si, 0, sizeof si);
  waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  printf("child ended by signal %d\n", si.si_status);
  SHOW("zombie", mrelease(fd, 0));
  waitpid(c, NULL, 0);
  SHOW("reaped", mrelease(fd, 0));
  SHOW("reaped, flags 1", mrelease(fd, 1));
  close(fd);

  c = sleeper(&fd, 1);
  kill(c, SIGTERM);
  SHOW("SIGTERM blocked and pending", mrelease(fd, 0));
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  return 0;
}
