/* timerfd: create flags (EINVAL), gettime on a disarmed timer, a one-shot read (count 1),
 * periodic expirations counted, disarming, TFD_TIMER_ABSTIME with CLOCK_MONOTONIC and a
 * past time (fires at once), EAGAIN with TFD_NONBLOCK, reads smaller than 8 (EINVAL),
 * settime errors (EINVAL nsec, bad flags, EBADF, not a timerfd), poll readiness, and the
 * old value returned by settime. */
#include "fsutil.h"
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>

int main(void) {
  T(timerfd_create(CLOCK_MONOTONIC, 0x1234));
  T(timerfd_create(99, 0));
  T(timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC) >= 0);
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec cur;
  T(timerfd_gettime(t, &cur));
  printf("disarmed: %ld %ld %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
  uint64_t n = 0;
  T(read(t, &n, 8));
  struct itimerspec one = { { 0, 0 }, { 0, 20000000 } };
  struct itimerspec two = { { 0, 0 }, { 2, 0 } };
  T(timerfd_settime(t, 0, &two, NULL));
  T(timerfd_gettime(t, &cur));
  printf("armed: value in (0,2s]: %d interval 0: %d\n", (cur.it_value.tv_sec == 1 && cur.it_value.tv_nsec > 0) || (cur.it_value.tv_sec == 2 && cur.it_value.tv_nsec == 0), cur.it_interval.tv_nsec == 0);
  T(timerfd_settime(t, 0, &one, NULL));
  struct pollfd pf = { t, POLLIN, 0 };
  T(poll(&pf, 1, 1000));
  printf("revents %#x\n", pf.revents);
  T(read(t, &n, 8));
  printf("count %llu\n", (unsigned long long)n);
  T(read(t, &n, 8));
  T(read(t, &n, 4));
  /* periodic: 10 ms, wait ~55 ms */
  struct itimerspec per = { { 0, 10000000 }, { 0, 10000000 } };
  struct itimerspec old;
  T(timerfd_settime(t, 0, &per, &old));
  printf("old value was disarmed: %d\n", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
  usleep(55000);
  T(read(t, &n, 8));
  printf("periodic count >= 4: %d\n", n >= 4);
  struct itimerspec off = { { 0, 0 }, { 0, 0 } };
  T(timerfd_settime(t, 0, &off, &old));
  printf("old interval 10ms: %d\n", old.it_interval.tv_nsec == 10000000);
  usleep(20000);
  T(read(t, &n, 8));
  /* absolute, in the past: fires at once */
  /* 1 ns after the clock's zero: always in the past (an enclave's monotonic clock starts near 0) */
  struct itimerspec abs = { { 0, 0 }, { 0, 1 } };
  T(timerfd_settime(t, TFD_TIMER_ABSTIME, &abs, NULL));
  T(read(t, &n, 8));
  printf("count %llu\n", (unsigned long long)n);
  /* blocking read */
  int b = timerfd_create(CLOCK_MONOTONIC, 0);
  T(timerfd_settime(b, 0, &one, NULL));
  T(read(b, &n, 8));
  printf("blocking count %llu\n", (unsigned long long)n);
  /* errors */
  struct itimerspec bad = { { 0, 0 }, { 0, 1000000000 } };
  T(timerfd_settime(t, 0, &bad, NULL));
  T(timerfd_settime(t, 0x10, &one, NULL));
  T(timerfd_settime(99, 0, &one, NULL));
  T(timerfd_settime(0, 0, &one, NULL));
  T(timerfd_gettime(0, &cur));
  T(timerfd_settime(t, 0, (struct itimerspec *)8, NULL));
  T(timerfd_gettime(t, (struct itimerspec *)8));
  T(write(t, &n, 8));
  T(lseek(t, 0, SEEK_SET));
  return 0;
}
