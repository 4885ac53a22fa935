/* SIGCHLD: a SA_SIGINFO handler sees CLD_EXITED/CLD_KILLED with the status; SIG_IGN reaps children automatically (wait then fails with ECHILD); the default
   disposition leaves zombies for wait. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int n, code, status;
static volatile pid_t from;
static void on_chld(int s, siginfo_t *si, void *uc) { (void)s; (void)uc; n++; code = si->si_code; status = si->si_status; from = si->si_pid; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGCHLD, &sa, NULL);
  pid_t p = fork();
  if (p == 0) _exit(7);
  while (!n) pause();
  printf("exit: n=%d code=%d status=%d pid_ok=%d\n", n, code, status, from == p);
  waitpid(p, NULL, 0);
  n = 0;
  p = fork();
  if (p == 0) { for (;;) pause(); }
  kill(p, SIGINT);
  while (!n) pause();
  printf("killed: code=%d status=%d\n", code, status);
  waitpid(p, NULL, 0);
  /* SIG_IGN: no zombies */
  signal(SIGCHLD, SIG_IGN);
  for (int i = 0; i < 3; i++) if (fork() == 0) _exit(0);
  errno = 0;
  int r = wait(NULL);
  printf("SIG_IGN: wait=%d %s\n", r, strerrorname_np(errno));
  /* (SA_NOCLDWAIT with a handler also reaps automatically on Linux and TEE OS; qemu-user
     does not pass the flag to the host: not compared) */
  /* default: zombie until waited */
  signal(SIGCHLD, SIG_DFL);
  p = fork();
  if (p == 0) _exit(2);
  /* Wait for the exit without reaping (WNOWAIT), not a fixed sleep: the child may take longer
     than a few ms to be heard of (on the SGX model it is another enclave). */
  siginfo_t si;
  waitid(P_PID, p, &si, WEXITED | WNOWAIT);
  int st;
  printf("default: reaped=%d status=%d\n", waitpid(p, &st, WNOHANG) == p, WEXITSTATUS(st));
  return 0;
}
