/* Linux native AIO through raw syscalls (no libaio): io_setup/io_destroy/io_submit/io_cancel/
   io_getevents/io_pgetevents. The completion ring is read straight from user memory (struct
   aio_ring header, io_event slots, head/tail) as libaio does. qemu 7.2 answers ENOSYS for all of
   them, so the expected output is Linux's for the same source built natively (tests/linux-ref.test.ts).
   Prints no addresses, pids or times: only results, errno names and ring fields. */
#include "pm.h"
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

struct aio_ring {
  unsigned id, nr, head, tail, magic, compat_features, incompat_features, header_length;
  struct io_event io_events[];
};

static long io_setup_(unsigned n, aio_context_t *c) { return syscall(SYS_io_setup, n, c); }
static long io_destroy_(aio_context_t c) { return syscall(SYS_io_destroy, c); }
static long io_submit_(aio_context_t c, long n, struct iocb **v) { return syscall(SYS_io_submit, c, n, v); }
static long io_cancel_(aio_context_t c, struct iocb *cb, struct io_event *r) { return syscall(SYS_io_cancel, c, cb, r); }
static long io_getevents_(aio_context_t c, long mn, long n, struct io_event *e, struct timespec *ts) {
  return syscall(SYS_io_getevents, c, mn, n, e, ts);
}
static long io_pgetevents_(aio_context_t c, long mn, long n, struct io_event *e, struct timespec *ts, void *sig) {
  return syscall(SYS_io_pgetevents, c, mn, n, e, ts, sig);
}

static unsigned ld(const unsigned *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void st(unsigned *p, unsigned v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static struct iocb *cbs[8]; /* for naming an event's obj */
static const char *objname(uint64_t obj) {
  static char b[16];
  for (int i = 0; i < 8; i++) if (cbs[i] && (uint64_t)(uintptr_t)cbs[i] == obj) { snprintf(b, sizeof b, "cb%d", i); return b; }
  return "?";
}
static void show_ev(const char *label, const struct io_event *e) {
  long long res = (long long)e->res;
  if (res < 0) printf("  %s: data=%#llx obj=%s res=-%s res2=%lld\n", label, (unsigned long long)e->data, objname(e->obj), strerrorname_np((int)-res), (long long)e->res2);
  else printf("  %s: data=%#llx obj=%s res=%lld res2=%lld\n", label, (unsigned long long)e->data, objname(e->obj), res, (long long)e->res2);
}
static int by_data(const void *a, const void *b) {
  const struct io_event *x = a, *y = b;
  return x->data < y->data ? -1 : x->data > y->data;
}
/* Up to n events (at least min, within 2 s), printed in data order. */
static long reap(aio_context_t ctx, long min, long n, const char *label) {
  struct io_event ev[16];
  struct timespec ts = {2, 0};
  long r = io_getevents_(ctx, min, n, ev, &ts);
  printf("%s: getevents %ld\n", label, r);
  if (r > 0) {
    qsort(ev, r, sizeof ev[0], by_data);
    for (long i = 0; i < r; i++) show_ev(label, &ev[i]);
  }
  return r;
}

static void prep(struct iocb *cb, int op, int fd, const void *buf, long n, long long off, uint64_t data) {
  memset(cb, 0, sizeof *cb);
  cb->aio_lio_opcode = op;
  cb->aio_fildes = fd;
  cb->aio_buf = (uintptr_t)buf;
  cb->aio_nbytes = n;
  cb->aio_offset = off;
  cb->aio_data = data;
}
static long submit1(aio_context_t ctx, struct iocb *cb) {
  struct iocb *l[1] = {cb};
  return io_submit_(ctx, 1, l);
}

/* The /proc/self/maps line starting at addr: "perms pages name", or "none". */
static void maps_line(const char *label, unsigned long addr) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512], perms[8], name[256];
  unsigned long s, e;
  int found = 0;
  while (f && fgets(line, sizeof line, f)) {
    name[0] = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255[^\n]", &s, &e, perms, name) < 3) continue;
    if (s == addr) {
      printf("%s: %s %lu pages %s\n", label, perms, (e - s) / 4096, name);
      found = 1;
    }
  }
  if (f) fclose(f);
  if (!found) printf("%s: none\n", label);
}
static int count_aio_maps(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  int n = 0;
  while (f && fgets(line, sizeof line, f)) if (strstr(line, "/[aio]")) n++;
  if (f) fclose(f);
  return n;
}

