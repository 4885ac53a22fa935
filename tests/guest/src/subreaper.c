/* prctl PR_SET_CHILD_SUBREAPER (not in cases.json: qemu 7.2 answers EINVAL; tests/process.test.ts
   checks Linux's documented behaviour): orphaned descendants become this process's children
   (getppid, wait), PR_GET_CHILD_SUBREAPER reads it back (and a fork child does not inherit it),
   PR_SET_PDEATHSIG's signal arrives and the orphan's parent is then the subreaper. */
#include "pm.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_sig(int s) { got = s; }

int main(void) {
  int v = -1;
  prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
  printf("subreaper initially: %d\n", v);
  SHOW("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
  prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
  printf("subreaper now: %d\n", v);
  pid_t me = getpid();
  int pp[2];
  pipe(pp);
  pid_t mid = fork();
  if (mid == 0) {
    pid_t g = fork();
    if (g == 0) {
      /* the grandchild outlives its parent; then its parent is the subreaper */
      while (getppid() != me) usleep(1000);
      int fl = -1;
      prctl(PR_GET_CHILD_SUBREAPER, &fl, 0, 0, 0);
      char msg[64];
      int n = snprintf(msg, sizeof msg, "grandchild: re-parented to the subreaper, inherited flag %d\n", fl);
      write(pp[1], msg, n);
      _exit(33);
    }
    _exit(4);
  }
  int st;
  waitpid(mid, &st, 0);
  printf("middle exited %d\n", WEXITSTATUS(st));
  char buf[128];
  int n = read(pp[0], buf, sizeof buf);
  printf("%.*s", n, buf);
  pid_t r = waitpid(-1, &st, 0);
  printf("subreaper reaps the grandchild: %d, exit %d\n", r > 0 && r != mid, WEXITSTATUS(st));
  printf("then: %d %s\n", waitpid(-1, &st, 0), strerrorname_np(errno));

  /* PR_SET_PDEATHSIG */
  v = -1;
  prctl(PR_GET_PDEATHSIG, &v, 0, 0, 0);
  printf("pdeathsig initially: %d\n", v);
  mid = fork();
  if (mid == 0) {
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
      write(pp[1], "r", 1); /* ready: now let the parent go */
      while (!got) pause();
      char msg[96];
      int k = snprintf(msg, sizeof msg, "pdeathsig: get %d, fork child had %d, got %s, ppid now the subreaper %d\n",
                       d, WEXITSTATUS(ist), sigabbrev_np(got), getppid() == me);
      write(pp[1], msg, k);
      _exit(0);
    }
    char c;
    read(pp[0], &c, 1);
    _exit(0);
  }
  waitpid(mid, &st, 0);
  n = read(pp[0], buf, sizeof buf);
  printf("%.*s", n, buf);
  waitpid(-1, &st, 0);
  SHOW("PR_SET_CHILD_SUBREAPER 0", prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
  return 0;
}
