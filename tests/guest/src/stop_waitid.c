/* waitid and job control: WSTOPPED gives CLD_STOPPED with the stop signal in si_status,
   WCONTINUED gives CLD_CONTINUED with SIGCONT, WNOWAIT leaves the event for the next wait,
   WEXITED alone does not see stops, P_PGID selects the child's group, WNOHANG with nothing
   to report zeroes si_pid, and a stop is seen by either wait4 or waitid, once. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

static const char *code(int c) {
  switch (c) {
  case CLD_EXITED: return "CLD_EXITED";
  case CLD_KILLED: return "CLD_KILLED";
  case CLD_DUMPED: return "CLD_DUMPED";
  case CLD_STOPPED: return "CLD_STOPPED";
  case CLD_CONTINUED: return "CLD_CONTINUED";
  default: return "?";
  }
}

static void show(const char *label, pid_t p, idtype_t idt, id_t id, int opts) {
  siginfo_t si;
  memset(&si, 0x55, sizeof si);
  errno = 0;
  int r = waitid(idt, id, &si, opts);
  if (r < 0) { printf("%s: -1 %s\n", label, strerrorname_np(errno)); return; }
  if (si.si_pid == 0) { printf("%s: 0, nothing (si_signo %d)\n", label, si.si_signo); return; }
  printf("%s: %d signo %s pid ok %d code %s status %d\n", label, r, sigabbrev_np(si.si_signo), si.si_pid == p, code(si.si_code), si.si_status);
}

int main(void) {
  int gate[2];
  pipe(gate);
  pid_t p = fork();
  if (p == 0) {
    setpgid(0, 0);
    char c;
    read(gate[0], &c, 1);
    _exit(5);
  }
  setpgid(p, p);
  kill(p, SIGSTOP);
  show("WEXITED|WNOHANG on a stopped child", p, P_PID, p, WEXITED | WNOHANG);
  show("WSTOPPED|WNOWAIT", p, P_PID, p, WSTOPPED | WNOWAIT);
  show("WSTOPPED|WNOWAIT again", p, P_PID, p, WSTOPPED | WNOWAIT);
  show("P_PGID WSTOPPED", p, P_PGID, p, WSTOPPED);
  show("WSTOPPED|WNOHANG after it was reaped as an event", p, P_PID, p, WSTOPPED | WNOHANG);
  int st;
  printf("wait4 WUNTRACED|WNOHANG: %d\n", waitpid(p, &st, WUNTRACED | WNOHANG));
  kill(p, SIGCONT);
  show("WCONTINUED|WNOWAIT", p, P_PID, p, WCONTINUED | WNOWAIT);
  pid_t r = waitpid(p, &st, WCONTINUED | WNOHANG);
  printf("wait4 WCONTINUED after WNOWAIT: pid ok %d status 0x%x\n", r == p, st);
  show("WCONTINUED|WNOHANG again", p, P_ALL, 0, WCONTINUED | WNOHANG);
  /* stopped by SIGTSTP (its own group: not orphaned) */
  kill(p, SIGTSTP);
  show("P_ALL WSTOPPED|WEXITED", p, P_ALL, 0, WSTOPPED | WEXITED);
  kill(p, SIGCONT);
  show("P_ALL WSTOPPED|WEXITED|WCONTINUED", p, P_ALL, 0, WSTOPPED | WEXITED | WCONTINUED);
  write(gate[1], "x", 1);
  show("WEXITED", p, P_PID, p, WEXITED);
  /* error paths */
  show("no options", p, P_ALL, 0, 0);
  show("bad option", p, P_ALL, 0, WEXITED | 0x100);
  show("bad idtype", p, 7, 0, WEXITED);
  show("P_PID 0", p, P_PID, 0, WEXITED);
  show("no children", p, P_ALL, 0, WEXITED | WSTOPPED | WCONTINUED);
  /* killed: CLD_KILLED and the signal */
  p = fork();
  if (p == 0) for (;;) pause();
  kill(p, SIGKILL);
  show("killed", p, P_PID, p, WEXITED);
  return 0;
}
