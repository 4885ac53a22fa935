/* The riscv64 signal frame: a handler clobbers integer and FP registers and the FP control
   register; the interrupted code sees its own values after rt_sigreturn. The handler
   can read uc_sigmask and change the interrupted thread's registers (a0 here) through
   uc_mcontext; SA_NODEFER/SA_RESETHAND; nested signals. */
#include "pm.h"
#include <signal.h>
#include <ucontext.h>

static void set_rm(long m) { __asm__ volatile("fsrm %0" :: "r"(m)); }
static long get_rm(void) { long m; __asm__ volatile("frrm %0" : "=r"(m)); return m; }
static long get_flags(void) { long f; __asm__ volatile("frflags %0" : "=r"(f)); return f; }
static volatile int mask_had_usr1, nested_depth, max_depth, total;
static void clobber(int s, siginfo_t *si, void *ucv) {
  (void)s; (void)si;
  ucontext_t *uc = ucv;
  mask_had_usr1 = sigismember(&uc->uc_sigmask, SIGUSR1);
  volatile double x = 1e300;
  x = x * x;          /* sets overflow/inexact flags in the handler only */
  set_rm(1); /* RTZ */
  __asm__ volatile("fmv.d.x f8, zero\nfmv.d.x f9, zero\nfmv.d.x f18, zero\nli s2, 0\nli s3, 0" ::: "f8", "f9", "f18", "s2", "s3");
}
static void nest(int s) {
  nested_depth++;
  if (nested_depth > max_depth) max_depth = nested_depth;
  if (++total < 3) raise(s);
  nested_depth--;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = clobber;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, NULL);
  __asm__ volatile("fsflags zero");
  set_rm(3); /* RUP */
  register double a __asm__("f8") = 1.5;
  register double b __asm__("f9") = 2.25;
  register double c __asm__("f18") = 3.125;
  register long s2 __asm__("s2") = 1234;
  register long s3 __asm__("s3") = 5678;
  __asm__ volatile("" : "+f"(a), "+f"(b), "+f"(c), "+r"(s2), "+r"(s3));
  raise(SIGUSR2);
  __asm__ volatile("" : "+f"(a), "+f"(b), "+f"(c), "+r"(s2), "+r"(s3));
  printf("fp kept: %g %g %g int kept: %ld %ld\n", a, b, c, s2, s3);
  printf("rounding kept: %d flags clean: %d\n", get_rm() == 3, (get_flags() & 4) == 0);
  printf("uc_sigmask had USR1: %d\n", mask_had_usr1);
  sigprocmask(SIG_UNBLOCK, &m, NULL);
  sa.sa_handler = nest;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("SA_NODEFER nesting depth: %d\n", max_depth);
  max_depth = 0;
  total = 0;
  sa.sa_flags = 0;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("deferred depth: %d runs: %d\n", max_depth, total);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGUSR1, &sa, NULL);
  max_depth = 0;
  total = 5;
  raise(SIGUSR1);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  printf("SA_RESETHAND: ran=%d now default=%d\n", max_depth, now.sa_handler == SIG_DFL);
  return 0;
}
