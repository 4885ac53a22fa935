/* Process-directed signals while every thread blocks them wait for the process as a whole:
   a thread that calls sigwait later takes one sent before it started waiting, a thread that
   unblocks it later runs the handler, sigpending in any thread shows it, and standard
   signals coalesce while real-time ones queue. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

static sigset_t usr;
static volatile pid_t handled_by;
static void on_usr2(int s) { (void)s; handled_by = syscall(SYS_gettid); }

static volatile int phase;
static void *waiter(void *arg) {
  (void)arg;
  while (phase == 0) usleep(1000);
  int sig = 0;
  sigwait(&usr, &sig); /* SIGUSR1 was sent before this thread waited */
  sigset_t p;
  sigpending(&p);
  printf("thread: sigwait got %s, still pending USR1 %d\n", sigabbrev_np(sig), sigismember(&p, SIGUSR1));
  return NULL;
}

static volatile pid_t worker_tid;
static void *unblocker(void *arg) {
  (void)arg;
  worker_tid = syscall(SYS_gettid);
  while (phase < 2) usleep(1000);
  sigset_t p;
  sigpending(&p);
  printf("worker: sees USR2 pending %d\n", sigismember(&p, SIGUSR2));
  sigset_t u;
  sigemptyset(&u);
  sigaddset(&u, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &u, NULL); /* the process's pending SIGUSR2 runs here */
  return NULL;
}

int main(void) {
  sigemptyset(&usr);
  sigaddset(&usr, SIGUSR1);
  sigset_t all;
  sigemptyset(&all);
  sigaddset(&all, SIGUSR1);
  sigaddset(&all, SIGUSR2);
  sigaddset(&all, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* inherited by every thread */
  signal(SIGUSR2, on_usr2);
  pthread_t a, b;
  pthread_create(&a, NULL, waiter, NULL);
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR1); /* coalesces */
  sigset_t p;
  sigpending(&p);
  printf("main: USR1 pending %d\n", sigismember(&p, SIGUSR1));
  phase = 1;
  pthread_join(a, NULL);
  pthread_create(&b, NULL, unblocker, NULL);
  while (!worker_tid) usleep(1000);
  kill(getpid(), SIGUSR2);
  phase = 2;
  pthread_join(b, NULL);
  printf("SIGUSR2 handled by the thread that unblocked it: %d\n", handled_by == worker_tid);
  /* real-time: every instance stays queued for the process */
  for (int i = 0; i < 3; i++) sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN);
  siginfo_t si;
  struct timespec ts = {0, 0};
  for (int i = 0; i < 4; i++) {
    errno = 0;
    int r = sigtimedwait(&rt, &si, &ts);
    if (r < 0) printf("rt %d: %s\n", i, strerrorname_np(errno));
    else printf("rt %d: value %d\n", i, si.si_value.sival_int);
  }
  return 0;
}
