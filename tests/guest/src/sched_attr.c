/* sched_setattr/sched_getattr for the unprivileged user (kernel/sched/syscalls.c): struct
   sched_attr size rules (0 is SCHED_ATTR_SIZE_VER0, too small or a non-zero tail past the
   kernel's struct E2BIG with its size written back, a zero tail accepted; getattr's size
   EINVAL outside VER0..4096 and reports min(size, 56)), OTHER/BATCH/IDLE with nice (agreeing
   with getpriority/sched_getscheduler), real-time EPERM without RLIMIT_RTPRIO and allowed
   with it (nice kept, priority reported), SCHED_DEADLINE EINVAL for bad parameters and EPERM
   for good ones, SCHED_FLAG_RESET_ON_FORK (cannot be cleared), KEEP_POLICY/KEEP_PARAMS,
   utilization clamps EOPNOTSUPP (a kernel without CONFIG_UCLAMP_TASK, as the reference
   host: no frequency scaling to hint; util reported 0..0), VER0 size with them EINVAL, unknown flags, flags argument, pid 0/self/
   thread/missing, EFAULT. */
#include "pm.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/sched.h>

/* linux/sched/types.h's layout (that header redefines glibc's struct sched_param). */
struct sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

static long setattr(int pid, struct sched_attr *a, unsigned flags) {
  return syscall(SYS_sched_setattr, pid, a, flags);
}
static long getattr(int pid, struct sched_attr *a, unsigned size, unsigned flags) {
  return syscall(SYS_sched_getattr, pid, a, size, flags);
}

#define R(expr) do { errno = 0; long r_ = (expr); printf("%-58s = %ld%s%s\n", #expr, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static void show(int pid, const char *what) {
  struct sched_attr a;
  memset(&a, 0xab, sizeof a);
  long r = getattr(pid, &a, sizeof a, 0);
  if (r) { printf("%s: getattr %s\n", what, strerror(errno)); return; }
  errno = 0;
  int gp = getpriority(PRIO_PROCESS, pid);
  struct sched_param sp;
  sched_getparam(pid, &sp);
  printf("%s: size %u policy %u flags %#llx nice %d prio %u util %u..%u | getscheduler %d getpriority %d getparam %d\n",
         what, a.size, a.sched_policy, (unsigned long long)a.sched_flags, a.sched_nice, a.sched_priority,
         a.sched_util_min, a.sched_util_max, sched_getscheduler(pid), gp, sp.sched_priority);
}

static struct sched_attr attr(unsigned policy, unsigned long long flags, int nice, unsigned prio) {
  struct sched_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.sched_policy = policy;
  a.sched_flags = flags;
  a.sched_nice = nice;
  a.sched_priority = prio;
  return a;
}

static volatile int thread_tid, thread_done;
static void *thr(void *arg) {
  (void)arg;
  thread_tid = syscall(SYS_gettid);
  while (!thread_done) sched_yield();
  return NULL;
}

