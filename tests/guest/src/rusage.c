/* getrusage (SELF, CHILDREN, THREAD, EINVAL, EFAULT) and times(): CPU time grows with work,
   children's time appears only after they are reaped. */
#include "pm.h"
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>

static double secs(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }
static volatile unsigned long sink;

int main(void) {
  struct rusage a, b, c;
  getrusage(RUSAGE_SELF, &a);
  for (unsigned long i = 0; i < 20000000; i++) sink += i;
  getrusage(RUSAGE_SELF, &b);
  printf("self grows: %d\n", secs(b.ru_utime) + secs(b.ru_stime) > secs(a.ru_utime) + secs(a.ru_stime));
  printf("usec in range: %d\n", b.ru_utime.tv_usec >= 0 && b.ru_utime.tv_usec < 1000000);
  printf("thread: %d\n", getrusage(RUSAGE_THREAD, &c));
  getrusage(RUSAGE_CHILDREN, &c);
  printf("children before: zero=%d\n", secs(c.ru_utime) + secs(c.ru_stime) == 0);
  pid_t p = fork();
  if (p == 0) {
    for (unsigned long i = 0; i < 30000000; i++) sink += i;
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  getrusage(RUSAGE_CHILDREN, &c);
  printf("children after: nonzero=%d\n", secs(c.ru_utime) + secs(c.ru_stime) > 0);
  ERR("who=5", getrusage(5, &c));
  ERR("who=-2", getrusage(-2, &c));
  ERR("bad ptr", syscall(SYS_getrusage, RUSAGE_SELF, (void *)8));
  struct tms t;
  clock_t r = times(&t);
  printf("times: ok=%d cutime>=0=%d\n", r != (clock_t)-1, t.tms_cutime >= 0);
  printf("times(NULL): ok=%d\n", times(NULL) != (clock_t)-1);
  ERR("times bad ptr", syscall(SYS_times, (void *)8));
  return 0;
}
