/* restart_syscall (128) called directly: -EINTR with no restart block (at start, after a sleep
   that ended normally, after rt_sigreturn). A relative nanosleep/clock_nanosleep interrupted by a
   handler returns EINTR even with SA_RESTART (-ERESTART_RESTARTBLOCK) and leaves a restart
   block: restart_syscall called inside that handler sleeps on to the original deadline and
   returns 0, and again at once (the block stays); an absolute clock_nanosleep leaves none. A
   FUTEX_WAIT with a timeout also ends in EINTR under SA_RESTART; its block waits to the same
   deadline (ETIMEDOUT) and is cleared by that (again: EINTR).
   A helper thread signals the sleeper until its sleep has been interrupted (no timed ordering).
   Not a qemu case (qemu 7.2: ENOSYS); the expected output is Linux 6.18's for the same source
   built natively. */
#include "pm.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <linux/futex.h>

static long rs(void) { return syscall(SYS_restart_syscall); }

static pid_t sleeper;
static volatile int stop;
static volatile long in_r1, in_e1, in_r2, in_e2;
static struct timespec deadline, woke;

static void *pester(void *arg) {
  (void)arg;
  while (!stop) {
    syscall(SYS_tgkill, getpid(), sleeper, SIGUSR1);
    sched_yield();
  }
  return NULL;
}

static void on_usr1(int sig) {
  (void)sig;
  if (stop) return;
  errno = 0;
  long r = rs();
  if (r == -1 && errno == EINTR) return; /* no sleep interrupted yet (or an absolute one) */
  in_r1 = r;
  in_e1 = errno;
  clock_gettime(CLOCK_MONOTONIC, &woke);
  errno = 0;
  in_r2 = rs();
  in_e2 = errno;
  stop = 1;
}

static int after(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

static void show(const char *label, long r, long e) {
  printf("%s: %ld %s\n", label, r, r == -1 ? strerrorname_np((int)e) : "ok");
}

static int fword;

/* kind 0: nanosleep, 1: clock_nanosleep relative, 2: clock_nanosleep TIMER_ABSTIME,
   3: FUTEX_WAIT with a relative timeout (futex_wait_restart clears the block before waiting). */
static void run(int kind, const char *name) {
  struct timespec req = {0, 300000000L}, rem = {-1, -1};
  stop = 0;
  in_r1 = in_r2 = 99;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_nsec += req.tv_nsec;
  if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000L; }
  pthread_t th;
  sleeper = gettid();
  pthread_create(&th, NULL, pester, NULL);
  long r;
  int e;
  if (kind == 0) { r = syscall(SYS_nanosleep, &req, &rem); e = errno; }
  else if (kind == 1) { e = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem); r = e ? -1 : 0; }
  else if (kind == 2) { e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, &rem); r = e ? -1 : 0; }
  else { r = syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, &req, NULL, 0); e = errno; }
  stop = 1;
  pthread_join(th, NULL);
  printf("%s:\n", name);
  show("  the sleep", r, e);
  if (kind != 2) {
    /* Linux's remaining time counts from the timer's hard expiry (with the 50 us timer slack). */
    if (kind < 2) printf("  rem written: %s\n", rem.tv_sec == 0 && rem.tv_nsec > 0 && rem.tv_nsec < 301000000L ? "yes" : "no");
    show("  restart_syscall in the handler", in_r1, in_e1);
    printf("  it slept to the original deadline: %s\n", in_r1 != 99 && after(&woke, &deadline) ? "yes" : "no");
    show("  again in the handler", in_r2, in_e2);
  } else {
    printf("  rem untouched: %s\n", rem.tv_sec == -1 ? "yes" : "no");
    printf("  restart_syscall in the handler found a block: %s\n", in_r1 == 99 ? "no" : "yes");
  }
  errno = 0;
  r = rs();
  show("  restart_syscall after the handler", r, errno);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  long r = rs();
  show("restart_syscall at start", r, errno);
  struct timespec t = {0, 1000000L};
  nanosleep(&t, NULL);
  errno = 0;
  r = rs();
  show("after a finished nanosleep", r, errno);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART; /* does not restart these sleeps */
  sigaction(SIGUSR1, &sa, NULL);
  run(0, "nanosleep");
  run(1, "clock_nanosleep relative");
  run(2, "clock_nanosleep TIMER_ABSTIME");
  run(3, "FUTEX_WAIT with a timeout");
  return 0;
}
