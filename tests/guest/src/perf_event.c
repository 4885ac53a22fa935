/* perf_event_open (241) as uid 1000 under kernel.perf_event_paranoid 2: perf_copy_attr's
   checks (size, reserved fields, flag combinations), perf_allow_kernel (exclude_kernel
   needed), pid/cpu/group_fd checks, unknown types and configs, software events counting the
   caller (task-clock frozen while disabled, reset, page faults of touched pages, context
   switches and migrations excluded with kernel mode, dummy), read formats (group, ids, times)
   and ENOSPC, the ioctls, prctl PR_TASK_PERF_EVENTS_*, /proc/self/fd's name, enable_on_exec
   across execve, inherit to later threads (inherit_thread). Only facts that are the same on x86-64 and riscv64 are printed (no counts).
   Not a qemu case (qemu-user passes the call to the host); the expected output is Linux
   6.18's (x86-64, a guest without a PMU) for the same source built natively, run as root with
   perf_event_paranoid 2 and dropping to uid 1000.
   `perf_event enclave`: what only the enclave can print (tests/linux-ref.test.ts): inherit to
   a child process (native Linux: counted; sgx: EOPNOTSUPP, the child is another enclave), the
   hardware instructions counter's exactness, and the refusals of what it does not implement. */
#include "pm.h"
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/wait.h>

static int peo(struct perf_event_attr *a, int pid, int cpu, int group, unsigned long flags) {
  return syscall(SYS_perf_event_open, a, pid, cpu, group, flags);
}

static void init(struct perf_event_attr *a, unsigned type, unsigned long long config) {
  memset(a, 0, sizeof *a);
  a->size = sizeof *a;
  a->type = type;
  a->config = config;
  a->exclude_kernel = 1;
  a->exclude_hv = 1;
}

static int sw(unsigned long long config, int disabled, unsigned long long fmt) {
  struct perf_event_attr a;
  init(&a, PERF_TYPE_SOFTWARE, config);
  a.disabled = disabled;
  a.read_format = fmt;
  return peo(&a, 0, -1, -1, 0);
}

static uint64_t value(int fd) {
  uint64_t v = 0;
  if (read(fd, &v, sizeof v) != sizeof v) return (uint64_t)-1;
  return v;
}

static volatile unsigned long sink;
static void busy(long n) {
  for (long i = 0; i < n; i++) sink += i;
}

