/* Clocks: clock_gettime on every clock (REALTIME, MONOTONIC, MONOTONIC_RAW, BOOTTIME, the
   *_COARSE ones, PROCESS/THREAD_CPUTIME_ID, a thread's CPU clock), monotonicity, resolution
   bounds, EINVAL/EFAULT, gettimeofday, clock_nanosleep's rules (it returns the error
   number), nanosleep EINVAL, and clock_settime refused for an ordinary user. */
#include "pm.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static double ts(struct timespec t) { return t.tv_sec + t.tv_nsec / 1e9; }

int main(void) {
  pm_drop_root(); /* so that clock_settime fails as it does for the enclave's user */
  struct { clockid_t id; const char *name; } cl[] = {
    {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"}, {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME"},
    {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME"}, {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"}, {CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
    {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"}, {CLOCK_BOOTTIME, "BOOTTIME"},
  };
  for (unsigned i = 0; i < sizeof cl / sizeof cl[0]; i++) {
    struct timespec a, b, r;
    int ra = clock_gettime(cl[i].id, &a);
    for (volatile int k = 0; k < 200000; k++) {}
    clock_gettime(cl[i].id, &b);
    int rr = clock_getres(cl[i].id, &r);
    printf("%-16s gettime=%d nondecreasing=%d nsec_ok=%d getres=%d res_ok=%d\n", cl[i].name, ra, ts(b) >= ts(a),
           a.tv_nsec >= 0 && a.tv_nsec < 1000000000, rr, r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000);
  }
  struct timespec rt, mono;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  printf("realtime after 2020: %d\n", rt.tv_sec > 1577836800);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  printf("gettimeofday close to realtime: %d usec_ok=%d\n", tv.tv_sec - rt.tv_sec <= 1 && tv.tv_sec >= rt.tv_sec, tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  struct timezone tz;
  printf("gettimeofday tz: %d\n", gettimeofday(&tv, &tz));
  ERR("gettime bad clock", clock_gettime(99, &rt));
  ERR("gettime negative clock", clock_gettime(-100, &rt));
  ERR("getres bad clock", clock_getres(99, &rt));
  ERR("getres NULL", clock_getres(CLOCK_MONOTONIC, NULL));
  ERR("gettime EFAULT", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));
  /* (clock_getres and nanosleep with a bad pointer: EFAULT on Linux and TEE OS; qemu 7.2 says
     0 and EINVAL: not compared) */
  ERR("gettimeofday EFAULT", syscall(SYS_gettimeofday, (void *)8, NULL));
  ERR("settime as user", clock_settime(CLOCK_REALTIME, &rt));
  ERR("settime monotonic", clock_settime(CLOCK_MONOTONIC, &mono));
  clockid_t cid;
  printf("pthread_getcpuclockid: %d\n", pthread_getcpuclockid(pthread_self(), &cid));
  struct timespec c;
  printf("thread cpu clock: %d\n", clock_gettime(cid, &c));
  struct timespec bad = {0, 1000000000}, neg = {-1, 0}, zero = {0, 0};
  ERR("nanosleep nsec 1e9", nanosleep(&bad, NULL));
  ERR("nanosleep negative", nanosleep(&neg, NULL));
  ERR("nanosleep zero", nanosleep(&zero, NULL));
  printf("clock_nanosleep bad clock: %s\n", strerrorname_np(clock_nanosleep(99, 0, &zero, NULL)));
  printf("clock_nanosleep thread cputime: %s\n", strerrorname_np(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &zero, NULL)));
  printf("clock_nanosleep bad ts: %s\n", strerrorname_np(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL)));
  struct timespec past = {1, 0};
  printf("clock_nanosleep abs past: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
  struct timespec t0, t1, d = {0, 20000000};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("slept at least 20ms: %d\n", ts(t1) - ts(t0) >= 0.02);
  clock_gettime(CLOCK_REALTIME, &t0);
  t0.tv_nsec += 20000000;
  if (t0.tv_nsec >= 1000000000) { t0.tv_sec++; t0.tv_nsec -= 1000000000; }
  printf("realtime abs: %d\n", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t0, NULL));
  clock_gettime(CLOCK_REALTIME, &t1);
  printf("reached: %d\n", ts(t1) >= ts(t0));
  return 0;
}
