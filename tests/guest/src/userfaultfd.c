/* userfaultfd (282) as uid 1000, MISSING mode: the EPERM rule without UFFD_USER_MODE_ONLY, flags,
   UFFDIO_API (once; bad api EINVAL with the answer zeroed), everything before it EINVAL/EPOLLERR,
   UFFDIO_REGISTER's checks (mode, alignment, a file mapping, EBUSY with another descriptor), a
   worker thread's faults served by this thread (read() of struct uffd_msg after poll: address,
   WRITE flag, thread id; UFFDIO_COPY, UFFDIO_ZEROPAGE, COPY_MODE_DONTWAKE then UFFDIO_WAKE),
   UFFDIO_COPY's errors and its copy field (EEXIST, ENOENT, EFAULT, EINVAL, a partial copy EAGAIN),
   a syscall writing into a missing registered page (EFAULT: user-mode-only), nonblocking read
   EAGAIN, a signal while the worker waits (its handler runs, the access is retried), MAP_SHARED
   anonymous memory, a fork child's copy not registered, UFFD_FEATURE_SIGBUS, mremap (the moved
   range not registered), UFFDIO_UNREGISTER,
   and close waking a waiter (the page then ordinary memory). Not a qemu case; the expected
   output is Linux 6.18's for the same source built natively. */
#include "pm.h"
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <sys/wait.h>

#ifndef SYS_userfaultfd
#define SYS_userfaultfd 282
#endif

#define PG 4096UL
#define RANGE_IOCTLS ((1ULL << _UFFDIO_WAKE) | (1ULL << _UFFDIO_COPY) | (1ULL << _UFFDIO_ZEROPAGE))
#define OUR_FEATURES (UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_SIGBUS | UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_EXACT_ADDRESS)

static long uffd_open(int flags) {
  long r = syscall(SYS_userfaultfd, flags);
  return r < 0 ? -errno : r;
}

