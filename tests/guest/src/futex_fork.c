/* Shared futexes on a memfd mapped MAP_SHARED across fork (on SGX each process is its own
   enclave: the memfd's pages migrate between them and its owner keeps the futex queue,
   docs/sgx-fork.md). A child's FUTEX_WAIT woken by the parent and the reverse, a child waking a
   sibling, WAKE counts with several children waiting, bitsets, EAGAIN on a mismatched value (in
   the child, and in the parent after the child's store), ETIMEDOUT, a signal interrupting a wait
   (EINTR, and the waiter is gone from the queue), a killed waiter gone from the queue, WAKE_OP
   from each side, and REQUEUE and CMP_REQUEUE (counts, EAGAIN).

   Whether a waiter is queued is learnt without timing: FUTEX_CMP_REQUEUE with nr_wake 0 returns
   how many waiters it moved, so the parent moves them onto a second word until it has them all
   (they keep waiting there) and wakes them on that word. */
#include "pm.h"
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static long futex6(volatile int *uaddr, int op, int val, long val2, volatile int *uaddr2, int val3) {
  return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}
static long fwait(volatile int *w, int val, const struct timespec *ts) {
  return syscall(SYS_futex, w, FUTEX_WAIT, val, ts, NULL, 0);
}
static long fwake(volatile int *w, int n) { return futex6(w, FUTEX_WAKE, n, 0, NULL, 0); }

struct shared {
  volatile int a, b, c, d, e, x, p, q, r, t, u, v;
  volatile int ready;
};

/* Moves waiters of `from` onto `to` until `n` have moved (they are all queued then). */
static void gather(volatile int *from, volatile int *to, int n) {
  int moved = 0;
  while (moved < n) {
    long r = futex6(from, FUTEX_CMP_REQUEUE, 0, INT_MAX, to, *from);
    if (r > 0) moved += r;
    else usleep(1000);
  }
}

/* A child that waits on w for val (bitset all ones unless given) and exits 0 when woken, else 100+errno. */
static pid_t waiter(volatile int *w, int val, unsigned bitset) {
  pid_t p = fork();
  if (p == 0) {
    long r = bitset ? syscall(SYS_futex, w, FUTEX_WAIT_BITSET, val, NULL, NULL, bitset) : fwait(w, val, NULL);
    _exit(r == 0 ? 0 : 100 + errno);
  }
  return p;
}

static const char *status(pid_t p) {
  static char buf[64];
  int st;
  waitpid(p, &st, 0);
  if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "killed by %s", sigabbrev_np(WTERMSIG(st)));
  else if (WEXITSTATUS(st) == 0) snprintf(buf, sizeof buf, "woken (0)");
  else if (WEXITSTATUS(st) >= 100) snprintf(buf, sizeof buf, "%s", strerrorname_np(WEXITSTATUS(st) - 100));
  else snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
  return buf;
}

static void on_usr1(int sig) { (void)sig; }