int main(void) {
  /* The reference host cannot raise these for the unprivileged user (no CAP_SYS_RESOURCE
     there): only their refusals are checked here; sched_policy covers the rest. */
  struct rlimit z = {0, 0};
  setrlimit(RLIMIT_RTPRIO, &z);
  setrlimit(RLIMIT_NICE, &z);
  pm_drop_root();
  show(0, "start");

  /* getattr's size and arguments */
  struct sched_attr a;
  unsigned char big[128];
  memset(big, 0xee, sizeof big);
  R(getattr(0, (struct sched_attr *)big, 48, 0));
  printf("VER0 copy: size %u, byte 48 %#x\n", ((struct sched_attr *)big)->size, big[48]);
  memset(big, 0xee, sizeof big);
  R(getattr(0, (struct sched_attr *)big, 100, 0));
  printf("large copy: size %u, byte 56 %#x\n", ((struct sched_attr *)big)->size, big[56]);
  R(getattr(0, &a, 47, 0));
  /* usize > 4096 is EINVAL in Linux; qemu-user clamps it to its struct and succeeds: not printed. */
  R(getattr(0, &a, 4096, 0) == 0 ? 0 : -1);
  R(getattr(0, &a, sizeof a, 1));
  R(getattr(0, NULL, sizeof a, 0));
  R(getattr(-1, &a, sizeof a, 0));
  R(getattr(999999, &a, sizeof a, 0));
  R(getattr(0, (struct sched_attr *)8, sizeof a, 0));

  /* setattr's size rules */
  a = attr(SCHED_BATCH, 0, 3, 0);
  a.size = 0;
  R(setattr(0, &a, 0));
  show(0, "size 0, BATCH nice 3");
  a = attr(SCHED_OTHER, 0, 4, 0);
  a.size = 40;
  R(setattr(0, &a, 0));
  printf("size written back: %u\n", a.size);
  memset(big, 0, sizeof big);
  a = attr(SCHED_OTHER, 0, 5, 0);
  memcpy(big, &a, sizeof a);
  ((struct sched_attr *)big)->size = 100;
  R(setattr(0, (struct sched_attr *)big, 0));
  show(0, "size 100 zero tail, OTHER nice 5");
  big[99] = 1;
  R(setattr(0, (struct sched_attr *)big, 0));
  printf("size written back: %u\n", ((struct sched_attr *)big)->size);
  ((struct sched_attr *)big)->size = 4097;
  R(setattr(0, (struct sched_attr *)big, 0));
  printf("size written back: %u\n", ((struct sched_attr *)big)->size);
  a = attr(SCHED_OTHER, 0, 5, 0);
  R(setattr(0, &a, 1));
  R(setattr(-1, &a, 0));
  R(setattr(0, NULL, 0));
  R(setattr(999999, &a, 0));
  R(setattr(0, (struct sched_attr *)8, 0));

  /* policies, nice and priority */
  a = attr(SCHED_OTHER, 0, 2, 0);
  R(setattr(0, &a, 0));
  show(0, "OTHER nice 2 (lower: EPERM)");
  a = attr(SCHED_OTHER, 0, 30, 0);
  R(setattr(0, &a, 0));
  show(0, "OTHER nice 30 (clamped)");
  a = attr(SCHED_OTHER, 0, 19, 1);
  R(setattr(0, &a, 0));
  a = attr(SCHED_FIFO, 0, 0, 10);
  R(setattr(0, &a, 0));
  a = attr(SCHED_FIFO, 0, 0, 0);
  R(setattr(0, &a, 0));
  a = attr(SCHED_RR, 0, 0, 100);
  R(setattr(0, &a, 0));
  a = attr(4, 0, 0, 0);
  R(setattr(0, &a, 0));
  a = attr(7, 0, 0, 0);
  R(setattr(0, &a, 0));
  a = attr(-1, 0, 0, 0);
  R(setattr(0, &a, 0));
  /* SCHED_DEADLINE */
  a = attr(SCHED_DEADLINE, 0, 0, 0);
  R(setattr(0, &a, 0));
  a.sched_runtime = 10000000; a.sched_deadline = 30000000; a.sched_period = 100000000;
  R(setattr(0, &a, 0));
  a.sched_priority = 1;
  R(setattr(0, &a, 0));
  a.sched_priority = 0; a.sched_runtime = 100;
  R(setattr(0, &a, 0));
  a.sched_runtime = 40000000;
  R(setattr(0, &a, 0));
  a.sched_runtime = 10000000; a.sched_period = 20000000;
  R(setattr(0, &a, 0));
  a.sched_period = 10000000000ULL; a.sched_deadline = 10000000000ULL;
  R(setattr(0, &a, 0));
  a.sched_period = 0; a.sched_deadline = 50000;
  a.sched_runtime = 20000;
  R(setattr(0, &a, 0));
  a.sched_deadline = 200000;
  R(setattr(0, &a, 0));

  /* flags */
  a = attr(SCHED_OTHER, 0x80, 19, 0);
  R(setattr(0, &a, 0));
  a = attr(SCHED_OTHER, 0x10000000, 19, 0);
  R(setattr(0, &a, 0));
  a = attr(SCHED_BATCH, SCHED_FLAG_RESET_ON_FORK, 19, 0);
  R(setattr(0, &a, 0));
  show(0, "BATCH reset-on-fork");
  a = attr(SCHED_BATCH, 0, 19, 0);
  R(setattr(0, &a, 0));
  a = attr(SCHED_OTHER, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_POLICY, 19, 0);
  R(setattr(0, &a, 0));
  show(0, "KEEP_POLICY");
  a = attr(SCHED_OTHER, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_POLICY, 18, 0);
  R(setattr(0, &a, 0));
  a = attr(SCHED_OTHER, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_PARAMS, -20, 0);
  R(setattr(0, &a, 0));
  show(0, "KEEP_PARAMS to OTHER");
  a = attr(SCHED_FIFO, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_PARAMS, 0, 0);
  R(setattr(0, &a, 0));
  a = attr(SCHED_FIFO, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_ALL, -20, 0);
  R(setattr(0, &a, 0));
  show(0, "KEEP_ALL");

  /* utilization clamps */
  a = attr(SCHED_BATCH, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_UTIL_CLAMP, 19, 0);
  a.sched_util_min = 100; a.sched_util_max = 700;
  R(setattr(0, &a, 0));
  show(0, "util 100..700");
  a.size = 48;
  R(setattr(0, &a, 0));
  a.size = sizeof a;
  a.sched_util_min = 800;
  R(setattr(0, &a, 0));
  a.sched_util_min = 0; a.sched_util_max = 1025;
  R(setattr(0, &a, 0));
  a = attr(SCHED_BATCH, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_UTIL_CLAMP_MIN, 19, 0);
  a.sched_util_min = 900;
  R(setattr(0, &a, 0));
  a.sched_util_min = 600;
  R(setattr(0, &a, 0));
  show(0, "util min 600");
  a = attr(SCHED_BATCH, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_UTIL_CLAMP, 19, 0);
  a.sched_util_min = -1; a.sched_util_max = -1;
  R(setattr(0, &a, 0));
  show(0, "util reset");

  /* another thread, by its id */
  pthread_t th;
  pthread_create(&th, NULL, thr, NULL);
  while (!thread_tid) sched_yield();
  show(thread_tid, "thread");
  a = attr(SCHED_OTHER, 0, 19, 0);
  R(setattr(thread_tid, &a, 0));
  a = attr(SCHED_IDLE, 0, 19, 0);
  R(setattr(thread_tid, &a, 0));
  show(thread_tid, "thread IDLE");
  show(0, "main after thread");
  a = attr(SCHED_IDLE, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_PARAMS, 0, 0);
  R(setattr(0, &a, 0));
  show(0, "KEEP_PARAMS to IDLE");
  a = attr(SCHED_IDLE, SCHED_FLAG_RESET_ON_FORK, 19, 0);
  R(setattr(0, &a, 0));
  show(0, "IDLE");
  a = attr(SCHED_BATCH, SCHED_FLAG_RESET_ON_FORK, 19, 0);
  R(setattr(0, &a, 0));
  a = attr(SCHED_IDLE, SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_POLICY, 19, 0);
  R(setattr(0, &a, 0));
  thread_done = 1;
  pthread_join(th, NULL);
  return 0;
}
