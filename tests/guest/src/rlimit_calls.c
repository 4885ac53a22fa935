/* The riscv64 kernel keeps the older getrlimit and setrlimit system calls beside prlimit64
   (__ARCH_WANT_SET_GET_RLIMIT; glibc uses prlimit64, other libcs and hand-written code the
   old ones). Called directly: they read and set the same limits prlimit64 sees, with
   do_prlimit's checks (EINVAL for a bad resource or cur > max, EPERM raising the hard limit
   or NOFILE past nr_open, EFAULT for a bad pointer, read before the resource is checked by
   setrlimit), and RLIMIT_NOFILE set this way bounds open(). */
#include "pm.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

struct k_rlimit { unsigned long cur, max; };

static void show(const char *label, int res) {
  struct k_rlimit r;
  long ret = syscall(SYS_getrlimit, res, &r);
  struct rlimit p;
  prlimit(0, res, NULL, &p);
  printf("%s: ret %ld cur %ld max %ld, prlimit64 %s\n", label, ret, (long)r.cur, (long)r.max,
         p.rlim_cur == r.cur && p.rlim_max == r.max ? "agrees" : "differs");
}

int main(void) {
  pm_drop_root();
  /* Starting values are the host's under qemu-user: only limits set here are printed. */
  struct k_rlimit r = {40, 64};
  SHOW("setrlimit NOFILE 40/64", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
  show("NOFILE", RLIMIT_NOFILE);
  r.cur = 50; r.max = 80;
  ERR("raise hard to 80", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
  r.cur = 70; r.max = 64;
  ERR("cur > max", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
  r.cur = -1UL; r.max = 64;
  ERR("cur infinite, max 64", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
  r.cur = 10; r.max = 10;
  ERR("bad resource 99 (set)", syscall(SYS_setrlimit, 99, &r));
  ERR("bad resource 99 (get)", syscall(SYS_getrlimit, 99, &r));
  ERR("bad resource -1 (get)", syscall(SYS_getrlimit, -1, &r));
  ERR("getrlimit bad pointer", syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8));
  ERR("setrlimit bad pointer", syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)8));
  ERR("setrlimit bad pointer, bad resource", syscall(SYS_setrlimit, 99, (void *)8));
  ERR("getrlimit bad pointer, bad resource", syscall(SYS_getrlimit, 99, (void *)8));
  r.cur = 8; r.max = 64;
  SHOW("setrlimit NOFILE 8/64", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
  int opened = 0;
  for (int i = 0; i < 20; i++) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) { printf("open stops after %d more: %s\n", opened, strerrorname_np(errno)); break; }
    opened++;
  }
  r.cur = 2; r.max = 2;
  SHOW("setrlimit CORE 2/2", syscall(SYS_setrlimit, RLIMIT_CORE, &r));
  show("CORE", RLIMIT_CORE);
  r.cur = 1; r.max = 3;
  ERR("CORE hard back up to 3", syscall(SYS_setrlimit, RLIMIT_CORE, &r));
  return 0;
}
