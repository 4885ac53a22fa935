/* kill/tkill/tgkill: to a pid, to the own group (0), to a group (-pgid), to -1 (every other
   process we may signal, never the caller), existence checks with signal 0 (a zombie still
   exists), ESRCH and EINVAL; tgkill to a given thread; process-directed signals go to a
   thread that does not block them. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static volatile long handled_by;
static void on_usr1(int s) { (void)s; handled_by = syscall(SYS_gettid); }
static volatile long ttid;
static volatile int stop;
static void *worker(void *a) { (void)a; ttid = syscall(SYS_gettid); while (!stop) usleep(1000); return NULL; }
static pid_t spawn_waiting(void) {
  pid_t p = fork();
  if (p == 0) { for (;;) pause(); }
  return p;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root(); /* kill(-1) below must only reach our own processes */
  int st;
  ERR("kill bad sig", kill(getpid(), 65));
  ERR("kill negative sig", kill(getpid(), -1));
  ERR("kill self 0", kill(getpid(), 0));
  ERR("kill missing", kill(0x3ffffff0, 0));
  ERR("kill missing group", kill(-0x3ffffff0, 0));
  pid_t a = spawn_waiting();
  ERR("kill child 0", kill(a, 0));
  ERR("kill child TERM", kill(a, SIGTERM));
  siginfo_t si;
  waitid(P_PID, a, &si, WEXITED | WNOWAIT);
  ERR("kill zombie 0", kill(a, 0));
  waitpid(a, &st, 0);
  printf("child: sig=%d\n", WTERMSIG(st));
  ERR("kill reaped", kill(a, 0));
  /* own group: children in our group get it; we ignore it */
  signal(SIGUSR2, SIG_IGN);
  a = spawn_waiting();
  pid_t b = spawn_waiting();
  usleep(10000);
  ERR("kill group 0", kill(0, SIGUSR2)); /* the children inherited SIG_IGN: nothing happens */
  ERR("kill -pgrp", kill(-getpgrp(), 0));
  /* -1: every other process, never the caller */
  signal(SIGHUP, SIG_DFL);
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  sigprocmask(SIG_BLOCK, &hup, NULL);
  ERR("kill -1 HUP", kill(-1, SIGHUP));
  waitpid(a, &st, 0);
  printf("-1 reached a: sig=%d\n", WTERMSIG(st));
  waitpid(b, &st, 0);
  printf("-1 reached b: sig=%d\n", WTERMSIG(st));
  sigset_t pend;
  sigpending(&pend);
  printf("caller excluded: %d\n", !sigismember(&pend, SIGHUP));
  /* threads */
  signal(SIGUSR1, on_usr1);
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  while (!ttid) sched_yield();
  ERR("tgkill thread", syscall(SYS_tgkill, getpid(), ttid, SIGUSR1));
  while (!handled_by) sched_yield();
  printf("handled by that thread: %d\n", handled_by == ttid);
  ERR("tgkill wrong tgid", syscall(SYS_tgkill, getpid() + 0x3000000, ttid, 0));
  ERR("tgkill tgid 0", syscall(SYS_tgkill, 0, ttid, 0));
  ERR("tgkill bad sig", syscall(SYS_tgkill, getpid(), ttid, 99));
  ERR("tkill -1", syscall(SYS_tkill, -1, 0));
  ERR("tkill thread 0", syscall(SYS_tkill, ttid, 0));
  /* the main thread blocks SIGUSR1: a process-directed one goes to the worker */
  sigset_t u1;
  sigemptyset(&u1);
  sigaddset(&u1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &u1, NULL);
  handled_by = 0;
  kill(getpid(), SIGUSR1);
  while (!handled_by) sched_yield();
  printf("process-directed to the unblocked thread: %d\n", handled_by == ttid);
  stop = 1;
  pthread_join(t, NULL);
  ERR("tkill exited thread", syscall(SYS_tkill, ttid, 0));
  return 0;
}
