/* vfork: the child's _exit status, a child killed by a signal, and the parent resuming only
   after the child is done (qemu-user runs vfork as fork, so the shared-memory part of vfork
   is not printed: Linux shares, qemu copies). */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int st;
  for (int code = 0; code < 300; code += 97) {
    pid_t p = vfork();
    if (p == 0) _exit(code);
    pid_t w = waitpid(p, &st, 0);
    printf("vfork exit %d: waited=%d status=%d\n", code, w == p, WEXITSTATUS(st));
  }
  pid_t p = vfork();
  if (p == 0) {
    kill(getpid(), SIGKILL);
    _exit(1);
  }
  waitpid(p, &st, 0);
  printf("vfork killed: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  p = vfork();
  if (p == 0) {
    write(1, "child first\n", 12);
    _exit(0);
  }
  waitpid(p, &st, 0);
  printf("parent after\n");
  return 0;
}