static void errors(void) {
  struct perf_event_attr a;
  unsigned char big[256];
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  SHOW("flags 0x10", peo(&a, 0, -1, -1, 0x10));
  a.size = 32;
  SHOW("size 32", peo(&a, 0, -1, -1, 0));
  printf("size written back >= 128: %s\n", a.size >= 128 ? "yes" : "no");
  a.size = 5000;
  SHOW("size 5000", peo(&a, 0, -1, -1, 0));
  memset(big, 0, sizeof big);
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  memcpy(big, &a, sizeof a);
  ((struct perf_event_attr *)big)->size = 256;
  int fd = peo((struct perf_event_attr *)big, 0, -1, -1, 0);
  printf("size 256, zero tail: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  if (fd >= 0) close(fd);
  big[200] = 1;
  SHOW("size 256, nonzero tail", peo((struct perf_event_attr *)big, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.size = 0; /* PERF_ATTR_SIZE_VER0 */
  fd = peo(&a, 0, -1, -1, 0);
  printf("size 0 (VER0): %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  if (fd >= 0) close(fd);
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.__reserved_2 = 1;
  SHOW("__reserved_2", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.read_format = 1 << 5;
  SHOW("read_format 1<<5", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.exclude_kernel = 0;
  SHOW("kernel counted", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.inherit_thread = 1;
  SHOW("inherit_thread without inherit", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.remove_on_exec = 1;
  a.enable_on_exec = 1;
  SHOW("remove_on_exec+enable_on_exec", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.sigtrap = 1;
  SHOW("sigtrap without remove_on_exec", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.sample_period = 1ULL << 63;
  SHOW("sample_period bit 63", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.freq = 1;
  a.sample_freq = 200000;
  SHOW("sample_freq 200000", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  SHOW("pid -1 cpu -1", peo(&a, -1, -1, -1, 0));
  SHOW("pid 0 cpu 100000", peo(&a, 0, 100000, -1, 0));
  SHOW("pid -1 cpu 0", peo(&a, -1, 0, -1, 0));
  SHOW("pid 0x3fffffff", peo(&a, 0x3fffffff, -1, -1, 0));
  SHOW("group_fd stdout", peo(&a, 0, -1, 1, 0));
  SHOW("group_fd closed", peo(&a, 0, -1, 900, 0));
  SHOW("PID_CGROUP with cpu -1", peo(&a, 0, -1, -1, PERF_FLAG_PID_CGROUP));
  init(&a, 1000, 0);
  SHOW("type 1000", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_MAX);
  SHOW("software config SW_MAX", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_TRACEPOINT, 0x7fffffff);
  SHOW("tracepoint", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
  SHOW("hardware cpu-cycles", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES);
  SHOW("hardware branch-misses", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_HW_CACHE, 0);
  SHOW("hw-cache", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_RAW, 0x11);
  SHOW("raw", peo(&a, 0, -1, -1, 0));
}

static void counting(void) {
  uint64_t v1, v2;
  int fd = sw(PERF_COUNT_SW_TASK_CLOCK, 1, 0);
  printf("task-clock disabled, count 0: %s\n", value(fd) == 0 ? "yes" : "no");
  ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  busy(2000000);
  ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
  v1 = value(fd);
  busy(2000000);
  v2 = value(fd);
  printf("task-clock counted while enabled: %s\n", v1 > 0 ? "yes" : "no");
  printf("task-clock frozen while disabled: %s\n", v1 == v2 ? "yes" : "no");
  ioctl(fd, PERF_EVENT_IOC_RESET, 0);
  printf("after reset: %llu\n", (unsigned long long)value(fd));
  ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  busy(100000);
  prctl(PR_TASK_PERF_EVENTS_DISABLE, 0, 0, 0, 0);
  v1 = value(fd);
  busy(2000000);
  v2 = value(fd);
  printf("PR_TASK_PERF_EVENTS_DISABLE stops it: %s\n", v1 == v2 && v1 > 0 ? "yes" : "no");
  prctl(PR_TASK_PERF_EVENTS_ENABLE, 0, 0, 0, 0);
  busy(2000000);
  printf("PR_TASK_PERF_EVENTS_ENABLE restarts it: %s\n", value(fd) > v2 ? "yes" : "no");
  char small[4];
  SHOW("read of 4 bytes", read(fd, small, sizeof small));
  uint64_t buf[4];
  printf("read of 32 bytes: %ld\n", (long)read(fd, buf, sizeof buf));
  SHOW("write", write(fd, buf, 8));
  char path[64], link[128] = "";
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n > 0) link[n] = 0;
  printf("/proc/self/fd: %s\n", link);
  uint64_t period = 0;
  ERR("IOC_PERIOD 0", ioctl(fd, PERF_EVENT_IOC_PERIOD, &period));
  period = 1000;
  ERR("IOC_PERIOD 1000", ioctl(fd, PERF_EVENT_IOC_PERIOD, &period));
  ERR("IOC_REFRESH", ioctl(fd, PERF_EVENT_IOC_REFRESH, 1L));
  ERR("IOC_SET_OUTPUT -1", ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, -1L));
  ERR("IOC_SET_OUTPUT stdout", ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, 1L));
  ERR("IOC_SET_FILTER", ioctl(fd, PERF_EVENT_IOC_SET_FILTER, "x"));
  ERR("unknown ioctl", ioctl(fd, _IO('$', 77), 0L));
  struct perf_event_attr m;
  init(&m, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  ERR("IOC_MODIFY_ATTRIBUTES", ioctl(fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &m));
  m.type = PERF_TYPE_HARDWARE;
  ERR("IOC_MODIFY_ATTRIBUTES other type", ioctl(fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &m));
  close(fd);

  struct perf_event_attr a;
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  fd = peo(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  printf("PERF_FLAG_FD_CLOEXEC: FD_CLOEXEC %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
  close(fd);
  fd = peo(&a, 0, 0, -1, 0);
  printf("pid 0 cpu 0: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  if (fd >= 0) close(fd);

  int pf = sw(PERF_COUNT_SW_PAGE_FAULTS, 1, 0);
  int pfmin = sw(PERF_COUNT_SW_PAGE_FAULTS_MIN, 1, 0);
  int pfmaj = sw(PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1, 0);
  char *p = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ioctl(pf, PERF_EVENT_IOC_ENABLE, 0);
  ioctl(pfmin, PERF_EVENT_IOC_ENABLE, 0);
  ioctl(pfmaj, PERF_EVENT_IOC_ENABLE, 0);
  for (int i = 0; i < 64; i++) p[i * 4096] = 1;
  ioctl(pf, PERF_EVENT_IOC_DISABLE, 0);
  ioctl(pfmin, PERF_EVENT_IOC_DISABLE, 0);
  ioctl(pfmaj, PERF_EVENT_IOC_DISABLE, 0);
  printf("page-faults >= 64 pages touched: %s\n", value(pf) >= 64 ? "yes" : "no");
  printf("page-faults-min >= 64: %s\n", value(pfmin) >= 64 ? "yes" : "no");
  printf("page-faults-maj: %llu\n", (unsigned long long)value(pfmaj));
  close(pf); close(pfmin); close(pfmaj);

  int cs = sw(PERF_COUNT_SW_CONTEXT_SWITCHES, 0, 0);
  int mig = sw(PERF_COUNT_SW_CPU_MIGRATIONS, 0, 0);
  int dummy = sw(PERF_COUNT_SW_DUMMY, 0, 0);
  for (int i = 0; i < 5; i++) usleep(2000);
  printf("context-switches (kernel excluded): %llu\n", (unsigned long long)value(cs));
  printf("cpu-migrations (kernel excluded): %llu\n", (unsigned long long)value(mig));
  printf("dummy: %llu\n", (unsigned long long)value(dummy));
  close(cs); close(mig); close(dummy);
}

static void groups(void) {
  unsigned long long fmt = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  int lead = sw(PERF_COUNT_SW_TASK_CLOCK, 1, fmt);
  struct perf_event_attr a;
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS);
  a.read_format = fmt;
  int s1 = peo(&a, 0, -1, lead, 0);
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_DUMMY);
  a.read_format = fmt;
  int s2 = peo(&a, 0, -1, lead, 0);
  printf("group members open: %s\n", lead >= 0 && s1 >= 0 && s2 >= 0 ? "yes" : "no");
  SHOW("group onto a sibling", peo(&a, 0, -1, s1, 0));
  a.pinned = 1;
  SHOW("pinned sibling", peo(&a, 0, -1, lead, 0));
  a.pinned = 0;
  SHOW("sibling on cpu 0", peo(&a, 0, 0, lead, 0));
  int nog = peo(&a, 0, -1, lead, PERF_FLAG_FD_NO_GROUP);
  printf("PERF_FLAG_FD_NO_GROUP: %s\n", nog >= 0 ? "ok" : strerrorname_np(errno));
  if (nog >= 0) close(nog);
  uint64_t id[3];
  ioctl(lead, PERF_EVENT_IOC_ID, &id[0]);
  ioctl(s1, PERF_EVENT_IOC_ID, &id[1]);
  ioctl(s2, PERF_EVENT_IOC_ID, &id[2]);
  printf("ids distinct: %s\n", id[0] != id[1] && id[1] != id[2] && id[0] != id[2] ? "yes" : "no");
  char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint64_t r[16];
  for (int i = 0; i < 4; i++) p[i * 4096] = 1;
  ssize_t n = read(lead, r, sizeof r);
  printf("group read while the leader is disabled: %ld bytes, nr %llu, counts %llu %llu %llu\n", (long)n,
         (unsigned long long)r[0], (unsigned long long)r[3], (unsigned long long)r[5], (unsigned long long)r[7]);
  ioctl(lead, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
  for (int i = 4; i < 16; i++) p[i * 4096] = 1;
  busy(100000);
  ioctl(lead, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
  n = read(lead, r, sizeof r);
  printf("group read: %ld bytes, nr %llu\n", (long)n, (unsigned long long)r[0]);
  printf("time running <= enabled, both > 0: %s\n", r[2] <= r[1] && r[2] > 0 ? "yes" : "no");
  printf("ids in order: %s\n", r[4] == id[0] && r[6] == id[1] && r[8] == id[2] ? "yes" : "no");
  printf("leader counted: %s; page faults >= 12: %s; dummy: %llu\n", r[3] > 0 ? "yes" : "no", r[5] >= 12 ? "yes" : "no", (unsigned long long)r[7]);
  uint64_t r2[16];
  n = read(s2, r2, sizeof r2);
  printf("read on a sibling gives the group: %ld bytes, nr %llu, same counts %s\n", (long)n, (unsigned long long)r2[0],
         r2[3] == r[3] && r2[5] == r[5] ? "yes" : "no");
  SHOW("group read into 63 bytes", read(lead, r, 63));
  ioctl(lead, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
  n = read(lead, r, sizeof r);
  printf("group reset: %llu %llu %llu\n", (unsigned long long)r[3], (unsigned long long)r[5], (unsigned long long)r[7]);
  close(lead);
  n = read(s1, r, sizeof r);
  printf("sibling after its leader closed: %ld bytes, nr %llu\n", (long)n, (unsigned long long)r[0]);
  close(s1);
  close(s2);
}

static char *tpages;
static void *toucher(void *x) {
  (void)x;
  for (int i = 0; i < 64; i++) tpages[i * 4096] = 1;
  return NULL;
}
static void touched_by_thread(void) {
  tpages = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  pthread_t th;
  pthread_create(&th, NULL, toucher, NULL);
  pthread_join(th, NULL);
}

/* inherit with inherit_thread: threads created later count into the event (a read sums them). */
static void inherits(void) {
  struct perf_event_attr a;
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS);
  a.inherit = 1;
  a.inherit_thread = 1;
  int inh = peo(&a, 0, -1, -1, 0);
  printf("inherit+inherit_thread: %s\n", inh >= 0 ? "ok" : strerrorname_np(errno));
  int own = sw(PERF_COUNT_SW_PAGE_FAULTS, 0, 0);
  touched_by_thread();
  uint64_t vi = value(inh), vo = value(own);
  printf("a later thread's 64 page faults counted: %s\n", vi >= vo + 64 ? "yes" : "no");
  ioctl(inh, PERF_EVENT_IOC_DISABLE, 0);
  ioctl(own, PERF_EVENT_IOC_DISABLE, 0);
  vi = value(inh);
  touched_by_thread();
  printf("disabled, with the inherited counters: %s\n", value(inh) == vi ? "yes" : "no");
  close(inh);
  close(own);
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_DUMMY);
  int lead = peo(&a, 0, -1, -1, 0);
  a.inherit = 1;
  a.inherit_thread = 1;
  SHOW("inherit sibling of a leader without", peo(&a, 0, -1, lead, 0));
  close(lead);
}

static void exec_check(const char *self) {
  struct perf_event_attr a;
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.disabled = 1;
  a.enable_on_exec = 1;
  int fd = peo(&a, 0, -1, -1, 0);
  busy(100000);
  printf("enable_on_exec before exec: %llu\n", (unsigned long long)value(fd));
  fflush(stdout);
  char arg[16];
  snprintf(arg, sizeof arg, "%d", fd);
  execl(self, self, "exec", arg, (char *)NULL);
  printf("execl: %s\n", strerrorname_np(errno));
}

#if defined(__riscv)
/* K = 2 instructions an iteration. */
static void spin(long n) {
  __asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
}
static uint64_t instructions(int fd, long n) {
  ioctl(fd, PERF_EVENT_IOC_RESET, 0);
  ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  spin(n);
  ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
  return value(fd);
}
#endif

static void enclave(void) {
  {
    /* inherit to a child process (not a qemu case: on sgx the child is another enclave). */
    struct perf_event_attr a;
    init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS);
    a.inherit = 1;
    int inh = peo(&a, 0, -1, -1, 0);
    if (inh < 0) {
      printf("inherit: %s\n", strerrorname_np(errno));
    } else {
      int own = sw(PERF_COUNT_SW_PAGE_FAULTS, 0, 0);
      char *p = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      fflush(stdout);
      pid_t c = fork();
      if (c == 0) {
        for (int i = 0; i < 64; i++) p[i * 4096] = 1;
        _exit(0);
      }
      waitpid(c, NULL, 0);
      uint64_t vi = value(inh), vo = value(own);
      printf("inherit: a child's 64 page faults counted after it ended: %s\n", vi >= vo + 64 ? "yes" : "no");
      close(inh);
      close(own);
    }
  }
#if defined(__riscv)
  struct perf_event_attr a;
  init(&a, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
  a.disabled = 1;
  int fd = peo(&a, 0, -1, -1, 0);
  printf("instructions: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  uint64_t c1 = instructions(fd, 1000), c2 = instructions(fd, 2000), c3 = instructions(fd, 101000);
  printf("1000 more iterations: %llu more instructions\n", (unsigned long long)(c2 - c1));
  printf("100000 more iterations: %llu more instructions\n", (unsigned long long)(c3 - c1));
  printf("same loop twice, same count: %s\n", instructions(fd, 5000) == instructions(fd, 5000) ? "yes" : "no");
  close(fd);
  a.exclude_user = 1;
  fd = peo(&a, 0, -1, -1, 0);
  printf("instructions, user excluded: %llu\n", (unsigned long long)instructions(fd, 1000));
  close(fd);
  init(&a, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
  a.sample_period = 1000;
  SHOW("instructions sampling", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  a.sample_period = 1000;
  SHOW("task-clock sampling", peo(&a, 0, -1, -1, 0));
  init(&a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
  fd = peo(&a, 0, -1, -1, 0);
  void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  printf("mmap: %s\n", m == MAP_FAILED ? strerrorname_np(errno) : "ok");
  close(fd);
#endif
}

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "exec")) {
    int fd = atoi(argv[2]);
    busy(100000);
    printf("enable_on_exec after exec: counting %s\n", value(fd) > 0 ? "yes" : "no");
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "enclave")) {
    enclave();
    return 0;
  }
  pm_drop_root();
  setvbuf(stdout, NULL, _IOLBF, 0);
  char buf[16] = "";
  int pfd = open("/proc/sys/kernel/perf_event_paranoid", O_RDONLY);
  ssize_t n = pfd >= 0 ? read(pfd, buf, sizeof buf - 1) : -1;
  if (n > 0) buf[n] = 0;
  printf("perf_event_paranoid: %s", n > 0 ? buf : "?\n");
  if (pfd >= 0) close(pfd);
  errors();
  counting();
  groups();
  inherits();
  exec_check("/proc/self/exe");
  return 1;
}
