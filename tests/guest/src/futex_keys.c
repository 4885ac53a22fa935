/* Futex keys: a private futex is keyed by address space and address, a shared one on a
   MAP_SHARED page by the page itself. Across fork, a shared wake reaches a waiter in the other
   process through MAP_SHARED memory; a private wake does not (it times out), nor does one on a
   private copy-on-write page that still has the same frame; a shared op on private memory
   meets only shared ops of the same process. */
#include "pm.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts) {
  return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

struct shm { volatile int word; volatile int ready; volatile long result; volatile int err; };
static int cow_word; /* private (bss): copy-on-write after fork */

/* the child waits on `w` with `op` and 2 s of patience; returns what the parent's wakes found */
static void child_waits(struct shm *s, volatile int *w, int op, const char *label, int wake_op, int retry) {
  s->ready = 0;
  s->result = -99;
  pid_t p = fork();
  if (p == 0) {
    struct timespec ts = {0, 500000000};
    s->ready = 1;
    errno = 0;
    long r = futex(w, op, 0, &ts);
    s->result = r;
    s->err = errno;
    _exit(0);
  }
  while (!s->ready) usleep(1000);
  usleep(50000);
  long woken;
  if (retry) {
    /* a shared wake must reach it: retry until the child sleeps */
    while ((woken = futex(w, wake_op, 1, NULL)) == 0) usleep(1000);
  } else {
    woken = futex(w, wake_op, 1, NULL);
  }
  int st;
  waitpid(p, &st, 0);
  printf("%s: woken %ld, child's wait %ld %s\n", label, woken, s->result, s->result < 0 ? strerrorname_np(s->err) : "ok");
}

static volatile int tword;
static void *twaiter(void *arg) {
  (void)arg;
  struct timespec ts = {5, 0};
  long r = futex(&tword, FUTEX_WAIT, 0, &ts); /* shared op on private memory */
  return (void *)r;
}

int main(void) {
  struct shm *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  struct shm *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  (void)priv;
  child_waits(s, &s->word, FUTEX_WAIT, "MAP_SHARED, shared wait, shared wake", FUTEX_WAKE, 1);
  child_waits(s, &s->word, FUTEX_WAIT_PRIVATE, "MAP_SHARED, private wait, private wake", FUTEX_WAKE_PRIVATE, 0);
  child_waits(s, &s->word, FUTEX_WAIT_PRIVATE, "MAP_SHARED, private wait, shared wake", FUTEX_WAKE, 0);
  child_waits(s, &s->word, FUTEX_WAIT, "MAP_SHARED, shared wait, private wake", FUTEX_WAKE_PRIVATE, 0);
  child_waits(s, &cow_word, FUTEX_WAIT_PRIVATE, "COW page, private", FUTEX_WAKE_PRIVATE, 0);
  child_waits(s, &cow_word, FUTEX_WAIT, "COW page, shared op", FUTEX_WAKE, 0);

  long woken;
  /* threads: a shared op on private memory meets shared ops only, never private ones */
  pthread_t t;
  pthread_create(&t, NULL, twaiter, NULL);
  usleep(50000);
  printf("thread: shared wait, private wake: %ld\n", futex(&tword, FUTEX_WAKE_PRIVATE, 1, NULL));
  while ((woken = futex(&tword, FUTEX_WAKE, 1, NULL)) == 0) usleep(1000);
  void *ret;
  pthread_join(t, &ret);
  printf("thread: shared wait, shared wake on private memory: woken %ld, wait %ld\n", woken, (long)ret);

  /* EFAULT: a shared wake on an unmapped address; a private one just finds nobody */
  void *hole = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, 4096);
  errno = 0;
  long r = futex(hole, FUTEX_WAKE, 1, NULL);
  printf("shared wake, unmapped: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "ok");
  r = futex(hole, FUTEX_WAKE_PRIVATE, 1, NULL);
  printf("private wake, unmapped: %ld\n", r);
  errno = 0;
  r = futex(hole, FUTEX_WAIT_PRIVATE, 0, NULL);
  printf("private wait, unmapped: %ld %s\n", r, strerrorname_np(errno));
  return 0;
}
