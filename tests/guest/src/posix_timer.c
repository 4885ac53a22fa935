/* POSIX timers: SIGEV_SIGNAL with a value, SIGEV_THREAD_ID to one thread, SIGEV_THREAD
   (glibc's helper thread runs the function), SIGEV_NONE counting down, overruns while the
   signal is blocked, CPU-time timers, and EINVAL for bad clocks, ids, signals, values. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

static volatile int hits, val, overrun, in_tid;
static void on(int s, siginfo_t *si, void *uc) {
  (void)s; (void)uc;
  hits++;
  val = si->si_value.sival_int;
  if (si->si_overrun > overrun) overrun = si->si_overrun;
  in_tid = syscall(SYS_gettid);
}
static volatile int thread_calls, thread_val;
static void tfn(union sigval v) { thread_calls++; thread_val = v.sival_int; }
static volatile int ttid, stop;
static void *worker(void *a) { (void)a; ttid = syscall(SYS_gettid); while (!stop) usleep(1000); return NULL; }
static void arm(timer_t t, long first_ns, long interval_ns) {
  struct itimerspec its = {{interval_ns / 1000000000, interval_ns % 1000000000}, {first_ns / 1000000000, first_ns % 1000000000}};
  timer_settime(t, 0, &its, NULL);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN + 2, &sa, NULL);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGRTMIN + 2;
  ev.sigev_value.sival_int = 77;
  timer_t t1;
  printf("create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t1));
  arm(t1, 10000000, 0);
  while (!hits) pause();
  printf("SIGEV_SIGNAL: hits=%d value=%d\n", hits, val);
  /* overruns: a 1 ms period with the signal blocked for 50 ms */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 2);
  sigprocmask(SIG_BLOCK, &s, NULL);
  hits = 0;
  arm(t1, 1000000, 1000000);
  usleep(50000);
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  arm(t1, 0, 0);
  printf("blocked periodic: delivered=%d overrun>0=%d getoverrun>0=%d\n", hits >= 1, overrun > 0, timer_getoverrun(t1) > 0);
  /* SIGEV_NONE */
  ev.sigev_notify = SIGEV_NONE;
  timer_t t2;
  timer_create(CLOCK_MONOTONIC, &ev, &t2);
  arm(t2, 2000000000, 0);
  struct itimerspec cur;
  timer_gettime(t2, &cur);
  printf("SIGEV_NONE: remaining<=2s %d >1s %d\n", cur.it_value.tv_sec <= 1 || (cur.it_value.tv_sec == 2 && cur.it_value.tv_nsec == 0), cur.it_value.tv_sec >= 1);
  timer_delete(t2);
  /* SIGEV_THREAD_ID */
  pthread_t w;
  pthread_create(&w, NULL, worker, NULL);
  while (!ttid) sched_yield();
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev._sigev_un._tid = ttid;
  ev.sigev_signo = SIGRTMIN + 2;
  timer_t t3;
  printf("create thread_id: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t3));
  hits = 0;
  arm(t3, 5000000, 0);
  while (!hits) sched_yield();
  printf("SIGEV_THREAD_ID: in that thread=%d\n", in_tid == ttid);
  ev._sigev_un._tid = 0x3ffffff0;
  ERR("thread_id missing", timer_create(CLOCK_MONOTONIC, &ev, &t2));
  stop = 1;
  pthread_join(w, NULL);
  /* SIGEV_THREAD through glibc */
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = tfn;
  ev.sigev_value.sival_int = 99;
  timer_t t4;
  printf("create SIGEV_THREAD: %d\n", timer_create(CLOCK_REALTIME, &ev, &t4));
  arm(t4, 5000000, 0);
  while (!thread_calls) usleep(1000);
  printf("SIGEV_THREAD: calls=%d value=%d\n", thread_calls, thread_val);
  timer_delete(t4);
  /* CPU-time timer */
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGRTMIN + 2;
  timer_t t5;
  printf("create cputime: %d\n", timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t5));
  hits = 0;
  arm(t5, 10000000, 0);
  volatile unsigned long spin = 0;
  while (!hits) spin++;
  printf("cputime fired: %d\n", hits);
  /* errors */
  ERR("bad clock", timer_create(99, &ev, &t2));
  ev.sigev_signo = 0;
  ERR("signo 0", timer_create(CLOCK_MONOTONIC, &ev, &t2));
  ev.sigev_signo = 65;
  ERR("signo 65", timer_create(CLOCK_MONOTONIC, &ev, &t2));
  ev.sigev_signo = SIGUSR1;
  ev.sigev_notify = 77;
  ERR("bad notify", timer_create(CLOCK_MONOTONIC, &ev, &t2));
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};
  ERR("settime bad nsec", timer_settime(t1, 0, &bad, NULL));
  ERR("settime bad id", syscall(SYS_timer_settime, 12345, 0, &bad, NULL));
  ERR("gettime bad id", syscall(SYS_timer_gettime, 12345, &cur));
  ERR("getoverrun bad id", syscall(SYS_timer_getoverrun, 12345));
  ERR("delete", timer_delete(t1));
  ERR("delete again", syscall(SYS_timer_delete, (long)t1));
  ERR("create EFAULT", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, (void *)8));
  return 0;
}
