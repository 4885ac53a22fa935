/* Signal delivery: handlers with siginfo, the riscv64 signal frame and rt_sigreturn,
   masks, SA_RESETHAND/SA_NODEFER, sigaltstack, faults turned into signals (SIGSEGV with
   si_addr and si_code, SIGILL, SIGTRAP from ebreak), siglongjmp out of a handler,
   sigpending and sigtimedwait. Prints only values Linux and qemu-user agree on. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t hits, last_sig, last_code, nested;
static volatile uintptr_t last_addr;
static sigjmp_buf jb;
static volatile int on_alt;
static char *alt_base;
static size_t alt_size;

static void on_info(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  hits++;
  last_sig = sig;
  last_code = si->si_code;
  last_addr = (uintptr_t)si->si_addr;
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  char probe;
  on_alt = (&probe >= alt_base && &probe < alt_base + alt_size);
  last_sig = sig;
  last_code = si->si_code;
  last_addr = (uintptr_t)si->si_addr;
  siglongjmp(jb, 1);
}

static void on_nodefer(int sig) {
  if (nested++ == 0) raise(sig); /* with SA_NODEFER the handler re-enters */
}

static void on_regs(int sig, siginfo_t *si, void *ucv) {
  (void)sig; (void)si;
  ucontext_t *uc = ucv;
  /* the interrupted pc is in the frame; skip the 4-byte ebreak-free illegal instruction */
  uc->uc_mcontext.__gregs[0] += 4;
  hits++;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("raise: hits=%d sig=%d code_is_tkill=%d\n", hits, last_sig, last_code == SI_TKILL);
  kill(getpid(), SIGUSR1);
  printf("kill: hits=%d code_is_user=%d\n", hits, last_code == SI_USER);

  /* blocked signals stay pending until unblocked */
  sigset_t set, old, pend;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  sigpending(&pend);
  printf("blocked: hits=%d pending=%d\n", hits, sigismember(&pend, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("unblocked: hits=%d\n", hits);

  /* sigtimedwait takes a blocked pending signal without running the handler */
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR1);
  siginfo_t si;
  struct timespec ts = {0, 1000000};
  int got = sigtimedwait(&set, &si, &ts);
  printf("sigtimedwait: got=%d hits=%d\n", got, hits);
  got = sigtimedwait(&set, &si, &ts);
  printf("sigtimedwait again: ret=%d timeout=%d\n", got, got < 0);
  sigprocmask(SIG_SETMASK, &old, NULL);

  /* SA_RESETHAND: the second signal takes the default action (ignored for SIGCHLD... use SIGURG: default ignore) */
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigaction(SIGURG, &sa, NULL);
  raise(SIGURG);
  raise(SIGURG);
  struct sigaction now;
  sigaction(SIGURG, NULL, &now);
  printf("resethand: hits=%d handler_is_dfl=%d\n", hits, now.sa_handler == SIG_DFL);

  /* SA_NODEFER lets the handler be re-entered by the same signal */
  struct sigaction nd;
  memset(&nd, 0, sizeof nd);
  nd.sa_handler = on_nodefer;
  nd.sa_flags = SA_NODEFER;
  sigaction(SIGUSR2, &nd, NULL);
  raise(SIGUSR2);
  printf("nodefer: nested=%d\n", nested);

  /* SIGSEGV on the alternate stack, with si_addr and si_code, and siglongjmp out */
  alt_size = 64 * 1024;
  alt_base = malloc(alt_size);
  stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction fa;
  memset(&fa, 0, sizeof fa);
  fa.sa_sigaction = on_fault;
  fa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &fa, NULL);
  sigaction(SIGILL, &fa, NULL);
  sigaction(SIGTRAP, &fa, NULL);
  if (sigsetjmp(jb, 1) == 0) {
    *(volatile int *)16 = 1;
  }
  printf("segv unmapped: sig=%d code=%d addr=%lu on_alt=%d\n", last_sig, last_code, (unsigned long)last_addr, on_alt);
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (sigsetjmp(jb, 1) == 0) {
    ro[123] = 1;
  }
  printf("segv readonly: sig=%d code=%d addr_ok=%d\n", last_sig, last_code, last_addr == (uintptr_t)ro + 123);
  if (sigsetjmp(jb, 1) == 0) {
    __asm__ volatile("ebreak");
  }
  printf("ebreak: sig=%d\n", last_sig);
  if (sigsetjmp(jb, 1) == 0) {
    __asm__ volatile(".4byte 0xffffffff");
  }
  printf("illegal: sig=%d code=%d\n", last_sig, last_code);
  /* the mask was restored by siglongjmp (sigsetjmp saved it) */
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("mask after longjmp: segv_blocked=%d\n", sigismember(&cur, SIGSEGV));

  /* a handler can change the interrupted context: skip an illegal instruction */
  struct sigaction ra;
  memset(&ra, 0, sizeof ra);
  ra.sa_sigaction = on_regs;
  ra.sa_flags = SA_SIGINFO;
  sigaction(SIGILL, &ra, NULL);
  hits = 0;
  __asm__ volatile(".4byte 0xffffffff");
  printf("skipped illegal: hits=%d\n", hits);

  /* ignored signals vanish */
  signal(SIGUSR1, SIG_IGN);
  raise(SIGUSR1);
  printf("ignored: ok\n");

  /* default action of SIGTERM ends the process with the signal */
  fflush(stdout);
  signal(SIGTERM, SIG_DFL);
  raise(SIGTERM);
  printf("not reached\n");
  return 0;
}
