/* setitimer/getitimer: ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF each fire their signal;
   the old value comes back; a NULL new value disarms; EINVAL for a bad timer or usec;
   alarm()'s remaining seconds; alarms are not inherited by fork; SIGALRM's default action. */
#include "pm.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile int hits[32];
static void on(int s) { hits[s]++; }
static volatile unsigned long sink;

int main(void) {
  signal(SIGALRM, on);
  signal(SIGVTALRM, on);
  signal(SIGPROF, on);
  struct itimerval it = {{0, 0}, {0, 20000}}, old;
  setitimer(ITIMER_REAL, &it, NULL);
  while (!hits[SIGALRM]) pause();
  printf("REAL fired: %d\n", hits[SIGALRM]);
  setitimer(ITIMER_VIRTUAL, &it, NULL);
  while (!hits[SIGVTALRM]) sink++;
  printf("VIRTUAL fired: %d\n", hits[SIGVTALRM]);
  setitimer(ITIMER_PROF, &it, NULL);
  while (!hits[SIGPROF]) sink++;
  printf("PROF fired: %d\n", hits[SIGPROF]);
  struct itimerval five = {{1, 0}, {5, 0}};
  setitimer(ITIMER_REAL, &five, NULL);
  struct itimerval zero = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &zero, &old);
  printf("old: interval=%ld value_s<=5:%d >=4:%d\n", (long)old.it_interval.tv_sec, old.it_value.tv_sec <= 5, old.it_value.tv_sec >= 4);
  getitimer(ITIMER_REAL, &old);
  printf("disarmed: %ld %ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);
  setitimer(ITIMER_REAL, &five, NULL);
  ERR("NULL new value", syscall(SYS_setitimer, ITIMER_REAL, NULL, &old));
  getitimer(ITIMER_REAL, &old);
  printf("after NULL: value=%ld\n", (long)old.it_value.tv_sec);
  ERR("bad which", setitimer(5, &it, NULL));
  ERR("getitimer bad which", getitimer(-1, &old));
  struct itimerval badu = {{0, 0}, {0, 1000000}};
  ERR("usec 1e6", setitimer(ITIMER_REAL, &badu, NULL));
  struct itimerval negs = {{0, 0}, {-1, 0}};
  ERR("negative sec", setitimer(ITIMER_REAL, &negs, NULL));
  ERR("EFAULT new", syscall(SYS_setitimer, ITIMER_REAL, (void *)8, NULL));
  ERR("EFAULT get", syscall(SYS_getitimer, ITIMER_REAL, (void *)8));
  alarm(10);
  printf("alarm remaining: %u\n", alarm(3));
  pid_t p = fork();
  if (p == 0) {
    struct itimerval c;
    getitimer(ITIMER_REAL, &c);
    _exit(c.it_value.tv_sec == 0 && c.it_value.tv_usec == 0 ? 0 : 1);
  }
  int st;
  waitpid(p, &st, 0);
  printf("fork child has no alarm: %d\n", WEXITSTATUS(st) == 0);
  /* Rounded remaining seconds of the alarm(3) set before the fork: the fork left the parent's
     alarm armed. A range, not 3: a fork on the SGX model (a new enclave) can take over the
     half second that would round 2.5 s down to 2 (the rounding itself: "alarm remaining"). */
  unsigned left = alarm(0);
  printf("alarm(0) returns 1..3: %d\n", left >= 1 && left <= 3);
  p = fork();
  if (p == 0) {
    signal(SIGALRM, SIG_DFL);
    alarm(1);
    for (;;) pause();
  }
  waitpid(p, &st, 0);
  printf("SIGALRM default: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  return 0;
}
