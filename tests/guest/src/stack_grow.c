/* The main stack grows on demand (deep recursion over megabytes), and overflowing it raises
   SIGSEGV, which a handler on an alternate stack can catch. */
#include "pm.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }
static long depth(long n) {
  volatile char buf[1024];
  buf[0] = (char)n;
  if (n == 0) return buf[0];
  return depth(n - 1) + buf[0];
}
static long forever(long n) {
  volatile char buf[4096];
  buf[0] = 1;
  return forever(n + 1) + buf[0];
}

int main(void) {
  printf("4 MiB of stack: %d\n", depth(4000) > 0);
  static char alt[65536];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGSEGV, &sa, NULL);
  if (sigsetjmp(jb, 1) == 0) {
    forever(0);
    printf("no overflow?\n");
  } else {
    printf("overflow caught on the alternate stack\n");
  }
  printf("recursion works again: %d\n", depth(100) > 0);
  return 0;
}
