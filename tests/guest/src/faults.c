/* Faults as signals: SIGSEGV (read/write/exec, MAPERR/ACCERR with si_addr), SIGILL
   (ILL_ILLOPC with si_addr = pc), SIGTRAP from ebreak, a handler that skips the faulting
   instruction by editing the saved pc, SIGFPE only when raised (RISC-V division never
   traps), siglongjmp restoring (or not) the signal mask, and a fault with its signal blocked
   or ignored killing the process. */
#include "pm.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile int sig, code, skipped;
static volatile uintptr_t addr, pc_at;
static void h(int s, siginfo_t *si, void *uc) {
  (void)uc;
  sig = s; code = si->si_code; addr = (uintptr_t)si->si_addr;
  siglongjmp(jb, 1);
}
static void skip(int s, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  sig = s; code = si->si_code; addr = (uintptr_t)si->si_addr;
  pc_at = uc->uc_mcontext.__gregs[REG_PC];
  uc->uc_mcontext.__gregs[REG_PC] += 4; /* both test instructions are 4 bytes */
  skipped++;
}
static void ill(void) { __asm__ volatile(".4byte 0x00000000"); } /* not a valid instruction */
extern char ill_insn[], brk_insn[];
static void ill_at(void) { __asm__ volatile(".globl ill_insn\nill_insn: .4byte 0xffffffff"); }
static void brk_at(void) { __asm__ volatile(".option push\n.option norvc\n.globl brk_insn\nbrk_insn: ebreak\n.option pop"); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = skip;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);
  ill_at();
  printf("SIGILL: sig=%d code=%d addr_is_pc=%d pc_ok=%d\n", sig, code, addr == (uintptr_t)ill_insn, pc_at == (uintptr_t)ill_insn);
  brk_at();
  printf("SIGTRAP: sig=%d code=%d pc_ok=%d skipped=%d\n", sig, code, pc_at == (uintptr_t)brk_insn, skipped);
  sa.sa_sigaction = h;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  if (sigsetjmp(jb, 1) == 0) ill();
  printf("SIGILL zero word: sig=%d code=%d\n", sig, code);
  volatile int *bad = (int *)0x1008;
  if (sigsetjmp(jb, 1) == 0) *bad = 1;
  printf("write unmapped: sig=%d code=%d addr=0x%lx\n", sig, code, (unsigned long)addr);
  static const int ro = 5;
  if (sigsetjmp(jb, 1) == 0) *(volatile int *)&ro = 6;
  printf("write rodata: sig=%d code=%d addr_ok=%d\n", sig, code, addr == (uintptr_t)&ro);
  /* savemask 1 restores the mask (SIGSEGV unblocked); savemask 0 leaves it blocked */
  sigset_t m;
  if (sigsetjmp(jb, 1) == 0) *bad = 1;
  sigprocmask(SIG_BLOCK, NULL, &m);
  printf("after siglongjmp(savemask=1): SEGV blocked=%d\n", sigismember(&m, SIGSEGV));
  if (sigsetjmp(jb, 0) == 0) *bad = 1;
  sigprocmask(SIG_BLOCK, NULL, &m);
  printf("after siglongjmp(savemask=0): SEGV blocked=%d\n", sigismember(&m, SIGSEGV));
  sigprocmask(SIG_UNBLOCK, &m, NULL);
  /* integer division by zero does not trap on RISC-V */
  volatile int z = 0, one = 1;
  printf("1/0=%d 1%%0=%d\n", one / z, one % z);
  /* a fault with SIGSEGV blocked, or ignored, still kills */
  for (int mode = 0; mode < 2; mode++) {
    pid_t p = fork();
    if (p == 0) {
      if (mode == 0) { sigset_t s; sigemptyset(&s); sigaddset(&s, SIGSEGV); sigprocmask(SIG_BLOCK, &s, NULL); }
      else signal(SIGSEGV, SIG_IGN);
      *bad = 1;
      _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    printf("fault with SIGSEGV %s: sig=%d\n", mode ? "ignored" : "blocked", WTERMSIG(st));
  }
  pid_t p = fork();
  if (p == 0) { signal(SIGILL, SIG_DFL); ill(); _exit(0); }
  int st;
  waitpid(p, &st, 0);
  printf("SIGILL default: sig=%d\n", WTERMSIG(st));
  p = fork();
  if (p == 0) { raise(SIGFPE); _exit(0); }
  waitpid(p, &st, 0);
  printf("SIGFPE raised: sig=%d\n", WTERMSIG(st));
  return 0;
}
