/* SIGCHLD on job-control events: a stopped child sends CLD_STOPPED (si_status = the stop
   signal), a continued one CLD_CONTINUED (SIGCONT), a killed one CLD_KILLED; seen with
   sigwaitinfo while SIGCHLD is blocked, and through an SA_SIGINFO handler. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

static const char *code(int c) {
  switch (c) {
  case CLD_EXITED: return "CLD_EXITED";
  case CLD_KILLED: return "CLD_KILLED";
  case CLD_STOPPED: return "CLD_STOPPED";
  case CLD_CONTINUED: return "CLD_CONTINUED";
  default: return "?";
  }
}

static pid_t child;
static void next(const char *label, sigset_t *set) {
  siginfo_t si;
  int s = sigwaitinfo(set, &si);
  printf("%s: %s code %s status %d pid ok %d\n", label, sigabbrev_np(s), code(si.si_code), si.si_status, si.si_pid == child);
}

static volatile int got, gcode, gstatus;
static void on_chld(int s, siginfo_t *si, void *uc) {
  (void)s; (void)uc;
  got++;
  gcode = si->si_code;
  gstatus = si->si_status;
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  /* SIGCHLD's default action is to ignore it, but a blocked one stays pending for sigwaitinfo */
  child = fork();
  if (child == 0) { setpgid(0, 0); for (;;) pause(); }
  setpgid(child, child);
  int st;
  kill(child, SIGSTOP);
  next("SIGSTOP", &set);
  waitpid(child, &st, WUNTRACED);
  kill(child, SIGCONT);
  next("SIGCONT", &set);
  waitpid(child, &st, WCONTINUED);
  kill(child, SIGTTIN);
  next("SIGTTIN", &set);
  kill(child, SIGCONT);
  next("SIGCONT", &set);
  kill(child, SIGTERM);
  next("SIGTERM", &set);
  waitpid(child, &st, 0);
  printf("reaped: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));

  /* the same through a handler */
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  int gate[2];
  pipe(gate);
  child = fork();
  if (child == 0) { char c; setpgid(0, 0); raise(SIGTSTP); read(gate[0], &c, 1); _exit(3); }
  while (got < 1) pause();
  printf("handler 1: %s status %d\n", code(gcode), gstatus);
  kill(child, SIGCONT);
  while (got < 2) pause();
  printf("handler 2: %s status %d\n", code(gcode), gstatus);
  write(gate[1], "x", 1); /* only now may it exit: two SIGCHLDs pending at once would merge */
  while (got < 3) pause();
  printf("handler 3: %s status %d\n", code(gcode), gstatus);
  waitpid(child, &st, 0);
  printf("exit: %d\n", WEXITSTATUS(st));
  return 0;
}
