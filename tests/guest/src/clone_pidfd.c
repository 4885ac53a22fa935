/* clone(CLONE_PIDFD) and clone3's pidfd field (kernel/fork.c), run only in the enclave
 * (tests/process.test.ts): qemu 7.2 refuses CLONE_PIDFD (EINVAL) and lacks clone3. The pidfd
 * is close-on-exec, becomes readable when the child ends and waitid(P_PIDFD) reaps it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int pfd) {
  printf("%s: pidfd ok %d, cloexec %d", what, pfd >= 0, fcntl(pfd, F_GETFD));
  struct pollfd p = {pfd, POLLIN, 0};
  int r = poll(&p, 1, 10000);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int w = waitid(P_PIDFD, pfd, &si, WEXITED);
  printf(", poll %d revents 0x%x, waitid %d code %d status %d\n", r, p.revents, w, si.si_code, si.si_status);
  close(pfd);
}

int main(void) {
  int pfd = -1;
  long r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, 0, 0);
  if (r == 0) _exit(5);
  report("clone", pfd);
  int x = -1;
  r = syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &x, 0, 0);
  if (r == 0) _exit(1);
  printf("CLONE_PIDFD with CLONE_PARENT_SETTID: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, (int *)8, 0, 0);
  if (r == 0) _exit(1);
  printf("CLONE_PIDFD to a bad address: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  int pfd3 = -1;
  ca.flags = CLONE_PIDFD;
  ca.pidfd = (uint64_t)(uintptr_t)&pfd3;
  ca.exit_signal = SIGCHLD;
  r = syscall(SYS_clone3, &ca, sizeof ca);
  if (r == 0) _exit(6);
  report("clone3", pfd3);
  return 0;
}
