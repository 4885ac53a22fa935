/* futex_waitv (449): argument checks (EINVAL, EFAULT), EAGAIN, absolute timeouts on both clocks,
   wakes by FUTEX_WAKE / FUTEX_WAKE_BITSET / a requeue on private words, EINTR and SA_RESTART,
   and shared words in MAP_SHARED memory across fork in both directions (on SGX the child is
   another enclave). Threads and processes are ordered by polling a FUTEX_WAKE's count (it is 1
   only once the waiter is queued), never by sleeps. Not a qemu case (qemu 7.2: ENOSYS); the
   expected output is Linux 6.18's for the same source built natively. */
#include "pm.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE FUTEX_PRIVATE_FLAG
#endif
#define U32 FUTEX2_SIZE_U32

static long waitv(struct futex_waitv *w, unsigned n, unsigned flags, struct timespec *ts, int clk) {
  return syscall(SYS_futex_waitv, w, n, flags, ts, clk);
}
static long fwake(uint32_t *a, int n, int priv) {
  return syscall(SYS_futex, a, FUTEX_WAKE | (priv ? FUTEX_PRIVATE_FLAG : 0), n, NULL, NULL, 0);
}
static void set(struct futex_waitv *w, uint32_t *a, uint64_t val, uint32_t flags) {
  memset(w, 0, sizeof *w);
  w->uaddr = (uintptr_t)a;
  w->val = val;
  w->flags = flags;
}
/* Wakes one waiter on a, once one is queued there: how many FUTEX_WAKEs it took is not printed. */
static void wake_when_queued(uint32_t *a, int priv) {
  while (fwake(a, 1, priv) != 1) sched_yield();
}
static struct timespec in_ms(int clk, long ms) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  ts.tv_nsec += ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static uint32_t words[4];
static struct futex_waitv tv[4];
static volatile long result;
static volatile int done, handled;
static volatile pid_t waiter_tid;

