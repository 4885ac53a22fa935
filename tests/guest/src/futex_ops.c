/* Raw futex: WAIT value mismatch (EAGAIN), relative timeout (ETIMEDOUT), bad timespec and
   unaligned address (EINVAL), bad address (EFAULT), unknown op (ENOSYS), WAIT_BITSET with
   absolute MONOTONIC and REALTIME deadlines, bitset 0 (EINVAL), WAKE with no waiters, and
   WAKE_OP's arithmetic and comparison on the second word. */
#include "pm.h"
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static long fx(void *a, int op, int val, const struct timespec *ts, void *a2, int val3) {
  return syscall(SYS_futex, a, op, val, ts, a2, val3);
}

int main(void) {
  static int w = 5, w2 = 0;
  struct timespec ten = {0, 10 * 1000 * 1000};
  ERR("WAIT mismatch", fx(&w, FUTEX_WAIT, 4, NULL, NULL, 0));
  ERR("WAIT timeout", fx(&w, FUTEX_WAIT, 5, &ten, NULL, 0));
  ERR("WAIT_PRIVATE timeout", fx(&w, FUTEX_WAIT_PRIVATE, 5, &ten, NULL, 0));
  struct timespec bad = {0, 1000000000};
  ERR("WAIT bad timespec", fx(&w, FUTEX_WAIT, 5, &bad, NULL, 0));
  struct timespec neg = {-1, 0};
  ERR("WAIT negative timespec", fx(&w, FUTEX_WAIT, 5, &neg, NULL, 0));
  ERR("WAIT unaligned", fx((char *)&w + 1, FUTEX_WAIT, 5, &ten, NULL, 0));
  ERR("WAIT bad address", fx((void *)16, FUTEX_WAIT, 5, &ten, NULL, 0));
  ERR("WAIT bad timeout ptr", fx(&w, FUTEX_WAIT, 5, (void *)16, NULL, 0));
  ERR("unknown op", fx(&w, 99, 0, NULL, NULL, 0));
  printf("WAKE nobody: %ld\n", fx(&w, FUTEX_WAKE, 1, NULL, NULL, 0));
  printf("WAKE unmapped: ");
  ERR("", fx((void *)16, FUTEX_WAKE, 1, NULL, NULL, 0));
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 5 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  ERR("WAIT_BITSET abs monotonic", fx(&w, FUTEX_WAIT_BITSET, 5, &now, NULL, FUTEX_BITSET_MATCH_ANY));
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 5 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  ERR("WAIT_BITSET abs realtime", fx(&w, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &now, NULL, FUTEX_BITSET_MATCH_ANY));
  struct timespec past = {1, 0};
  ERR("WAIT_BITSET past deadline", fx(&w, FUTEX_WAIT_BITSET, 5, &past, NULL, FUTEX_BITSET_MATCH_ANY));
  ERR("WAIT_BITSET bitset 0", fx(&w, FUTEX_WAIT_BITSET, 5, &ten, NULL, 0));
  ERR("WAKE_BITSET bitset 0", fx(&w, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0));
  /* WAKE_OP: *uaddr2 op= oparg, then wake on uaddr2 if (old cmp cmparg) */
  struct { int op, oparg, cmp, cmparg; } cases[] = {
    {FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0}, {FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 7},
    {FUTEX_OP_OR, 0x10, FUTEX_OP_CMP_NE, 10}, {FUTEX_OP_ANDN, 0x2, FUTEX_OP_CMP_LT, 100},
    {FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_LE, 0}, {FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_GT, 0},
    {FUTEX_OP_ADD, -2, FUTEX_OP_CMP_GE, 16},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int enc = FUTEX_OP(cases[i].op, cases[i].oparg & 0xfff, cases[i].cmp, cases[i].cmparg);
    long r = fx(&w, FUTEX_WAKE_OP, 1, (void *)1, &w2, enc);
    printf("WAKE_OP %u: ret=%ld word=%d\n", i, r, w2);
  }
  ERR("WAKE_OP bad op", fx(&w, FUTEX_WAKE_OP, 1, (void *)1, &w2, FUTEX_OP(6, 0, 0, 0)));
  printf("word after bad op: %d\n", w2);
  ERR("WAKE_OP bad cmp", fx(&w, FUTEX_WAKE_OP, 1, (void *)1, &w2, FUTEX_OP(FUTEX_OP_SET, 1, 7, 0)));
  printf("word after bad cmp: %d\n", w2);
  ERR("WAKE_OP bad uaddr2", fx(&w, FUTEX_WAKE_OP, 1, (void *)1, (void *)16, 0));
  ERR("CMP_REQUEUE mismatch", fx(&w, FUTEX_CMP_REQUEUE, 1, (void *)1, &w2, 999));
  ERR("REQUEUE negative", fx(&w, FUTEX_REQUEUE, -1, (void *)1, &w2, 0));
  return 0;
}
