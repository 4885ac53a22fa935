/* prctl PR_SET_PDEATHSIG: a child gets the signal when its parent ends (after which its
   parent is someone else), it is read back by PR_GET_PDEATHSIG and not inherited by fork;
   bad signals are EINVAL, bad pointers EFAULT; PR_GET/SET_DUMPABLE. */
#include "pm.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_sig(int s) { got = s; }

int main(void) {
  int pp[2], v = -1;
  pipe(pp);
  prctl(PR_GET_PDEATHSIG, &v, 0, 0, 0);
  printf("pdeathsig initially: %d\n", v);
  pid_t mid = fork();
  if (mid == 0) {
    pid_t parent = getpid();
    pid_t g = fork();
    if (g == 0) {
      signal(SIGUSR1, on_sig);
      prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
      int d = -1;
      prctl(PR_GET_PDEATHSIG, &d, 0, 0, 0);
      pid_t inner = fork();
      if (inner == 0) {
        int e = -1;
        prctl(PR_GET_PDEATHSIG, &e, 0, 0, 0);
        _exit(e);
      }
      int ist;
      waitpid(inner, &ist, 0);
      write(pp[1], "r", 1); /* ready: now the parent may go */
      while (!got) pause();
      char msg[128];
      int k = snprintf(msg, sizeof msg, "pdeathsig: get %d, its fork child had %d, got %s, parent changed %d\n",
                       d, WEXITSTATUS(ist), sigabbrev_np(got), getppid() != parent);
      write(pp[1], msg, k);
      _exit(0);
    }
    char c;
    read(pp[0], &c, 1);
    _exit(0);
  }
  int st;
  waitpid(mid, &st, 0);
  char buf[160];
  int n = read(pp[0], buf, sizeof buf);
  printf("%.*s", n, buf);
  /* cleared with 0; set again and the parent stays: nothing arrives */
  SHOW("PR_SET_PDEATHSIG 0", prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
  ERR("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0));
  ERR("PR_SET_PDEATHSIG -1", prctl(PR_SET_PDEATHSIG, -1, 0, 0, 0));
  ERR("PR_GET_PDEATHSIG bad ptr", prctl(PR_GET_PDEATHSIG, (int *)8, 0, 0, 0));
  printf("PR_GET_DUMPABLE: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  SHOW("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
  printf("PR_GET_DUMPABLE: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  ERR("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0));
  SHOW("PR_SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
  printf("PR_GET_DUMPABLE: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  pid_t c = fork();
  if (c == 0) _exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  waitpid(c, &st, 0);
  printf("fork child's dumpable: %d\n", WEXITSTATUS(st));
  return 0;
}