static void *waiter(void *arg) {
  unsigned n = (unsigned)(uintptr_t)arg;
  waiter_tid = gettid();
  errno = 0;
  long r = waitv(tv, n, 0, NULL, 0);
  result = r == -1 ? -errno : r;
  done = 1;
  return NULL;
}
static void on_usr1(int sig) { (void)sig; handled++; }
static void show_result(const char *label) {
  if (result < 0) printf("%s: -1 %s\n", label, strerrorname_np((int)-result));
  else printf("%s: %ld ok\n", label, result);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct futex_waitv w[130];
  struct timespec ts = {0, 0};
  for (int i = 0; i < 130; i++) set(&w[i], &words[0], 0, U32 | FUTEX2_PRIVATE);

  /* Arguments. */
  SHOW("flags 1", waitv(w, 1, 1, NULL, 0));
  SHOW("nr 0", waitv(w, 0, 0, NULL, 0));
  SHOW("nr 129", waitv(w, 129, 0, NULL, 0));
  SHOW("waiters NULL", waitv(NULL, 1, 0, NULL, 0));
  SHOW("waiters unmapped", waitv((struct futex_waitv *)8, 1, 0, NULL, 0));
  SHOW("clock BOOTTIME", waitv(w, 1, 0, &ts, CLOCK_BOOTTIME));
  SHOW("timeout unmapped", waitv(w, 1, 0, (struct timespec *)8, CLOCK_MONOTONIC));
  ts.tv_nsec = 1000000000L;
  SHOW("timeout nsec 1e9", waitv(w, 1, 0, &ts, CLOCK_MONOTONIC));
  ts.tv_nsec = 0;
  ts.tv_sec = -1;
  SHOW("timeout sec -1", waitv(w, 1, 0, &ts, CLOCK_MONOTONIC));
  ts.tv_sec = 0;
  /* A clock id without a timeout is not looked at. */
  set(&w[0], &words[0], 1, U32 | FUTEX2_PRIVATE);
  SHOW("clock ignored without timeout", waitv(w, 1, 0, NULL, 12345));
  set(&w[1], &words[1], 0, FUTEX2_PRIVATE);
  SHOW("no size flag", waitv(w, 2, 0, NULL, 0));
  set(&w[1], &words[1], 0, 3 | FUTEX2_PRIVATE);
  SHOW("size U64", waitv(w, 2, 0, NULL, 0));
  set(&w[1], &words[1], 0, 0 | FUTEX2_PRIVATE);
  SHOW("size U8", waitv(w, 2, 0, NULL, 0));
  set(&w[1], &words[1], 0, U32 | 0x10);
  SHOW("unknown flag 0x10", waitv(w, 2, 0, NULL, 0));
  set(&w[1], &words[1], 0, U32 | FUTEX2_PRIVATE);
  w[1].__reserved = 1;
  SHOW("reserved 1", waitv(w, 2, 0, NULL, 0));
  set(&w[1], &words[1], 1ull << 32, U32 | FUTEX2_PRIVATE);
  SHOW("val above 32 bits", waitv(w, 2, 0, NULL, 0));
  set(&w[1], (uint32_t *)((char *)&words[1] + 2), 0, U32 | FUTEX2_PRIVATE);
  SHOW("misaligned", waitv(w, 2, 0, NULL, 0));
  set(&w[1], (uint32_t *)((char *)&words[1] + 2), 0, U32);
  SHOW("misaligned shared", waitv(w, 2, 0, NULL, 0));
  /* Every entry is parsed before any word is compared: a bad later entry wins over EAGAIN. */
  set(&w[0], &words[0], 7, U32 | FUTEX2_PRIVATE);
  set(&w[1], &words[1], 0, U32 | FUTEX2_PRIVATE | 0x100);
  SHOW("EAGAIN then bad flags", waitv(w, 2, 0, NULL, 0));
  /* Every key before any compare: a misaligned later word wins over EAGAIN too. */
  set(&w[1], (uint32_t *)((char *)&words[1] + 1), 0, U32 | FUTEX2_PRIVATE);
  SHOW("EAGAIN then misaligned", waitv(w, 2, 0, NULL, 0));
  /* Values in order: a differing word before an unmapped one is EAGAIN, after it EFAULT. */
  uint32_t *none = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(none, 4096);
  set(&w[1], none, 0, U32 | FUTEX2_PRIVATE);
  SHOW("EAGAIN then unmapped", waitv(w, 2, 0, NULL, 0));
  set(&w[0], none, 0, U32 | FUTEX2_PRIVATE);
  set(&w[1], &words[1], 7, U32 | FUTEX2_PRIVATE);
  SHOW("unmapped private", waitv(w, 2, 0, NULL, 0));
  set(&w[0], none, 0, U32);
  SHOW("unmapped shared", waitv(w, 2, 0, NULL, 0));
  set(&w[0], &words[0], 0, U32 | FUTEX2_PRIVATE);
  set(&w[1], &words[1], 0, U32 | FUTEX2_PRIVATE);
  set(&w[2], &words[2], 1, U32 | FUTEX2_PRIVATE);
  SHOW("third differs", waitv(w, 3, 0, NULL, 0));
  /* FUTEX2_NUMA (0x4): the node is the next u32; FUTEX_NO_NODE becomes the node chosen (0, one
     node), another node EINVAL. FUTEX2_MPOL (0x8) alone reads no node. */
  uint32_t pair[2] = {1, 0xffffffffu};
  set(&w[0], &pair[0], 0, U32 | FUTEX2_PRIVATE | 0x4);
  SHOW("NUMA, no node", waitv(w, 1, 0, NULL, 0));
  printf("node written: %x\n", pair[1]);
  pair[1] = 5;
  SHOW("NUMA, node 5", waitv(w, 1, 0, NULL, 0));
  pair[1] = 0xffffffffu;
  set(&w[0], &pair[0], 0, U32 | FUTEX2_PRIVATE | 0x8);
  SHOW("MPOL alone", waitv(w, 1, 0, NULL, 0));
  printf("node left: %x\n", pair[1]);
  set(&w[0], &words[0], 0, U32 | FUTEX2_PRIVATE);
  words[3] = 0xffffffffu;
  set(&w[2], &words[3], 0xffffffffull, U32 | FUTEX2_PRIVATE);
  struct timespec past = {0, 0};
  SHOW("u32 max equal, past deadline", waitv(w, 3, 0, &past, CLOCK_MONOTONIC));
  for (int i = 0; i < 128; i++) set(&w[i], &words[i % 3], 0, U32 | (i % 2 ? FUTEX2_PRIVATE : 0));
  ts = in_ms(CLOCK_MONOTONIC, 20);
  SHOW("128 words, monotonic timeout", waitv(w, 128, 0, &ts, CLOCK_MONOTONIC));
  ts = in_ms(CLOCK_REALTIME, 20);
  SHOW("realtime timeout", waitv(w, 2, 0, &ts, CLOCK_REALTIME));
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  printf("realtime deadline passed: %s\n",
         now.tv_sec > ts.tv_sec || (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec) ? "yes" : "no");

  /* Wakes on private words: the index of the word woken. */
  words[0] = words[1] = words[2] = 0;
  set(&tv[0], &words[0], 0, U32 | FUTEX2_PRIVATE);
  set(&tv[1], &words[1], 0, U32 | FUTEX2_PRIVATE);
  set(&tv[2], &words[2], 0, U32 | FUTEX2_PRIVATE);
  pthread_t th;
  pthread_create(&th, NULL, waiter, (void *)3);
  wake_when_queued(&words[2], 1);
  pthread_join(th, NULL);
  show_result("woken on word 2");
  printf("wake again: %ld\n", fwake(&words[2], 1, 1));
  pthread_create(&th, NULL, waiter, (void *)3);
  while (syscall(SYS_futex, &words[0], FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0x4) != 1) sched_yield();
  pthread_join(th, NULL);
  show_result("woken by WAKE_BITSET on word 0");
  /* A shared wake does not meet a private wait on the same word. */
  set(&tv[0], &words[0], 0, U32);
  pthread_create(&th, NULL, waiter, (void *)3);
  wake_when_queued(&words[0], 0);
  pthread_join(th, NULL);
  show_result("shared-op word 0 woken by shared wake");
  set(&tv[0], &words[0], 0, U32 | FUTEX2_PRIVATE);
  /* A requeue moves a waitv word; a wake on the target word then ends it with that index. */
  pthread_create(&th, NULL, waiter, (void *)2);
  while (syscall(SYS_futex, &words[1], FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, 1, &words[3], 0) != 1) sched_yield();
  printf("private wake on old word 1: %ld\n", fwake(&words[1], 1, 1));
  wake_when_queued(&words[3], 1);
  pthread_join(th, NULL);
  show_result("requeued word 1 woken on its target");

  /* Signals: without SA_RESTART EINTR; with SA_RESTART the call goes on until a wake. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  done = 0;
  waiter_tid = 0;
  pthread_create(&th, NULL, waiter, (void *)3);
  while (!waiter_tid) sched_yield();
  while (!done) {
    syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);
    sched_yield();
  }
  pthread_join(th, NULL);
  show_result("signal without SA_RESTART");
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  done = 0;
  handled = 0;
  waiter_tid = 0;
  pthread_create(&th, NULL, waiter, (void *)3);
  while (!waiter_tid) sched_yield();
  syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);
  while (!handled) sched_yield();
  wake_when_queued(&words[1], 1);
  pthread_join(th, NULL);
  show_result("signal with SA_RESTART, then woken on word 1");

  /* Shared words in MAP_SHARED memory across fork, both ways. */
  uint32_t *sh = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t pid = fork();
  if (pid == 0) {
    struct futex_waitv cw[3];
    set(&cw[0], &sh[0], 0, U32);
    set(&cw[1], &sh[1024], 0, U32); /* the second page */
    set(&cw[2], &words[0], 0, U32 | FUTEX2_PRIVATE);
    long r = waitv(cw, 3, 0, NULL, 0);
    _exit(r == 1 ? 0 : 10 + (r < 0 ? errno : (int)r));
  }
  wake_when_queued(&sh[1024], 0);
  int st;
  waitpid(pid, &st, 0);
  printf("child woken on shared word 1: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
  pid = fork();
  if (pid == 0) {
    wake_when_queued(&sh[0], 0);
    _exit(0);
  }
  set(&w[0], &words[0], 0, U32 | FUTEX2_PRIVATE);
  set(&w[1], &sh[0], 0, U32);
  set(&w[2], &sh[1024], 0, U32);
  SHOW("parent woken on shared word by child", waitv(w, 3, 0, NULL, 0));
  waitpid(pid, &st, 0);
  /* A shared word that differs, seen from a child. */
  sh[1] = 5;
  pid = fork();
  if (pid == 0) {
    struct futex_waitv cw[2];
    set(&cw[0], &sh[0], 0, U32);
    set(&cw[1], &sh[1], 4, U32);
    long r = waitv(cw, 2, 0, NULL, 0);
    _exit(r == -1 && errno == EAGAIN ? 0 : 1);
  }
  waitpid(pid, &st, 0);
  printf("child EAGAIN on differing shared word: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
  /* A timeout in a child waiting on shared words only. */
  pid = fork();
  if (pid == 0) {
    struct futex_waitv cw[2];
    set(&cw[0], &sh[0], 0, U32);
    set(&cw[1], &sh[1024], 0, U32);
    struct timespec t2 = in_ms(CLOCK_MONOTONIC, 20);
    long r = waitv(cw, 2, 0, &t2, CLOCK_MONOTONIC);
    _exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
  }
  waitpid(pid, &st, 0);
  printf("child ETIMEDOUT on shared words: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
  return 0;
}
