/* Job control on a process group: kill(-pgid, SIGSTOP) stops every member, waitpid(-pgid,
   WUNTRACED) reports each once, waitid(P_PGID, WCONTINUED) sees each continue after
   kill(-pgid, SIGCONT), killpg ends them, and a stopped child is still reaped by a thread's
   wait, not the one that forked it. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static void *waiter(void *arg) {
  pid_t p = (pid_t)(long)arg;
  int st;
  pid_t r = waitpid(p, &st, WUNTRACED);
  return (void *)(long)(r == p && WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
}

int main(void) {
  pid_t kids[3];
  int gate[2];
  pipe(gate);
  for (int i = 0; i < 3; i++) {
    kids[i] = fork();
    if (kids[i] == 0) {
      setpgid(0, kids[0] ? kids[0] : getpid());
      char c;
      read(gate[0], &c, 1);
      _exit(10 + i);
    }
    setpgid(kids[i], kids[0]);
  }
  pid_t g = kids[0];
  printf("group members: %d %d %d\n", getpgid(kids[0]) == g, getpgid(kids[1]) == g, getpgid(kids[2]) == g);
  kill(-g, SIGSTOP);
  int st, seen = 0;
  for (int i = 0; i < 3; i++) {
    pid_t r = waitpid(-g, &st, WUNTRACED);
    for (int j = 0; j < 3; j++) if (r == kids[j] && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP) seen |= 1 << j;
  }
  printf("stops reported: 0x%x, again: %d\n", seen, waitpid(-g, &st, WUNTRACED | WNOHANG));
  kill(-g, SIGCONT);
  seen = 0;
  for (int i = 0; i < 3; i++) {
    siginfo_t si;
    waitid(P_PGID, g, &si, WCONTINUED);
    for (int j = 0; j < 3; j++) if (si.si_pid == kids[j] && si.si_code == CLD_CONTINUED) seen |= 1 << j;
  }
  printf("continues reported: 0x%x\n", seen);
  killpg(g, SIGTERM);
  seen = 0;
  for (int i = 0; i < 3; i++) {
    pid_t r = waitpid(-g, &st, 0);
    for (int j = 0; j < 3; j++) if (r == kids[j] && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) seen |= 1 << j;
  }
  printf("terminated: 0x%x\n", seen);
  errno = 0;
  printf("group gone: kill %d %s\n", kill(-g, 0), strerrorname_np(errno));
  /* a thread waits for a stop of a child the main thread forked */
  pid_t p = fork();
  if (p == 0) { setpgid(0, 0); char c; read(gate[0], &c, 1); _exit(0); }
  setpgid(p, p); /* its own group: SIGTSTP is not discarded as in an orphaned one */
  pthread_t t;
  pthread_create(&t, NULL, waiter, (void *)(long)p);
  usleep(50000);
  kill(p, SIGTSTP);
  void *res;
  pthread_join(t, &res);
  printf("thread's wait saw the stop: %s\n", (long)res > 0 ? sigabbrev_np((int)(long)res) : "no");
  kill(p, SIGKILL);
  waitpid(p, &st, 0);
  printf("then killed: %d\n", WTERMSIG(st));
  return 0;
}
