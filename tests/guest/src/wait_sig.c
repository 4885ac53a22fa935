/* The wait status of a child ended by each signal whose default action terminates it (no
   core file: RLIMIT_CORE is 0), and children that survive default-ignored signals. */
#include "pm.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(void) {
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);
  int st;
  for (int s = 1; s < 32; s++) {
    if (s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU || s == SIGCONT) continue;
    int gate[2];
    pipe(gate);
    pid_t p = fork();
    if (p == 0) {
      close(gate[1]);
      char c;
      read(gate[0], &c, 1);
      _exit(100);
    }
    close(gate[0]);
    kill(p, s);
    close(gate[1]); /* a child that survived ends with 100 */
    waitpid(p, &st, 0);
    if (WIFSIGNALED(st)) printf("sig %2d (%s): killed by %d\n", s, sigabbrev_np(s), WTERMSIG(st));
    else printf("sig %2d (%s): exited %d\n", s, sigabbrev_np(s), WEXITSTATUS(st));
  }
  /* raise() in the child itself, and abort() */
  pid_t p = fork();
  if (p == 0) { raise(SIGHUP); _exit(1); }
  waitpid(p, &st, 0);
  printf("raise SIGHUP: 0x%x\n", st);
  p = fork();
  if (p == 0) abort();
  waitpid(p, &st, 0);
  printf("abort: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  /* a blocked signal does not kill; SIGKILL cannot be blocked */
  p = fork();
  if (p == 0) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    raise(SIGTERM);
    raise(SIGKILL);
    _exit(1);
  }
  waitpid(p, &st, 0);
  printf("blocked then SIGKILL: sig=%d\n", WTERMSIG(st));
  /* SIG_IGN survives */
  p = fork();
  if (p == 0) {
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    _exit(8);
  }
  waitpid(p, &st, 0);
  printf("ignored SIGTERM: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  return 0;
}
