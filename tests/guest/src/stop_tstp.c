/* The terminal's stop signals: SIGTSTP, SIGTTIN and SIGTTOU stop a child in its own process
   group (WSTOPSIG tells which), a SIGTSTP handler runs instead of stopping, a SIGCONT handler
   runs when the child is continued, SIGCONT continues even when ignored or blocked, and in an
   orphaned process group (a new session) they are discarded while SIGSTOP still stops. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

static int out = -1;
static void note(int s) { char c = s == SIGTSTP ? 'T' : s == SIGCONT ? 'C' : '?'; write(out, &c, 1); }

static void drain(int fd, const char *label) {
  char buf[16];
  int n = read(fd, buf, sizeof buf);
  printf("%s: %.*s\n", label, n > 0 ? n : 0, buf);
}

int main(void) {
  int st, sigs[] = {SIGTSTP, SIGTTIN, SIGTTOU};
  for (int i = 0; i < 3; i++) {
    pid_t p = fork();
    if (p == 0) { setpgid(0, 0); raise(sigs[i]); _exit(20 + i); }
    waitpid(p, &st, WUNTRACED);
    printf("raise %s: stopped %d by %s\n", sigabbrev_np(sigs[i]), WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)));
    kill(p, SIGCONT);
    waitpid(p, &st, 0);
    printf("  then exited %d\n", WEXITSTATUS(st));
  }
  int pp[2];
  pipe(pp);
  /* handlers for SIGTSTP and SIGCONT */
  pid_t p = fork();
  if (p == 0) {
    setpgid(0, 0);
    out = pp[1];
    signal(SIGTSTP, note);
    signal(SIGCONT, note);
    raise(SIGTSTP);   /* handled: no stop */
    raise(SIGSTOP);   /* stops; SIGCONT's handler runs when continued */
    _exit(1);
  }
  waitpid(p, &st, WUNTRACED);
  printf("with handlers: stopped by %s\n", sigabbrev_np(WSTOPSIG(st)));
  drain(pp[0], "  handlers so far");
  kill(p, SIGCONT);
  waitpid(p, &st, 0);
  drain(pp[0], "  after SIGCONT");
  printf("  exited %d\n", WEXITSTATUS(st));
  /* SIGCONT ignored, or blocked, still continues */
  for (int blocked = 0; blocked < 2; blocked++) {
    p = fork();
    if (p == 0) {
      setpgid(0, 0);
      if (blocked) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGCONT);
        sigprocmask(SIG_BLOCK, &s, NULL);
      } else signal(SIGCONT, SIG_IGN);
      raise(SIGSTOP);
      sigset_t pend;
      sigpending(&pend);
      _exit(sigismember(&pend, SIGCONT) ? 40 : 41);
    }
    waitpid(p, &st, WUNTRACED);
    kill(p, SIGCONT);
    waitpid(p, &st, 0);
    printf("SIGCONT %s: continued, exit %d (40: SIGCONT still pending)\n", blocked ? "blocked" : "ignored", WEXITSTATUS(st));
  }
  /* orphaned process group: a session leader's own group has no parent outside it in its session */
  p = fork();
  if (p == 0) {
    setsid();
    raise(SIGTSTP);
    raise(SIGTTIN);
    raise(SIGTTOU);
    raise(SIGSTOP);
    _exit(9);
  }
  waitpid(p, &st, WUNTRACED);
  printf("orphaned group: stopped %d by %s\n", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)));
  kill(p, SIGCONT);
  waitpid(p, &st, 0);
  printf("  exited %d\n", WEXITSTATUS(st));
  /* a stop signal blocked when sent stops the child once unblocked */
  p = fork();
  if (p == 0) {
    setpgid(0, 0);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTSTP);
    sigprocmask(SIG_BLOCK, &s, NULL);
    raise(SIGTSTP);
    write(pp[1], "B", 1);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    write(pp[1], "U", 1);
    _exit(2);
  }
  waitpid(p, &st, WUNTRACED);
  drain(pp[0], "blocked SIGTSTP: before the stop");
  printf("  stopped by %s\n", sigabbrev_np(WSTOPSIG(st)));
  kill(p, SIGCONT);
  waitpid(p, &st, 0);
  drain(pp[0], "  after SIGCONT");
  return 0;
}
