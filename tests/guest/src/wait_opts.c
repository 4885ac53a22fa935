/* wait4 and waitid: pid selectors (pid, -1, 0, -pgid), WNOHANG, WNOWAIT, ECHILD, EINVAL for
   bad options, EFAULT for a bad status pointer (the child is still reaped), siginfo from
   waitid for exits and kills. */
#include "pm.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static pid_t spawn(int code, int pgrp) {
  pid_t p = fork();
  if (p == 0) {
    if (pgrp) setpgid(0, 0);
    usleep(2000);
    _exit(code);
  }
  if (pgrp) setpgid(p, p);
  return p;
}

int main(void) {
  int st;
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);
  ERR("wait no children", wait(&st));
  ERR("wait4 bad options", wait4(-1, &st, 0x100, NULL));
  ERR("waitid no W flags", waitid(P_ALL, 0, &(siginfo_t){0}, 0));
  ERR("waitid bad idtype", waitid(7, 0, &(siginfo_t){0}, WEXITED));
  ERR("waitid P_PID 0", waitid(P_PID, 0, &(siginfo_t){0}, WEXITED));
  pid_t a = spawn(1, 0);
  ERR("wait4 not my child", waitpid(a + 100000, &st, 0));
  pid_t w = waitpid(a, &st, 0);
  printf("by pid: %d status=%d\n", w == a, WEXITSTATUS(st));
  /* own group (pid 0) and another group (-pgid) */
  a = spawn(2, 0);
  pid_t b = spawn(3, 1);
  w = waitpid(0, &st, 0);
  printf("own group: got_a=%d status=%d\n", w == a, WEXITSTATUS(st));
  w = waitpid(-b, &st, 0);
  printf("group -pgid: got_b=%d status=%d\n", w == b, WEXITSTATUS(st));
  /* WNOHANG while running, then the result */
  int gate[2];
  pipe(gate);
  a = fork();
  if (a == 0) { char c; close(gate[1]); read(gate[0], &c, 1); _exit(4); }
  close(gate[0]);
  printf("wnohang running: %d\n", waitpid(a, &st, WNOHANG));
  siginfo_t si;
  memset(&si, 0xff, sizeof si);
  printf("waitid wnohang running: %d pid=%d\n", waitid(P_PID, a, &si, WEXITED | WNOHANG), si.si_pid);
  close(gate[1]);
  /* WNOWAIT leaves the zombie in place */
  memset(&si, 0, sizeof si);
  waitid(P_PID, a, &si, WEXITED | WNOWAIT);
  printf("wnowait: code=%d status=%d pid=%d\n", si.si_code, si.si_status, si.si_pid == a);
  memset(&si, 0, sizeof si);
  waitid(P_ALL, 0, &si, WEXITED);
  printf("then reaped: code=%d status=%d pid=%d\n", si.si_code, si.si_status, si.si_pid == a);
  ERR("and gone", waitid(P_PID, a, &si, WEXITED | WNOHANG));
  /* killed child through waitid and wait4 */
  a = fork();
  if (a == 0) { for (;;) pause(); }
  kill(a, SIGTERM);
  memset(&si, 0, sizeof si);
  waitid(P_PID, a, &si, WEXITED);
  printf("waitid killed: signo=%d code=%d status=%d uid_ok=%d\n", si.si_signo, si.si_code, si.si_status, si.si_uid == getuid());
  a = fork();
  if (a == 0) { for (;;) pause(); }
  kill(a, SIGUSR1);
  waitpid(a, &st, 0);
  printf("wait4 killed: signaled=%d sig=%d core=%d raw=0x%x\n", WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st), st);
  /* exit status encoding */
  a = spawn(200, 0);
  waitpid(a, &st, 0);
  printf("raw exit status: 0x%x\n", st);
  /* a bad status pointer: EFAULT, and the child is reaped anyway */
  a = spawn(5, 0);
  usleep(5000);
  ERR("bad status ptr", waitpid(a, (int *)8, 0));
  ERR("after EFAULT", waitpid(a, &st, WNOHANG));
  /* __WALL and __WCLONE are accepted */
  a = spawn(6, 0);
  w = waitpid(a, &st, __WALL);
  printf("__WALL: %d status=%d\n", w == a, WEXITSTATUS(st));
  /* rusage of a reaped child */
  a = spawn(7, 0);
  struct rusage ru;
  w = wait4(a, &st, 0, &ru);
  printf("wait4 rusage: %d status=%d\n", w == a, WEXITSTATUS(st));
  return 0;
}
