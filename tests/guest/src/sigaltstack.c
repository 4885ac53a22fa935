/* sigaltstack: querying, ENOMEM for a small stack, EINVAL for bad flags, EPERM when changing
   it while running on it, SS_ONSTACK reported inside the handler, SS_DISABLE,
   EFAULT for bad pointers. */
#include "pm.h"
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

static char alt[65536];
static volatile int on_alt, inner_flags, change_err;
static void h(int s) {
  (void)s;
  char probe;
  on_alt = &probe >= alt && &probe < alt + sizeof alt;
  stack_t cur;
  sigaltstack(NULL, &cur);
  inner_flags = cur.ss_flags;
  stack_t other = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  change_err = sigaltstack(&other, NULL) == -1 ? errno : 0;
}

int main(void) {
  stack_t ss, old;
  sigaltstack(NULL, &old);
  printf("initial: disabled=%d\n", old.ss_flags == SS_DISABLE);
  ss.ss_sp = alt; ss.ss_size = 1024; ss.ss_flags = 0;
  ERR("too small", sigaltstack(&ss, NULL));
  ss.ss_size = sizeof alt; ss.ss_flags = 0x10;
  ERR("bad flags", sigaltstack(&ss, NULL));
  ERR("EFAULT new", syscall(SYS_sigaltstack, (void *)8, NULL));
  ERR("EFAULT old", syscall(SYS_sigaltstack, NULL, (void *)8));
  ss.ss_flags = 0;
  ERR("set", sigaltstack(&ss, NULL));
  sigaltstack(NULL, &old);
  printf("query: same_sp=%d size=%zu flags=%d\n", old.ss_sp == alt, old.ss_size, old.ss_flags);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("handler: on_alt=%d flags=%d change=%s\n", on_alt, inner_flags, change_err ? strerrorname_np(change_err) : "ok");
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("without SA_ONSTACK: on_alt=%d\n", on_alt);
  ss.ss_flags = SS_DISABLE;
  ERR("disable", sigaltstack(&ss, NULL));
  sigaltstack(NULL, &old);
  printf("after disable: flags=%d\n", old.ss_flags);
  raise(SIGUSR1);
  printf("SA_ONSTACK with none: on_alt=%d\n", on_alt);
  /* (SS_AUTODISARM: Linux and TEE OS disarm the stack inside the handler and restore it
     after; qemu 7.2 rejects the flag with EINVAL: not compared) */
  return 0;
}
