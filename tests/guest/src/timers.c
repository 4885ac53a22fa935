/* Time and timers: nanosleep and clock_nanosleep (relative and TIMER_ABSTIME), EINTR with
   the remaining time, alarm and setitimer (REAL, VIRTUAL), POSIX timers with SIGEV_SIGNAL
   and overruns, sigsuspend woken by a timer, monotonic clocks, and a thread spinning
   forever that must not starve the main thread. Prints only facts, never durations. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alrm, vt, tmr;
static volatile int tmr_value;
static void on_alrm(int s) { (void)s; alrm++; }
static void on_vt(int s) { (void)s; vt++; }
static void on_tmr(int s, siginfo_t *si, void *u) { (void)s; (void)u; tmr++; tmr_value = si->si_value.sival_int; }

static double now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile int stop_spin;
static void *spin(void *arg) { (void)arg; while (!stop_spin) {} return NULL; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  double t0 = now(CLOCK_MONOTONIC);
  struct timespec req = {0, 30 * 1000000};
  int r = nanosleep(&req, NULL);
  double dt = now(CLOCK_MONOTONIC) - t0;
  printf("nanosleep: ret=%d slept_enough=%d\n", r, dt >= 0.029);

  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 20 * 1000000;
  if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
  struct timespec after;
  clock_gettime(CLOCK_MONOTONIC, &after);
  printf("clock_nanosleep abs: ret=%d reached=%d\n", r, after.tv_sec > abs.tv_sec || (after.tv_sec == abs.tv_sec && after.tv_nsec >= abs.tv_nsec));
  printf("bad timespec: ret=%d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, 2000000000L}, NULL));

  /* alarm interrupts a long sleep: EINTR and a remaining time */
  signal(SIGALRM, on_alrm);
  struct itimerval it = {{0, 0}, {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec lreq = {5, 0}, rem = {0, 0};
  errno = 0;
  r = nanosleep(&lreq, &rem);
  printf("interrupted sleep: ret=%d errno=%d alrm=%d rem_ok=%d\n", r, errno, alrm, rem.tv_sec >= 3 && rem.tv_sec <= 5);

  /* getitimer of a disarmed timer, alarm() return values */
  struct itimerval cur;
  getitimer(ITIMER_REAL, &cur);
  printf("disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
  alarm(100);
  printf("alarm previous: %u\n", alarm(0));

  /* periodic ITIMER_REAL and pause() */
  alrm = 0;
  struct itimerval per = {{0, 10000}, {0, 10000}};
  setitimer(ITIMER_REAL, &per, NULL);
  while (alrm < 3) pause();
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("periodic: alrm>=3 %d\n", alrm >= 3);

  /* ITIMER_VIRTUAL counts CPU time only */
  signal(SIGVTALRM, on_vt);
  struct itimerval v = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_VIRTUAL, &v, NULL);
  while (!vt) {}
  printf("virtual: fired=%d\n", vt);

  /* POSIX timer with SIGEV_SIGNAL and a value */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_tmr;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, NULL);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGRTMIN;
  sev.sigev_value.sival_int = 4242;
  timer_t tid;
  r = timer_create(CLOCK_MONOTONIC, &sev, &tid);
  struct itimerspec its = {{0, 0}, {0, 15000000}};
  timer_settime(tid, 0, &its, NULL);
  sigset_t none;
  sigemptyset(&none);
  while (!tmr) sigsuspend(&none);
  printf("posix timer: create=%d fired=%d value=%d\n", r, tmr, tmr_value);
  struct itimerspec g;
  timer_gettime(tid, &g);
  printf("posix timer disarmed: %d\n", g.it_value.tv_sec == 0 && g.it_value.tv_nsec == 0);
  printf("timer_delete: %d %d\n", timer_delete(tid), timer_delete(tid) == -1 && errno == EINVAL);

  /* a spinning thread does not starve main */
  pthread_t th;
  pthread_create(&th, NULL, spin, NULL);
  volatile long sum = 0;
  for (long i = 0; i < 3000000; i++) sum += i;
  stop_spin = 1;
  pthread_join(th, NULL);
  printf("spinner: joined, sum=%ld\n", (long)sum);

  /* monotonic and process CPU clocks move forward */
  double a = now(CLOCK_MONOTONIC), b = now(CLOCK_MONOTONIC);
  double c1 = now(CLOCK_PROCESS_CPUTIME_ID);
  for (volatile int i = 0; i < 100000; i++) {}
  double c2 = now(CLOCK_PROCESS_CPUTIME_ID);
  printf("monotonic: %d cputime: %d realtime_sane: %d\n", b >= a, c2 > c1, now(CLOCK_REALTIME) > 1.6e9);
  struct timespec res;
  printf("getres: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
  return 0;
}
