/* mlock, mlock2, munlock, mlockall, munlockall and MAP_LOCKED (mm/mlock.c) as uid 1000, under a
   RLIMIT_MEMLOCK of 256 KiB set here: VmLck accounting in /proc/self/status, the limit (ENOMEM,
   EAGAIN for MAP_LOCKED and for mmap under MCL_FUTURE), holes (ENOMEM), bad flags (EINVAL), a
   zero limit (EPERM), locks not inherited by fork. With the argument "linux": what qemu 7.2
   gets wrong (tests/process.test.ts; native Linux 6.18 prints the same): mlock2 (ENOSYS in
   qemu), mlockall with an unknown flag (qemu drops it), mmap over the limit under MCL_FUTURE
   (EAGAIN from do_mmap's mlock_future_ok; qemu's own host mappings fail first: ENOMEM). */
#include "pm.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static long vmlck(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f)) if (sscanf(line, "VmLck: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static int linux_only(void) {
  char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW("mlock2 MLOCK_ONFAULT", mlock2(m + (128 << 10), 16 << 10, MLOCK_ONFAULT));
  printf("VmLck: %ld kB\n", vmlck());
  SHOW("mlock2 bad flags", mlock2(m, 4096, 2));
  SHOW("mlockall bad flag", mlockall(MCL_FUTURE | 8));
  SHOW("munmap the 1 MiB", munmap(m, 1 << 20));
  SHOW("mlockall MCL_FUTURE", mlockall(MCL_FUTURE));
  char *f2 = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 1 MiB under MCL_FUTURE: %s\n", f2 == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  SHOW("munlockall", munlockall());
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  struct rlimit rl = { 256 << 10, 256 << 10 };
  SHOW("RLIMIT_MEMLOCK 256 KiB", setrlimit(RLIMIT_MEMLOCK, &rl));
  if (argc > 1 && strcmp(argv[1], "linux") == 0) return linux_only();
  char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("VmLck at start: %ld kB\n", vmlck());
  SHOW("mlock 64 KiB", mlock(m, 64 << 10));
  printf("VmLck: %ld kB\n", vmlck());
  SHOW("mlock the same 64 KiB again", mlock(m, 64 << 10));
  printf("VmLck: %ld kB\n", vmlck());
  SHOW("mlock 1 byte into the next page (whole page)", mlock(m + (64 << 10) + 100, 1));
  printf("VmLck: %ld kB\n", vmlck());
  SHOW("mlock 512 KiB (over the limit)", mlock(m, 512 << 10));
  printf("VmLck: %ld kB\n", vmlck());
  SHOW("mlock of length 0", mlock(m, 0));
  SHOW("munlock 32 KiB in the middle", munlock(m + (16 << 10), 32 << 10));
  printf("VmLck: %ld kB\n", vmlck());
  /* a hole */
  SHOW("munmap 4 KiB at 600 KiB", munmap(m + (600 << 10), 4096));
  SHOW("mlock across the hole", mlock(m + (596 << 10), 12 << 10));
  SHOW("munlock across the hole", munlock(m + (596 << 10), 12 << 10));
  /* fork: the child has no locks */
  pid_t p = fork();
  if (p == 0) { printf("child's VmLck: %ld kB\n", vmlck()); _exit(0); }
  waitpid(p, NULL, 0);
  SHOW("munlockall", munlockall());
  printf("VmLck: %ld kB\n", vmlck());
  /* MAP_LOCKED */
  char *l = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  printf("MAP_LOCKED 64 KiB: %s, VmLck %ld kB\n", l == MAP_FAILED ? strerrorname_np(errno) : "mapped", vmlck());
  void *big = mmap(NULL, 512 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  printf("MAP_LOCKED 512 KiB: %s\n", big == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  SHOW("munmap the MAP_LOCKED mapping", munmap(l, 64 << 10));
  printf("VmLck: %ld kB\n", vmlck());
  /* mlockall */
  SHOW("mlockall 0", mlockall(0));
  SHOW("mlockall MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
  SHOW("mlockall MCL_CURRENT (1 MiB mapped, over the limit)", mlockall(MCL_CURRENT));
  SHOW("munmap the 1 MiB", munmap(m, 1 << 20));
  SHOW("mlockall MCL_FUTURE", mlockall(MCL_FUTURE));
  printf("VmLck after MCL_FUTURE alone: %ld kB\n", vmlck());
  char *f1 = mmap(NULL, 32 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 32 KiB under MCL_FUTURE: %s, VmLck %ld kB\n", f1 == MAP_FAILED ? strerrorname_np(errno) : "mapped", vmlck());
  SHOW("munlockall", munlockall());
  char *f3 = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 1 MiB after munlockall: %s, VmLck %ld kB\n", f3 == MAP_FAILED ? strerrorname_np(errno) : "mapped", vmlck());
  /* no limit at all: EPERM */
  rl.rlim_cur = rl.rlim_max = 0;
  SHOW("RLIMIT_MEMLOCK 0", setrlimit(RLIMIT_MEMLOCK, &rl));
  SHOW("mlock with a zero limit", mlock(f3, 4096));
  SHOW("mlockall with a zero limit", mlockall(MCL_CURRENT));
  void *z = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  printf("MAP_LOCKED with a zero limit: %s\n", z == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  SHOW("munlock with a zero limit", munlock(f3, 4096));
  return 0;
}