static int io(int fd, unsigned long req, void *arg) {
  return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static const char *en(int r) {
  static char buf[32];
  if (r >= 0) { snprintf(buf, sizeof buf, "%d", r); return buf; }
  return strerror(-r);
}

struct job { volatile char *addr; int write; char val; pid_t tid; };
static volatile int usr1;

static void on_usr1(int s) { (void)s; usr1++; }

static void *worker(void *p) {
  struct job *j = p;
  j->tid = syscall(SYS_gettid);
  if (j->write) { j->addr[1] = 'w'; j->val = j->addr[1]; }
  else j->val = j->addr[0];
  return NULL;
}

static pthread_t start(struct job *j, volatile char *addr, int write) {
  pthread_t th;
  j->addr = addr;
  j->write = write;
  j->val = '?';
  pthread_create(&th, NULL, worker, j);
  return th;
}

/* Waits (poll) for one message and prints it. */
static struct uffd_msg next_msg(int fd, char *base, struct job *j) {
  struct pollfd p = { .fd = fd, .events = POLLIN };
  int n = poll(&p, 1, 10000);
  struct uffd_msg m;
  memset(&m, 0, sizeof m);
  ssize_t r = read(fd, &m, sizeof m);
  printf("  poll %d revents %#x; read %zd: event %#x page +%ld flags %llu tid %s\n", n, p.revents, r, m.event,
         (long)((char *)(uintptr_t)m.arg.pagefault.address - base) / (long)PG, (unsigned long long)m.arg.pagefault.flags,
         j && m.arg.pagefault.feat.ptid == (unsigned)j->tid ? "worker" : "?");
  return m;
}

static int copy(int fd, void *dst, void *src, unsigned long len, unsigned long long mode, long long *res) {
  struct uffdio_copy c = { .dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len, .mode = mode, .copy = 12345 };
  int r = io(fd, UFFDIO_COPY, &c);
  *res = c.copy;
  return r;
}

static sigjmp_buf jb;
static volatile int bus_code;
static void on_bus(int s, siginfo_t *si, void *u) { (void)s; (void)u; bus_code = si->si_code; siglongjmp(jb, 1); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  printf("uid %d\n", getuid());

  printf("userfaultfd(0): %s\n", en(uffd_open(0)));
  printf("userfaultfd(O_CLOEXEC): %s\n", en(uffd_open(O_CLOEXEC)));
  printf("userfaultfd(UMO|0x100): %s\n", en(uffd_open(UFFD_USER_MODE_ONLY | 0x100)));
  int fd = uffd_open(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
  printf("userfaultfd(O_CLOEXEC|O_NONBLOCK|UMO): %s\n", fd >= 0 ? "fd" : en(fd));
  printf("fcntl F_GETFL: O_NONBLOCK %d, F_GETFD %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0, fcntl(fd, F_GETFD));
  char link[64] = "";
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t ln = readlink(path, link, sizeof link - 1);
  if (ln > 0) link[ln] = 0;
  printf("fd link: %s\n", link);

  /* Before UFFDIO_API. */
  struct uffd_msg m;
  printf("read before API: %s\n", en(read(fd, &m, sizeof m) < 0 ? -errno : 0));
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  int pn = poll(&pfd, 1, 0);
  printf("poll before API: %d revents %#x\n", pn, pfd.revents);
  char *area = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct uffdio_register reg = { .range = { (uintptr_t)area, 16 * PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register before API: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));

  struct uffdio_api api = { .api = 0x55, .features = 0 };
  int r = io(fd, UFFDIO_API, &api);
  printf("API api 0x55: %s; answer api %llu features %llu ioctls %llu\n", en(r), (unsigned long long)api.api,
         (unsigned long long)api.features, (unsigned long long)api.ioctls);
  api = (struct uffdio_api){ .api = UFFD_API, .features = 1ULL << 62 };
  r = io(fd, UFFDIO_API, &api);
  printf("API unknown feature: %s; answer features %llu\n", en(r), (unsigned long long)api.features);
  api = (struct uffdio_api){ .api = UFFD_API, .features = UFFD_FEATURE_THREAD_ID };
  r = io(fd, UFFDIO_API, &api);
  printf("API THREAD_ID: %s; api %llu, has our features %d, ioctls %#llx\n", en(r), (unsigned long long)api.api,
         (api.features & OUR_FEATURES) == OUR_FEATURES, (unsigned long long)api.ioctls);
  api = (struct uffdio_api){ .api = UFFD_API };
  printf("API again: %s\n", en(io(fd, UFFDIO_API, &api)));
  printf("unknown ioctl: %s\n", en(io(fd, _IOR(UFFDIO, 0x30, struct uffdio_range), &reg.range)));
  char small[16];
  printf("read 16 bytes: %s\n", en(read(fd, small, sizeof small) < 0 ? -errno : 0));
  printf("read empty nonblocking: %s\n", en(read(fd, &m, sizeof m) < 0 ? -errno : 0));
  pfd.revents = 0;
  pn = poll(&pfd, 1, 0);
  printf("poll empty: %d revents %#x\n", pn, pfd.revents);

  /* UFFDIO_REGISTER checks. */
  reg = (struct uffdio_register){ .range = { (uintptr_t)area, 16 * PG }, .mode = 0 };
  printf("register mode 0: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  reg.mode = 1 << 5;
  printf("register mode 32: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  reg = (struct uffdio_register){ .range = { (uintptr_t)area + 1, 16 * PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register unaligned: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  reg = (struct uffdio_register){ .range = { (uintptr_t)area, 0 }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register len 0: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  int tf = open("/tmp", O_TMPFILE | O_RDWR, 0600);
  ftruncate(tf, PG);
  char *fmap = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, tf, 0);
  reg = (struct uffdio_register){ .range = { (uintptr_t)fmap, PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register a file mapping: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  char *hole = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, PG);
  reg = (struct uffdio_register){ .range = { (uintptr_t)hole, PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register unmapped: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  reg = (struct uffdio_register){ .range = { (uintptr_t)area, 16 * PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  r = io(fd, UFFDIO_REGISTER, &reg);
  printf("register 16 pages: %s; range ioctls %d\n", en(r), (reg.ioctls & RANGE_IOCTLS) == RANGE_IOCTLS);
  printf("register again: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  int fd2 = uffd_open(UFFD_USER_MODE_ONLY);
  struct uffdio_api api2 = { .api = UFFD_API };
  io(fd2, UFFDIO_API, &api2);
  struct pollfd pfd2 = { .fd = fd2, .events = POLLIN };
  pn = poll(&pfd2, 1, 0);
  printf("poll a blocking uffd: %d revents %#x\n", pn, pfd2.revents);
  struct uffdio_register reg2 = { .range = { (uintptr_t)area + 4 * PG, PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register with another uffd: %s\n", en(io(fd2, UFFDIO_REGISTER, &reg2)));
  close(fd2);

  /* A syscall writing into a missing registered page. */
  int z = open("/dev/zero", O_RDONLY);
  printf("read(/dev/zero) into a missing page: %s\n", en(read(z, area + 15 * PG, 100) < 0 ? -errno : 0));
  close(z);
  int pp[2];
  pipe(pp);
  printf("write() from a missing page: %s\n", en(write(pp[1], area + 15 * PG, 100) < 0 ? -errno : 0));

  char *src = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(src, 'A', PG);
  memset(src + PG, 'B', PG);
  memset(src + 2 * PG, 'C', 2 * PG);
  long long res;
  struct job j;

  /* 1. A read fault served by UFFDIO_COPY. */
  printf("worker reads page 0\n");
  pthread_t th = start(&j, area, 0);
  next_msg(fd, area, &j);
  r = copy(fd, area, src, PG, 0, &res);
  printf("  COPY: %s copy %lld\n", en(r), res);
  pthread_join(th, NULL);
  printf("  worker read %c\n", j.val);

  /* 2. A write fault served by UFFDIO_ZEROPAGE. */
  printf("worker writes page 1\n");
  th = start(&j, area + PG, 1);
  next_msg(fd, area, &j);
  struct uffdio_zeropage zp = { .range = { (uintptr_t)area + PG, PG }, .mode = 0, .zeropage = 777 };
  r = io(fd, UFFDIO_ZEROPAGE, &zp);
  printf("  ZEROPAGE: %s zeropage %lld\n", en(r), (long long)zp.zeropage);
  pthread_join(th, NULL);
  printf("  worker wrote and read %c; page 1 byte 0 is %d\n", j.val, area[PG]);

  /* 3. COPY_MODE_DONTWAKE, then UFFDIO_WAKE; two pages at once. */
  printf("worker reads page 2\n");
  th = start(&j, area + 2 * PG, 0);
  next_msg(fd, area, &j);
  r = copy(fd, area + 2 * PG, src + 2 * PG, 2 * PG, UFFDIO_COPY_MODE_DONTWAKE, &res);
  printf("  COPY 2 pages DONTWAKE: %s copy %lld\n", en(r), res);
  printf("  read after: %s\n", en(read(fd, &m, sizeof m) < 0 ? -errno : 0));
  struct uffdio_range wr = { (uintptr_t)area + 2 * PG, PG };
  printf("  WAKE: %s\n", en(io(fd, UFFDIO_WAKE, &wr)));
  pthread_join(th, NULL);
  printf("  worker read %c; page 3 byte 0 %c\n", j.val, area[3 * PG]);

  /* UFFDIO_COPY's errors. */
  r = copy(fd, area, src, PG, 0, &res);
  printf("COPY onto a present page: %s copy %lld\n", en(r), res);
  r = copy(fd, area + 3 * PG, src, 2 * PG, 0, &res);
  printf("COPY present then missing: %s copy %lld\n", en(r), res);
  zp = (struct uffdio_zeropage){ .range = { (uintptr_t)area + 5 * PG, PG }, .mode = 0 };
  r = io(fd, UFFDIO_ZEROPAGE, &zp);
  printf("ZEROPAGE page 5: %s zeropage %lld\n", en(r), (long long)zp.zeropage);
  r = copy(fd, area + 4 * PG, src, 2 * PG, 0, &res);
  printf("COPY missing then present: %s copy %lld; page 4 byte 0 %c\n", en(r), res, area[4 * PG]);
  r = copy(fd, area + 1, src, PG, 0, &res);
  printf("COPY unaligned dst: %s copy %lld\n", en(r), res);
  r = copy(fd, area + 6 * PG, src + 1, PG, 0, &res);
  printf("COPY unaligned src: %s copy %lld; page 6 byte 0 %c\n", en(r), res, area[6 * PG]);
  r = copy(fd, area + 7 * PG, src, 0, 0, &res);
  printf("COPY len 0: %s copy %lld\n", en(r), res);
  r = copy(fd, area + 7 * PG, src, PG, 4, &res);
  printf("COPY mode 4: %s copy %lld\n", en(r), res);
  r = copy(fd, area + 7 * PG, (void *)16, PG, 0, &res);
  printf("COPY src below mmap_min_addr: %s copy %lld\n", en(r), res);
  char *none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r = copy(fd, area + 7 * PG, none, PG, 0, &res);
  printf("COPY src PROT_NONE: %s copy %lld\n", en(r), res);
  r = copy(fd, area + 7 * PG, (void *)-8192L, PG, 0, &res);
  printf("COPY src wrapping: %s copy %lld\n", en(r), res);
  r = copy(fd, area + 7 * PG, area + 13 * PG, PG, 0, &res);
  printf("COPY src a missing registered page: %s copy %lld\n", en(r), res);
  r = copy(fd, src + 3 * PG, src, PG, 0, &res);
  printf("COPY dst not registered: %s copy %lld\n", en(r), res);
  r = copy(fd, area + 15 * PG, src, 2 * PG, 0, &res);
  printf("COPY past the range: %s copy %lld\n", en(r), res);
  zp = (struct uffdio_zeropage){ .range = { (uintptr_t)area, PG }, .mode = 0 };
  r = io(fd, UFFDIO_ZEROPAGE, &zp);
  printf("ZEROPAGE present: %s zeropage %lld\n", en(r), (long long)zp.zeropage);
  zp = (struct uffdio_zeropage){ .range = { (uintptr_t)area + 7 * PG, PG }, .mode = 2 };
  r = io(fd, UFFDIO_ZEROPAGE, &zp);
  printf("ZEROPAGE mode 2: %s zeropage %lld\n", en(r), (long long)zp.zeropage);
  wr = (struct uffdio_range){ (uintptr_t)area + 1, PG };
  printf("WAKE unaligned: %s\n", en(io(fd, UFFDIO_WAKE, &wr)));
  wr = (struct uffdio_range){ (uintptr_t)src, PG };
  printf("WAKE unregistered range: %s\n", en(io(fd, UFFDIO_WAKE, &wr)));

  /* 4. A signal while the worker waits: its handler runs, the access is retried. */
  struct sigaction sa = { .sa_handler = on_usr1 };
  sigaction(SIGUSR1, &sa, NULL);
  printf("worker reads page 8, signalled while it waits\n");
  th = start(&j, area + 8 * PG, 0);
  next_msg(fd, area, &j);
  pthread_kill(th, SIGUSR1);
  usleep(100000);
  r = copy(fd, area + 8 * PG, src + PG, PG, 0, &res);
  printf("  COPY: %s copy %lld\n", en(r), res);
  pthread_join(th, NULL);
  printf("  worker read %c, handler ran %d\n", j.val, usr1);
  printf("  read after: %s\n", en(read(fd, &m, sizeof m) < 0 ? -errno : 0));

  /* 5. MAP_SHARED anonymous memory. */
  char *sh = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  reg = (struct uffdio_register){ .range = { (uintptr_t)sh, 2 * PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  r = io(fd, UFFDIO_REGISTER, &reg);
  printf("register MAP_SHARED anonymous: %s; range ioctls %d\n", en(r), (reg.ioctls & RANGE_IOCTLS) == RANGE_IOCTLS);
  printf("worker writes shared page 0\n");
  th = start(&j, sh, 1);
  next_msg(fd, sh, &j);
  r = copy(fd, sh, src + 2 * PG, PG, 0, &res);
  printf("  COPY: %s copy %lld\n", en(r), res);
  pthread_join(th, NULL);
  printf("  worker read %c; byte 0 %c\n", j.val, sh[0]);

  /* 6. fork: the child's copy of the range is not registered. */
  pid_t pid = fork();
  if (pid == 0) {
    int a = area[9 * PG], b = sh[PG];
    _exit(a == 0 && b == 0 ? 7 : 1);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("fork child touched missing pages: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
  printf("read after fork: %s\n", en(read(fd, &m, sizeof m) < 0 ? -errno : 0));

  /* 7. UFFD_FEATURE_SIGBUS. */
  int fb = uffd_open(UFFD_USER_MODE_ONLY | O_NONBLOCK);
  struct uffdio_api apib = { .api = UFFD_API, .features = UFFD_FEATURE_SIGBUS };
  printf("API SIGBUS: %s\n", en(io(fb, UFFDIO_API, &apib)));
  char *bz = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  reg = (struct uffdio_register){ .range = { (uintptr_t)bz, PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register: %s\n", en(io(fb, UFFDIO_REGISTER, &reg)));
  struct sigaction sb = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO };
  sigaction(SIGBUS, &sb, NULL);
  if (sigsetjmp(jb, 1) == 0) {
    volatile char c = bz[0];
    (void)c;
    printf("no SIGBUS\n");
  } else {
    printf("touch: SIGBUS code %d\n", bus_code);
  }
  printf("read on it: %s\n", en(read(fb, &m, sizeof m) < 0 ? -errno : 0));
  /* mremap moving a registered range: the moved VMA is not registered (no UFFD_FEATURE_EVENT_REMAP). */
  char *mv = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *target = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  reg = (struct uffdio_register){ .range = { (uintptr_t)mv, 2 * PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register 2 pages: %s\n", en(io(fb, UFFDIO_REGISTER, &reg)));
  char *moved = mremap(mv, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  printf("mremap the first page: %s\n", moved == target ? "moved" : strerror(errno));
  if (sigsetjmp(jb, 1) == 0) {
    r = moved[0];
    printf("touch the moved page: %d\n", r);
  } else {
    printf("touch the moved page: SIGBUS\n");
  }
  if (sigsetjmp(jb, 1) == 0) {
    r = mv[PG];
    printf("touch the second page: %d\n", r);
  } else {
    printf("touch the second page: SIGBUS code %d\n", bus_code);
  }
  close(fb);
  r = bz[0];
  printf("after close, byte 0 %d\n", r);

  /* 8. UFFDIO_UNREGISTER. */
  struct uffdio_range ur = { (uintptr_t)area + 10 * PG, PG };
  r = io(fd, UFFDIO_UNREGISTER, &ur);
  printf("UNREGISTER page 10: %s; byte 0 %d\n", en(r), area[10 * PG]);
  ur = (struct uffdio_range){ (uintptr_t)area + 1, PG };
  printf("UNREGISTER unaligned: %s\n", en(io(fd, UFFDIO_UNREGISTER, &ur)));
  char *h2 = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(h2 + PG, PG);
  ur = (struct uffdio_range){ (uintptr_t)h2 + PG, PG };
  printf("UNREGISTER unmapped: %s\n", en(io(fd, UFFDIO_UNREGISTER, &ur)));
  ur = (struct uffdio_range){ (uintptr_t)h2, 3 * PG };
  printf("UNREGISTER across a hole: %s\n", en(io(fd, UFFDIO_UNREGISTER, &ur)));
  reg = (struct uffdio_register){ .range = { (uintptr_t)h2, 3 * PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };
  printf("register across a hole: %s\n", en(io(fd, UFFDIO_REGISTER, &reg)));
  ur = (struct uffdio_range){ (uintptr_t)fmap, PG };
  printf("UNREGISTER a file mapping: %s\n", en(io(fd, UFFDIO_UNREGISTER, &ur)));
  ur = (struct uffdio_range){ (uintptr_t)src, PG };
  printf("UNREGISTER not registered: %s\n", en(io(fd, UFFDIO_UNREGISTER, &ur)));

  /* 9. close wakes a waiter; the page is then ordinary memory. */
  printf("worker reads page 11, then the descriptor is closed\n");
  th = start(&j, area + 11 * PG, 0);
  next_msg(fd, area, &j);
  close(fd);
  pthread_join(th, NULL);
  printf("  worker read %d\n", j.val);
  printf("page 12 byte 0 %d\n", area[12 * PG]);
  printf("done\n");
  return 0;
}
