/* A process group that becomes orphaned while it has a stopped member gets SIGHUP and then
   SIGCONT (so the job is not stopped forever): here a session leader's child puts a
   grandchild in a group of its own, the grandchild stops, and the child exits. A group
   without stopped members gets nothing. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

static int out;
static void note(int s) { char c = s == SIGHUP ? 'H' : s == SIGCONT ? 'C' : '?'; write(out, &c, 1); }

static void run(int stop) {
  int pp[2], ready[2];
  pipe(pp);
  pipe(ready);
  pid_t top = fork();
  if (top == 0) {
    setsid(); /* a session of its own: the grandchild's new parent will be outside it */
    pid_t mid = fork();
    if (mid == 0) {
      pid_t g = fork();
      if (g == 0) {
        setpgid(0, 0);
        out = pp[1];
        signal(SIGHUP, note);
        signal(SIGCONT, note);
        write(ready[1], "r", 1);
        if (stop) raise(SIGSTOP);
        else usleep(300000);
        write(pp[1], "E", 1);
        _exit(0);
      }
      setpgid(g, g);
      char c;
      read(ready[0], &c, 1);
      if (stop) {
        int st;
        waitpid(g, &st, WUNTRACED); /* it is stopped */
      }
      _exit(0); /* the grandchild's group is orphaned now */
    }
    waitpid(mid, NULL, 0);
    close(pp[1]);
    char buf[16];
    int n = 0, r;
    while (n < (int)sizeof buf && (r = read(pp[0], buf + n, sizeof buf - n)) > 0) n += r;
    printf("%s: the grandchild saw %.*s\n", stop ? "stopped member" : "no stopped member", n, buf);
    fflush(stdout);
    _exit(0);
  }
  close(pp[1]);
  waitpid(top, NULL, 0);
  close(pp[0]);
  close(ready[0]);
  close(ready[1]);
}

int main(void) {
  run(1);
  run(0);
  return 0;
}
