/* clone's flag rules (kernel/fork.c copy_process): combinations Linux refuses with EINVAL,
   and a fork-style clone with a new stack for the child. */
#include "pm.h"
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long rawclone(unsigned long flags) {
  return syscall(SYS_clone, flags, 0, NULL, 0, NULL);
}
static int child(void *arg) { return *(int *)arg + 1; }

int main(void) {
  ERR("THREAD without SIGHAND", rawclone(CLONE_THREAD | CLONE_VM));
  ERR("SIGHAND without VM", rawclone(CLONE_SIGHAND | SIGCHLD));
  ERR("THREAD alone", rawclone(CLONE_THREAD));
  ERR("NEWNS with FS", rawclone(CLONE_NEWNS | CLONE_FS | SIGCHLD));
  ERR("PIDFD with THREAD", rawclone(CLONE_PIDFD | CLONE_THREAD | CLONE_VM | CLONE_SIGHAND | CLONE_FS | CLONE_FILES));
  /* fork-like clone onto a fresh stack */
  size_t sz = 64 * 1024;
  char *stack = malloc(sz);
  int v = 41, st = 0;
  pid_t p = clone(child, stack + sz, SIGCHLD, &v);
  pid_t w = waitpid(p, &st, 0);
  printf("fork-like clone: waited=%d status=%d\n", w == p, WEXITSTATUS(st));
  /* raw fork-style clone: the child returns 0 on the same stack */
  long r = rawclone(SIGCHLD);
  if (r == 0) _exit(12);
  waitpid(r, &st, 0);
  printf("raw clone(SIGCHLD): status=%d\n", WEXITSTATUS(st));
  /* (CLONE_PARENT_SETTID on a fork-like clone: Linux writes the pid in the parent, qemu-user
     writes it in the child: not compared) */
  return 0;
}