int main(void) {
  int fd = memfd_create("futex_fork", 0);
  if (fd < 0 || ftruncate(fd, 8192)) { perror("memfd"); return 1; }
  struct shared *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (s == MAP_FAILED) { perror("mmap"); return 1; }
  setvbuf(stdout, NULL, _IONBF, 0);

  /* 1. the child waits, the parent wakes (retrying until the child is queued) */
  pid_t c = waiter(&s->a, 0, 0);
  long n;
  while ((n = fwake(&s->a, 1)) == 0) usleep(1000);
  printf("parent's wake: %ld; child: %s\n", n, status(c));

  /* 2. the parent waits, the child wakes it */
  c = fork();
  if (c == 0) {
    while ((n = fwake(&s->b, 1)) == 0) usleep(1000);
    _exit(n);
  }
  errno = 0;
  long r = fwait(&s->b, 0, NULL);
  int st;
  waitpid(c, &st, 0);
  printf("parent's wait: %ld %s; child's wake returned %d\n", r, r ? strerrorname_np(errno) : "ok", WEXITSTATUS(st));

  /* 3. a child wakes its sibling */
  pid_t w = waiter(&s->c, 0, 0);
  c = fork();
  if (c == 0) {
    while ((n = fwake(&s->c, 1)) == 0) usleep(1000);
    _exit(n);
  }
  waitpid(c, &st, 0);
  printf("sibling's wake returned %d; waiting child: %s\n", WEXITSTATUS(st), status(w));

  /* 4. several children: WAKE counts, REQUEUE and CMP_REQUEUE */
  pid_t kids[4];
  for (int i = 0; i < 4; i++) kids[i] = waiter(&s->a, 0, 0);
  gather(&s->a, &s->d, 4);
  printf("4 children queued\n");
  errno = 0;
  r = futex6(&s->d, FUTEX_CMP_REQUEUE, 1, 1, &s->e, 5);
  printf("cmp_requeue with a stale value: %ld %s\n", r, strerrorname_np(errno));
  printf("cmp_requeue wake 1, move 1: %ld\n", futex6(&s->d, FUTEX_CMP_REQUEUE, 1, 1, &s->e, 0));
  printf("requeue wake 0, move all: %ld\n", futex6(&s->d, FUTEX_REQUEUE, 0, INT_MAX, &s->e, 0));
  printf("wake 2 of the 3 left: %ld\n", fwake(&s->e, 2));
  printf("wake up to 10: %ld\n", fwake(&s->e, 10));
  printf("wake again: %ld\n", fwake(&s->e, 10));
  int ok = 0;
  for (int i = 0; i < 4; i++) ok += strcmp(status(kids[i]), "woken (0)") == 0;
  printf("children woken: %d\n", ok);

  /* 5. bitsets */
  pid_t b1 = waiter(&s->p, 0, 0x1);
  gather(&s->p, &s->q, 1);
  printf("wake_bitset 0x6: %ld\n", futex6(&s->q, FUTEX_WAKE_BITSET, 10, 0, NULL, 0x6));
  printf("wake_bitset 0x3: %ld\n", futex6(&s->q, FUTEX_WAKE_BITSET, 10, 0, NULL, 0x3));
  printf("bitset 0x1 child: %s\n", status(b1));
  pid_t b2 = waiter(&s->r, 0, 0x6);
  while ((n = futex6(&s->r, FUTEX_WAKE_BITSET, 10, 0, NULL, 0x4)) == 0) usleep(1000);
  printf("wake_bitset 0x4 reached the 0x6 child: %ld; %s\n", n, status(b2));

  /* 6. mismatched values and a timeout, in the child; the parent sees the child's store */
  s->x = 7;
  c = fork();
  if (c == 0) {
    errno = 0;
    long r1 = fwait(&s->x, 3, NULL);
    int e1 = errno;
    struct timespec ts = {0, 50000000};
    errno = 0;
    long r2 = fwait(&s->x, 7, &ts);
    int e2 = errno;
    printf("child: wait for 3 on 7: %ld %s; timed wait: %ld %s\n", r1, strerrorname_np(e1), r2, strerrorname_np(e2));
    s->x = 9;
    _exit(0);
  }
  waitpid(c, &st, 0);
  errno = 0;
  r = fwait(&s->x, 7, NULL);
  printf("parent: wait for 7 after the child stored 9: %ld %s\n", r, strerrorname_np(errno));

  /* 7. a signal interrupts a child's wait; the waiter leaves the queue */
  c = fork();
  if (c == 0) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    errno = 0;
    long r1 = fwait(&s->t, 0, NULL);
    _exit(r1 == 0 ? 0 : 100 + errno);
  }
  gather(&s->t, &s->u, 1);
  kill(c, SIGUSR1);
  printf("signalled child: %s; ", status(c));
  printf("wake after it: %ld\n", fwake(&s->u, 10));

  /* 8. a killed waiter leaves the queue */
  c = waiter(&s->t, 0, 0);
  gather(&s->t, &s->u, 1);
  kill(c, SIGKILL);
  printf("killed child: %s; ", status(c));
  printf("wake after it: %ld\n", fwake(&s->u, 10));

  /* 9. WAKE_OP: the parent wakes one child on each word; then a child wakes the parent */
  s->p = s->q = s->r = 0;
  b1 = waiter(&s->a, 0, 0);
  b2 = waiter(&s->b, 0, 0);
  gather(&s->a, &s->p, 1);
  gather(&s->b, &s->q, 1);
  for (int i = 0; i < 2; i++) {
    n = futex6(&s->p, FUTEX_WAKE_OP, 1, 1, &s->q, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
    printf("wake_op add 1, old == 0: %ld, word now %d\n", n, s->q);
  }
  printf("children: %s, ", status(b1));
  printf("%s\n", status(b2));
  c = fork();
  if (c == 0) {
    int calls = 0;
    do calls++; while ((n = futex6(&s->v, FUTEX_WAKE_OP, 1, 0, &s->r, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0))) == 0 && usleep(1000) == 0);
    _exit(n == 1 && s->r == calls ? 0 : 1);
  }
  errno = 0;
  r = fwait(&s->v, 0, NULL);
  printf("parent woken by the child's wake_op: %ld %s; ", r, r ? strerrorname_np(errno) : "ok");
  printf("child: %s\n", status(c));

  return 0;
}
