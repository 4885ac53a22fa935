/* mprotect and the faults it causes: SIGSEGV with si_code SEGV_ACCERR for a write to a
   read-only page, a read of PROT_NONE, a jump into a non-exec page; SEGV_MAPERR for an
   unmapped address; si_addr is the faulting address. mprotect errors. */
#include "pm.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

#define P 4096
static sigjmp_buf jb;
static volatile int code;
static volatile uintptr_t addr;
static void on_segv(int s, siginfo_t *si, void *uc) {
  (void)s; (void)uc;
  code = si->si_code;
  addr = (uintptr_t)si->si_addr;
  siglongjmp(jb, 1);
}
static const char *cname(int c) { return c == SEGV_MAPERR ? "MAPERR" : c == SEGV_ACCERR ? "ACCERR" : "?"; }

#define TRY(label, base, stmt) do { code = 0; addr = 0; \
  if (sigsetjmp(jb, 1) == 0) { stmt; printf("%s: no fault\n", label); } \
  else printf("%s: SIGSEGV %s offset=%ld\n", label, cname(code), (long)(addr - (uintptr_t)(base))); } while (0)

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  char *m = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(m, 7, 4 * P);
  ERR("mprotect RO middle", mprotect(m + P, 2 * P, PROT_READ));
  TRY("write RO", m, m[P + 123] = 1);
  TRY("write RW before", m, m[10] = 1);
  TRY("write RW after", m, m[3 * P + 5] = 1);
  printf("RO data kept: %d\n", m[P + 123]);
  ERR("mprotect NONE", mprotect(m + 2 * P, P, PROT_NONE));
  TRY("read NONE", m, (void)*(volatile char *)(m + 2 * P + 64));
  TRY("write NONE", m, m[2 * P + 8] = 1);
  ERR("mprotect back RW", mprotect(m, 4 * P, PROT_READ | PROT_WRITE));
  printf("data after NONE: %d\n", m[2 * P + 64]);
  TRY("write RW again", m, m[2 * P] = 2);
  /* execute from a page without PROT_EXEC, then with it */
  uint32_t *code_page = (uint32_t *)m;
  code_page[0] = 0x00008067; /* ret */
  __builtin___clear_cache((char *)m, (char *)m + 4);
  TRY("exec non-exec", m, ((void (*)(void))m)());
  ERR("mprotect RX", mprotect(m, P, PROT_READ | PROT_EXEC));
  TRY("exec RX", m, ((void (*)(void))m)());
  munmap(m + 3 * P, P);
  TRY("read unmapped", m, (void)*(volatile char *)(m + 3 * P + 1));
  TRY("null", 0, (void)*(volatile int *)0);
  TRY("high", 0, (void)*(volatile int *)0x7fffffff000UL);
  ERR("mprotect unaligned", mprotect(m + 1, P, PROT_READ));
  ERR("mprotect unmapped", mprotect(m + 3 * P, P, PROT_READ));
  ERR("mprotect bad prot", mprotect(m, P, 0x100));
  ERR("mprotect partly unmapped", mprotect(m + 2 * P, 2 * P, PROT_READ));
  /* the handler saw SIGSEGV; a fault with SIGSEGV blocked kills the process (tested elsewhere) */
  return 0;
}
