/* RLIMIT_SIGPENDING (kernel/signal.c __sigqueue_alloc, __send_signal_locked), as uid 1000. Not a
   qemu case: qemu-user takes every host signal into its own queue at once, so the host's limit
   never applies (tests/process.test.ts; the same source prints the same on Linux 6.18):
   sigqueue of a real-time signal past the limit is EAGAIN, kill() is never refused, a legacy
   signal past the limit is still sent but its information is lost (SI_USER, no value). */
#include "pm.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  struct rlimit rl = { 3, 3 };
  SHOW("RLIMIT_SIGPENDING 3", setrlimit(RLIMIT_SIGPENDING, &rl));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  for (int i = 0; i < 5; i++) {
    char label[64];
    snprintf(label, sizeof label, "sigqueue SIGRTMIN value %d", i);
    SHOW(label, sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = i }));
  }
  SHOW("kill SIGRTMIN (never refused)", kill(getpid(), SIGRTMIN));
  SHOW("sigqueue SIGUSR1 value 7 (sent, information lost)", sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 7 }));
  SHOW("tgkill SIGRTMIN+1", syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 1));
  siginfo_t si;
  struct timespec zero = { 0, 0 };
  for (;;) {
    int s = sigtimedwait(&set, &si, &zero);
    if (s < 0) break;
    printf("took %s code %d value %d from me %d\n", s == SIGUSR1 ? "SIGUSR1" : s == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+1",
           si.si_code, si.si_code == SI_QUEUE ? si.si_value.sival_int : -1, si.si_pid == getpid());
  }
  SHOW("tgkill SIGRTMIN+1 with room again", syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 1));
  return 0;
}