static void ring_header(const char *label, aio_context_t ctx) {
  struct aio_ring *r = (struct aio_ring *)ctx;
  printf("%s: id %u nr %u head %u tail %u magic %#x compat %u incompat %u header_length %u\n", label, r->id, r->nr,
         ld(&r->head), ld(&r->tail), r->magic, r->compat_features, r->incompat_features, r->header_length);
}

static long long ms_since(const struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000LL + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static int pipefd[2];
static void *late_writer(void *arg) {
  usleep(50000);
  if (write(pipefd[1], arg, strlen(arg)) < 0) perror("write");
  return NULL;
}
static aio_context_t destroy_ctx;
static long destroy_ret;
static void *late_destroy(void *arg) {
  (void)arg;
  usleep(50000);
  destroy_ret = io_destroy_(destroy_ctx);
  return NULL;
}
static pthread_t main_thread;
static void *late_usr1(void *arg) {
  (void)arg;
  usleep(20000);
  pthread_kill(main_thread, SIGUSR1);
  usleep(20000);
  if (write(pipefd[1], "u", 1) != 1) perror("write");
  return NULL;
}
static volatile int alarms, usr1s;
static void on_alarm(int s) { (void)s; alarms++; }
static void on_usr1(int s) { (void)s; usr1s++; }
static void alarm_in_ms(int ms) {
  struct itimerval it = {{0, 0}, {0, ms * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static void exec_mode(const char *ctxarg) {
  aio_context_t old = strtoull(ctxarg, NULL, 16), c = 0;
  struct io_event ev[1];
  struct timespec zero = {0, 0};
  printf("after exec: aio mappings %d\n", count_aio_maps());
  errno = 0;
  long r = io_getevents_(old, 0, 1, ev, &zero);
  printf("after exec: getevents(old ctx) %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "ok");
  SHOW("after exec: setup 1", io_setup_(1, &c));
  ring_header("after exec: ring", c);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "exec")) {
    exec_mode(argv[2]);
    return 0;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  pm_drop_root();
  aio_context_t ctx = 0, c2 = 0;

  printf("== io_setup\n");
  SHOW("setup 0 events", io_setup_(0, &ctx));
  ctx = 1;
  SHOW("setup *ctxp != 0", io_setup_(1, &ctx));
  ctx = 0;
  SHOW("setup bad ctxp", io_setup_(1, (aio_context_t *)8));
  SHOW("setup 65537", io_setup_(65537, &ctx));
  SHOW("setup 4194305", io_setup_(4194305, &ctx));
  SHOW("setup 0x80000000", io_setup_(0x80000000u, &ctx));
  SHOW("setup 0xffffffff", io_setup_(0xffffffffu, &ctx));
  void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW("setup read-only ctxp", io_setup_(1, ro));
  printf("aio mappings after failures: %d\n", count_aio_maps());
  SHOW("setup 40000", io_setup_(40000, &ctx));
  SHOW("setup 40000 more (aio-max-nr)", io_setup_(40000, &c2));
  SHOW("destroy it", io_destroy_(ctx));
  ctx = 0;
  SHOW("setup 40000 again", io_setup_(40000, &ctx));
  SHOW("destroy it", io_destroy_(ctx));
  ctx = 0;

  printf("== ring\n");
  SHOW("setup 128", io_setup_(128, &ctx));
  printf("ctx is page aligned: %d\n", (ctx & 4095) == 0);
  ring_header("ring", ctx);
  maps_line("maps", ctx);
  SHOW("setup 1", io_setup_(1, &c2));
  ring_header("ring 2", c2);
  maps_line("maps 2", c2);
  SHOW("setup 200", io_setup_(200, &(aio_context_t){0}));
  aio_context_t c3 = 0;
  SHOW("setup 1000", io_setup_(1000, &c3));
  ring_header("ring 4", c3);
  SHOW("destroy ring 2", io_destroy_(c2));
  maps_line("maps 2 after destroy", c2);
  SHOW("destroy ring 2 again", io_destroy_(c2));
  c2 = 0;
  SHOW("setup 1 (slot reused)", io_setup_(1, &c2));
  ring_header("ring 2'", c2);

  printf("== regular file\n");
  char path[] = "/tmp/aio-XXXXXX";
  int fd = mkstemp(path);
  int rofd = open(path, O_RDONLY), wofd = open(path, O_WRONLY), apfd = open(path, O_WRONLY | O_APPEND);
  struct aio_ring *ring = (struct aio_ring *)ctx;
  struct iocb a, b, c, d;
  cbs[0] = &a; cbs[1] = &b; cbs[2] = &c; cbs[3] = &d;
  const char *msg = "hello, asynchronous world";
  prep(&a, IOCB_CMD_PWRITE, fd, msg, 25, 0, 0x1111);
  a.aio_key = 77;
  SHOW("pwrite", submit1(ctx, &a));
  printf("aio_key after submit %u\n", a.aio_key);
  printf("tail after submit %u head %u\n", ld(&ring->tail), ld(&ring->head));
  {
    /* Consume it from the ring itself, as libaio's user-space reaping does. */
    unsigned h = ld(&ring->head);
    show_ev("ring", &ring->io_events[h % ring->nr]);
    st(&ring->head, (h + 1) % ring->nr);
    struct io_event ev[1];
    struct timespec zero = {0, 0};
    printf("getevents after user reaping: %ld\n", io_getevents_(ctx, 0, 1, ev, &zero));
  }
  char rbuf[64] = {0};
  prep(&a, IOCB_CMD_PREAD, fd, rbuf, 12, 7, 0x2222);
  SHOW("pread", submit1(ctx, &a));
  reap(ctx, 1, 1, "pread");
  printf("  bytes: %s\n", rbuf);
  printf("file position: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  char v1[6] = {0}, v2[7] = {0};
  struct iovec iv[2] = {{v1, 5}, {v2, 6}};
  prep(&a, IOCB_CMD_PREADV, fd, iv, 2, 0, 0x3333);
  struct iovec wv[2] = {{"!!", 2}, {"?", 1}};
  prep(&b, IOCB_CMD_PWRITEV, fd, wv, 2, 25, 0x3334);
  struct iocb *two[2] = {&a, &b};
  SHOW("preadv+pwritev", io_submit_(ctx, 2, two));
  reap(ctx, 2, 8, "vectored");
  printf("  iov: '%s' '%s'\n", v1, v2);
  struct stat sb;
  fstat(fd, &sb);
  printf("  size %ld\n", (long)sb.st_size);
  prep(&a, IOCB_CMD_FSYNC, fd, NULL, 0, 0, 0x4441);
  prep(&b, IOCB_CMD_FDSYNC, fd, NULL, 0, 0, 0x4442);
  SHOW("fsync+fdsync", io_submit_(ctx, 2, two));
  reap(ctx, 2, 8, "sync");
  prep(&a, IOCB_CMD_PREAD, fd, rbuf, 10, 1000, 0x5555);
  SHOW("pread past eof", submit1(ctx, &a));
  reap(ctx, 1, 1, "eof");
  prep(&a, IOCB_CMD_PWRITE, apfd, "END", 3, 0, 0x6666);
  SHOW("pwrite O_APPEND at 0", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PWRITE, fd, "+", 1, 0, 0x6667);
  a.aio_rw_flags = RWF_APPEND;
  SHOW("pwrite RWF_APPEND at 0", submit1(ctx, &a));
  reap(ctx, 2, 2, "append");
  memset(rbuf, 0, sizeof rbuf);
  if (pread(fd, rbuf, 63, 0) < 0) perror("pread");
  printf("  file: %s\n", rbuf);
  prep(&a, IOCB_CMD_PREAD, fd, rbuf, 4, 0, 0x7777);
  a.aio_flags = IOCB_FLAG_IOPRIO;
  a.aio_reqprio = (2 << 13) | 4;
  SHOW("pread ioprio BE/4", submit1(ctx, &a));
  reap(ctx, 1, 1, "ioprio");
  a.aio_reqprio = 7 << 13;
  SHOW("pread ioprio class 7", submit1(ctx, &a));
  prep(&a, IOCB_CMD_POLL, fd, (void *)(uintptr_t)POLLIN, 0, 0, 0x8888);
  SHOW("poll POLLIN on a file", submit1(ctx, &a));
  reap(ctx, 1, 1, "file poll");
  prep(&a, IOCB_CMD_POLL, fd, (void *)(uintptr_t)POLLPRI, 0, 0, 0x8889);
  SHOW("poll POLLPRI on a file", submit1(ctx, &a));

  printf("== bad pointers\n");
  char *hole = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole + 4096, 4096);
  prep(&a, IOCB_CMD_PREAD, fd, hole + 4096, 8, 0, 0x9991);
  SHOW("pread into unmapped memory", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PWRITE, fd, hole + 4096, 8, 0, 0x9992);
  SHOW("pwrite from unmapped memory", submit1(ctx, &a));
  reap(ctx, 2, 2, "unmapped");
  prep(&a, IOCB_CMD_PREAD, fd, hole + 4092, 8, 0, 0x9993);
  SHOW("pread across the hole", submit1(ctx, &a));
  reap(ctx, 1, 1, "partial");
  prep(&a, IOCB_CMD_PREADV, fd, hole + 4096, 2, 0, 0x9994);
  SHOW("preadv with unmapped iovecs", submit1(ctx, &a));
  struct iocb *badlist[1] = {(struct iocb *)(hole + 4096)};
  SHOW("submit unmapped iocb", io_submit_(ctx, 1, badlist));
  SHOW("submit unmapped iocb array", io_submit_(ctx, 1, (struct iocb **)(hole + 4096)));

  printf("== submit errors\n");
  prep(&a, IOCB_CMD_PREAD, 999, rbuf, 4, 0, 1);
  SHOW("bad fd", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PREAD, wofd, rbuf, 4, 0, 1);
  SHOW("pread on O_WRONLY", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PWRITE, rofd, "x", 1, 0, 1);
  SHOW("pwrite on O_RDONLY", submit1(ctx, &a));
  prep(&a, 9, fd, rbuf, 4, 0, 1);
  SHOW("opcode 9", submit1(ctx, &a));
  prep(&a, IOCB_CMD_NOOP, fd, rbuf, 4, 0, 1);
  SHOW("IOCB_CMD_NOOP", submit1(ctx, &a));
  prep(&a, 9, 999, rbuf, 4, 0, 1);
  SHOW("opcode 9 on a bad fd", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PREAD, fd, rbuf, 4, 0, 1);
  a.aio_reserved2 = 1;
  SHOW("aio_reserved2 set", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PREAD, fd, rbuf, -1, 0, 1);
  SHOW("negative nbytes", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PREAD, fd, rbuf, 4, -1, 1);
  SHOW("negative offset", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PREAD, fd, rbuf, 4, 0, 1);
  a.aio_rw_flags = 0x1000;
  SHOW("unknown rw flag", submit1(ctx, &a));
  prep(&a, IOCB_CMD_PREADV, fd, iv, 1025, 0, 1);
  SHOW("preadv 1025 iovecs", submit1(ctx, &a));
  prep(&a, IOCB_CMD_FSYNC, fd, rbuf, 0, 0, 1);
  SHOW("fsync with a buffer", submit1(ctx, &a));
  int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
  prep(&a, IOCB_CMD_PREAD, dfd, rbuf, 4, 0, 1);
  SHOW("pread on a directory", submit1(ctx, &a));
  close(dfd);
  SHOW("submit nr -1", io_submit_(ctx, -1, two));
  SHOW("submit nr 0", io_submit_(ctx, 0, two));
  SHOW("submit bad ctx", io_submit_(12345, 1, two));
  prep(&a, IOCB_CMD_PWRITE, fd, "a", 1, 40, 0xa1);
  prep(&b, 9, fd, "b", 1, 41, 0xa2);
  prep(&c, IOCB_CMD_PWRITE, fd, "c", 1, 42, 0xa3);
  struct iocb *three[3] = {&a, &b, &c};
  SHOW("batch: good, bad opcode, good", io_submit_(ctx, 3, three));
  struct iocb *three2[3] = {&b, &a, &c};
  SHOW("batch: bad opcode first", io_submit_(ctx, 3, three2));
  reap(ctx, 1, 8, "batch");

  printf("== eventfd\n");
  int efd = eventfd(0, EFD_NONBLOCK);
  if (pipe(pipefd)) return 1;
  prep(&a, IOCB_CMD_PWRITE, fd, "e1", 2, 50, 0xe1);
  prep(&b, IOCB_CMD_PWRITE, fd, "e2", 2, 52, 0xe2);
  a.aio_flags = b.aio_flags = IOCB_FLAG_RESFD;
  a.aio_resfd = b.aio_resfd = efd;
  SHOW("two writes with resfd", io_submit_(ctx, 2, two));
  uint64_t cnt = 0;
  SHOW("eventfd read", read(efd, &cnt, 8));
  printf("  eventfd count %llu\n", (unsigned long long)cnt);
  reap(ctx, 2, 2, "resfd");
  a.aio_resfd = 999;
  SHOW("resfd not open", submit1(ctx, &a));
  a.aio_resfd = pipefd[0];
  SHOW("resfd not an eventfd", submit1(ctx, &a));

  printf("== poll\n");
  prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 0xb1);
  a.aio_flags = IOCB_FLAG_RESFD;
  a.aio_resfd = efd;
  unsigned tail0 = ld(&ring->tail);
  SHOW("poll POLLIN on an empty pipe", submit1(ctx, &a));
  printf("  pending: tail moved %d\n", ld(&ring->tail) != tail0);
  {
    struct io_event ev[1];
    struct timespec ts = {0, 20000000};
    printf("  getevents with 20ms timeout: %ld\n", io_getevents_(ctx, 1, 1, ev, &ts));
  }
  if (write(pipefd[1], "x", 1) != 1) return 1;
  reap(ctx, 1, 1, "poll after write");
  cnt = 0;
  SHOW("eventfd read", read(efd, &cnt, 8));
  printf("  eventfd count %llu\n", (unsigned long long)cnt);
  prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 0xb2);
  SHOW("poll POLLIN with data there", submit1(ctx, &a));
  reap(ctx, 1, 1, "ready poll");
  char ch;
  if (read(pipefd[0], &ch, 1) != 1) return 1;
  prep(&a, IOCB_CMD_POLL, pipefd[1], (void *)(uintptr_t)POLLOUT, 0, 0, 0xb3);
  SHOW("poll POLLOUT", submit1(ctx, &a));
  reap(ctx, 1, 1, "pollout");
  prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 0xb4);
  SHOW("poll, a thread writes later", submit1(ctx, &a));
  pthread_t th;
  pthread_create(&th, NULL, late_writer, "y");
  {
    struct io_event ev[1];
    long r = io_getevents_(ctx, 1, 1, ev, NULL);
    printf("  getevents (no timeout) %ld\n", r);
    if (r == 1) show_ev("thread", &ev[0]);
  }
  pthread_join(th, NULL);
  if (read(pipefd[0], &ch, 1) != 1) return 1;
  int hp[2];
  if (pipe(hp)) return 1;
  prep(&a, IOCB_CMD_POLL, hp[0], (void *)(uintptr_t)POLLIN, 0, 0, 0xb5);
  SHOW("poll, writer closes", submit1(ctx, &a));
  close(hp[1]);
  reap(ctx, 1, 1, "hangup");
  close(hp[0]);
  prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)0x10000, 0, 0, 1);
  SHOW("poll events > 0xffff", submit1(ctx, &a));
  prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 8, 1);
  SHOW("poll with an offset", submit1(ctx, &a));

  printf("== io_cancel\n");
  prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 0xc1);
  SHOW("poll pending", submit1(ctx, &a));
  struct io_event res;
  SHOW("cancel it", io_cancel_(ctx, &a, &res));
  reap(ctx, 1, 1, "cancelled");
  SHOW("cancel it again", io_cancel_(ctx, &a, &res));
  prep(&b, IOCB_CMD_PWRITE, fd, "z", 1, 60, 0xc2);
  SHOW("pwrite", submit1(ctx, &b));
  SHOW("cancel a completed write", io_cancel_(ctx, &b, &res));
  reap(ctx, 1, 1, "write");
  b.aio_key = 5;
  SHOW("cancel with aio_key 5", io_cancel_(ctx, &b, &res));
  SHOW("cancel an unmapped iocb", io_cancel_(ctx, (struct iocb *)(hole + 4096), &res));
  b.aio_key = 0;
  SHOW("cancel on a bad ctx", io_cancel_(12345, &b, &res));

  printf("== io_getevents\n");
  struct io_event ev[8];
  struct timespec zero = {0, 0}, t30 = {0, 30000000};
  SHOW("min_nr > nr", io_getevents_(ctx, 2, 1, ev, &zero));
  SHOW("min_nr < 0", io_getevents_(ctx, -1, 1, ev, &zero));
  SHOW("bad ctx", io_getevents_(12345, 0, 1, ev, &zero));
  SHOW("bad timeout pointer", io_getevents_(ctx, 0, 1, ev, (struct timespec *)(hole + 4096)));
  SHOW("min_nr 0, nothing", io_getevents_(ctx, 0, 8, ev, NULL));
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  SHOW("30ms timeout, nothing", io_getevents_(ctx, 1, 8, ev, &t30));
  printf("  waited >= 25ms: %d\n", ms_since(&t0) >= 25);
  prep(&a, IOCB_CMD_PWRITE, fd, "1", 1, 70, 0xd1);
  SHOW("pwrite", submit1(ctx, &a));
  SHOW("into unmapped events", io_getevents_(ctx, 1, 8, (struct io_event *)(hole + 4096), &zero));
  printf("  head==tail: %d\n", ld(&ring->head) == ld(&ring->tail));
  SHOW("min 2 of 1 available, 30ms", io_getevents_(ctx, 2, 8, ev, &t30));
  prep(&a, IOCB_CMD_PWRITE, fd, "1", 1, 70, 0xd2);
  prep(&b, IOCB_CMD_PWRITE, fd, "2", 1, 71, 0xd3);
  prep(&c, IOCB_CMD_PWRITE, fd, "3", 1, 72, 0xd4);
  SHOW("three writes", io_submit_(ctx, 3, three));
  SHOW("min 1 nr 2", io_getevents_(ctx, 1, 2, ev, &zero));
  SHOW("min 1 nr 8", io_getevents_(ctx, 1, 8, ev, &zero));
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  alarm_in_ms(30);
  SHOW("signal during wait (SA_RESTART)", io_getevents_(ctx, 1, 8, ev, NULL));
  printf("  alarms %d\n", alarms);

  printf("== io_pgetevents\n");
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t usr1, none, cur;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  raise(SIGUSR1);
  struct { sigset_t *mask; size_t size; } as = {&none, 8};
  SHOW("pgetevents unblocking a pending SIGUSR1", io_pgetevents_(ctx, 1, 8, ev, NULL, &as));
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("  usr1 handled %d, blocked again %d\n", usr1s, sigismember(&cur, SIGUSR1));
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
  kill(getpid(), SIGUSR1);
  printf("  usr1 handled %d\n", usr1s);
  /* SIGUSR1 blocked only during the wait: it comes then (before the write that ends the wait),
     stays pending, and runs once the call returns (or before it, if the thread is that quick). */
  int before = usr1s;
  main_thread = pthread_self();
  prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 0xd6);
  SHOW("poll pending", submit1(ctx, &a));
  pthread_create(&th, NULL, late_usr1, NULL);
  as.mask = &usr1;
  SHOW("pgetevents, SIGUSR1 blocked for it comes, then a write", io_pgetevents_(ctx, 1, 8, ev, NULL, &as));
  pthread_join(th, NULL);
  printf("  usr1 handled: %d\n", usr1s - before);
  if (read(pipefd[0], &ch, 1) != 1) return 1;
  as.size = 4;
  SHOW("sigsetsize 4", io_pgetevents_(ctx, 0, 8, ev, &zero, &as));
  as.size = 8;
  SHOW("unmapped __aio_sigset", io_pgetevents_(ctx, 0, 8, ev, &zero, hole + 4096));
  as.mask = NULL;
  SHOW("sigmask NULL", io_pgetevents_(ctx, 0, 8, ev, &zero, &as));
  prep(&a, IOCB_CMD_PWRITE, fd, "p", 1, 73, 0xd5);
  SHOW("pwrite", submit1(ctx, &a));
  as.mask = &usr1;
  SHOW("pgetevents with one ready", io_pgetevents_(ctx, 1, 8, ev, NULL, &as));
  SHOW("pgetevents 20ms, nothing", io_pgetevents_(ctx, 1, 8, ev, &(struct timespec){0, 20000000}, &as));

  printf("== reads that wait\n");
  pthread_create(&th, NULL, late_writer, "ping");
  memset(rbuf, 0, sizeof rbuf);
  prep(&a, IOCB_CMD_PREAD, pipefd[0], rbuf, 16, 0, 0xf1);
  prep(&b, IOCB_CMD_PWRITE, fd, "after", 5, 80, 0xf2);
  SHOW("pread on an empty pipe, then a pwrite", io_submit_(ctx, 2, two));
  pthread_join(th, NULL);
  reap(ctx, 2, 8, "pipe read");
  printf("  bytes: %s\n", rbuf);
  prep(&a, IOCB_CMD_PREAD, pipefd[0], rbuf, 16, 0, 0xf3);
  a.aio_rw_flags = RWF_NOWAIT;
  SHOW("pread RWF_NOWAIT on an empty pipe", submit1(ctx, &a));
  reap(ctx, 1, 1, "nowait");
  int nbp[2];
  if (pipe2(nbp, O_NONBLOCK)) return 1;
  prep(&a, IOCB_CMD_PREAD, nbp[0], rbuf, 16, 0, 0xf4);
  SHOW("pread on an empty O_NONBLOCK pipe", submit1(ctx, &a));
  reap(ctx, 1, 1, "nonblock");
  sa.sa_handler = on_alarm;
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  alarm_in_ms(30);
  prep(&a, IOCB_CMD_PREAD, pipefd[0], rbuf, 16, 0, 0xf5);
  SHOW("pread on an empty pipe, a signal comes", submit1(ctx, &a));
  printf("  alarms %d\n", alarms);
  reap(ctx, 1, 1, "interrupted");
  prep(&a, IOCB_CMD_PWRITE, pipefd[1], "pipe!", 5, 0, 0xf6);
  SHOW("pwrite to a pipe", submit1(ctx, &a));
  reap(ctx, 1, 1, "pipe write");
  memset(rbuf, 0, sizeof rbuf);
  if (read(pipefd[0], rbuf, 5) != 5) return 1;
  printf("  pipe holds: %s\n", rbuf);

  printf("== ring wrap\n");
  {
    aio_context_t w = 0;
    SHOW("setup 1", io_setup_(1, &w));
    struct aio_ring *wr = (struct aio_ring *)w;
    long done = 0, reaped = 0, bad = 0;
    for (int i = 0; i < 400; i++) {
      struct iocb x;
      prep(&x, IOCB_CMD_PWRITE, fd, "w", 1, 100, i);
      if (submit1(w, &x) != 1) { bad++; break; }
      done++;
      if (i % 50 == 49) {
        if (i % 100 == 49) {
          unsigned h = ld(&wr->head), t = ld(&wr->tail);
          while (h != t) {
            if (wr->io_events[h].data != (uint64_t)reaped) bad++;
            reaped++;
            h = (h + 1) % wr->nr;
          }
          st(&wr->head, h);
        } else {
          struct io_event e[64];
          long r;
          while ((r = io_getevents_(w, 0, 64, e, &zero)) > 0) {
            for (long j = 0; j < r; j++) if (e[j].data != (uint64_t)(reaped + j)) bad++;
            reaped += r;
          }
        }
      }
    }
    printf("  submitted %ld reaped %ld out of order %ld head<nr %d tail<nr %d\n", done, reaped, bad, ld(&wr->head) < wr->nr, ld(&wr->tail) < wr->nr);
    /* Slots: about nr-1 requests pending or unreaped. */
    static struct iocb polls[130];
    static struct iocb *pl[130];
    for (int i = 0; i < 130; i++) {
      prep(&polls[i], IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 1000 + i);
      pl[i] = &polls[i];
    }
    long n = io_submit_(w, 130, pl);
    printf("  130 polls: accepted between 100 and %u: %d\n", wr->nr - 1, n >= 100 && n <= (long)wr->nr - 1);
    struct iocb one;
    prep(&one, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 1);
    SHOW("  one more", submit1(w, &one));
    SHOW("  destroy with them pending", io_destroy_(w));
    SHOW("  getevents after destroy", io_getevents_(w, 0, 1, ev, &zero));
  }

  printf("== io_destroy\n");
  {
    aio_context_t x = 0;
    io_setup_(4, &x);
    prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 0x1d);
    a.aio_flags = IOCB_FLAG_RESFD;
    a.aio_resfd = efd;
    SHOW("poll pending", submit1(x, &a));
    SHOW("destroy", io_destroy_(x));
    cnt = 0;
    SHOW("eventfd read", read(efd, &cnt, 8));
    printf("  eventfd count %llu (the cancelled poll)\n", (unsigned long long)cnt);
    maps_line("  maps", x);
    SHOW("destroy again", io_destroy_(x));
    SHOW("submit", submit1(x, &a));
    x = 0;
    io_setup_(4, &x);
    destroy_ctx = x;
    pthread_create(&th, NULL, late_destroy, NULL);
    SHOW("getevents while a thread destroys", io_getevents_(x, 1, 1, ev, NULL));
    pthread_join(th, NULL);
    printf("  the thread's destroy: %ld\n", destroy_ret);
    x = 0;
    io_setup_(4, &x);
    SHOW("munmap the ring", munmap((void *)x, 4096));
    SHOW("getevents", io_getevents_(x, 0, 1, ev, &zero));
    SHOW("destroy", io_destroy_(x));
  }

  printf("== mremap\n");
  {
    aio_context_t m = 0;
    io_setup_(1, &m);
    void *dst = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *nm = mremap((void *)m, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    printf("ring moved to the new place: %d\n", nm == dst);
    SHOW("getevents(old address)", io_getevents_(m, 0, 1, ev, &zero));
    aio_context_t m2 = (aio_context_t)(uintptr_t)nm;
    prep(&a, IOCB_CMD_PWRITE, fd, "m", 1, 95, 0x3e);
    SHOW("submit at the new address", submit1(m2, &a));
    reap(m2, 1, 1, "moved");
    ring_header("moved ring", m2);
    SHOW("grow the ring", (long)mremap(nm, 4096, 8192, MREMAP_MAYMOVE));
    void *back = mremap(nm, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (char *)dst + 4096);
    printf("moved again: %d\n", back == (char *)dst + 4096);
    SHOW("destroy at the newest address", io_destroy_((aio_context_t)(uintptr_t)back));
    maps_line("maps", (unsigned long)(uintptr_t)back);
  }

  printf("== fork\n");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    printf("child: ");
    maps_line("ring mapping", ctx);
    printf("child: magic %#x nr %u\n", ring->magic, ring->nr);
    SHOW("child: getevents(parent ctx)", io_getevents_(ctx, 0, 1, ev, &zero));
    SHOW("child: destroy(parent ctx)", io_destroy_(ctx));
    aio_context_t cc = 0;
    SHOW("child: setup 1", io_setup_(1, &cc));
    ring_header("child: ring", cc);
    prep(&a, IOCB_CMD_PWRITE, fd, "k", 1, 90, 0xcc);
    SHOW("child: pwrite", submit1(cc, &a));
    reap(cc, 1, 1, "child");
    fflush(stdout);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  printf("child exit %d\n", WEXITSTATUS(status));
  prep(&a, IOCB_CMD_PWRITE, fd, "q", 1, 91, 0xdd);
  SHOW("parent: pwrite", submit1(ctx, &a));
  reap(ctx, 1, 1, "parent");

  printf("== exec\n");
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    /* A context with a poll pending, then execve: exit_aio ends it with the old image. */
    aio_context_t cc = 0;
    io_setup_(1, &cc);
    prep(&a, IOCB_CMD_POLL, pipefd[0], (void *)(uintptr_t)POLLIN, 0, 0, 0xee);
    SHOW("child: poll pending", submit1(cc, &a));
    fflush(stdout);
    char arg[32];
    snprintf(arg, sizeof arg, "%llx", (unsigned long long)cc);
    execl("/proc/self/exe", "aio", "exec", arg, (char *)NULL);
    perror("execl");
    _exit(1);
  }
  waitpid(pid, &status, 0);
  printf("exec child exit %d\n", WEXITSTATUS(status));
  SHOW("destroy", io_destroy_(ctx));
  SHOW("destroy 2", io_destroy_(c2));
  SHOW("destroy 4", io_destroy_(c3));
  unlink(path);
  return 0;
}
