/* sched_yield, sched_getaffinity (size rules, EINVAL, EFAULT, ESRCH) and CPU 0 in the mask. */
#include "pm.h"
#include <sched.h>
#include <sys/syscall.h>

int main(void) {
  printf("sched_yield: %d\n", sched_yield());
  cpu_set_t set;
  CPU_ZERO(&set);
  int r = sched_getaffinity(0, sizeof set, &set);
  printf("getaffinity: ret=%d cpu0=%d count>=1=%d\n", r, CPU_ISSET(0, &set), CPU_COUNT(&set) >= 1);
  unsigned long mask[16];
  long n = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
  printf("raw: at_least_8=%d multiple_of_8=%d\n", n >= 8, n > 0 && n % 8 == 0);
  ERR("len 4", syscall(SYS_sched_getaffinity, 0, 4, mask));
  ERR("len 12", syscall(SYS_sched_getaffinity, 0, 12, mask));
  ERR("bad ptr", syscall(SYS_sched_getaffinity, 0, sizeof mask, (void *)8));
  ERR("no such pid", syscall(SYS_sched_getaffinity, 0x3ffffff0, sizeof mask, mask));
  ERR("self by pid", syscall(SYS_sched_getaffinity, getpid(), sizeof mask, mask));
  return 0;
}
