/* futex with waiting threads: WAKE counts, REQUEUE and CMP_REQUEUE (return woken + moved),
   WAKE_BITSET selecting waiters, and a private futex across a MAP_SHARED page across fork. */
#include "pm.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int a, b;
static int waiting, done;
static long fx(void *u, int op, int val, void *ts, void *u2, int val3) {
  return syscall(SYS_futex, u, op, val, ts, u2, val3);
}
struct arg { int *word; int bitset; };
static void *waiter(void *p) {
  struct arg *ar = p;
  __atomic_fetch_add(&waiting, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(ar->word, __ATOMIC_SEQ_CST) == 0) {
    if (ar->bitset) fx(ar->word, FUTEX_WAIT_BITSET, 0, NULL, NULL, ar->bitset);
    else fx(ar->word, FUTEX_WAIT, 0, NULL, NULL, 0);
  }
  __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}
static void settle(int n) { while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < n) sched_yield(); for (int i = 0; i < 200; i++) sched_yield(); usleep(20000); }

int main(void) {
  pthread_t t[4];
  struct arg aa = {&a, 0};
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, waiter, &aa);
  settle(4);
  /* a = 1 first: a woken waiter leaves; a requeued one sleeps on b (no value check) */
  a = 1;
  printf("WAKE 1: %ld\n", fx(&a, FUTEX_WAKE, 1, NULL, NULL, 0));
  printf("REQUEUE 1+2: %ld\n", fx(&a, FUTEX_REQUEUE, 1, (void *)2, &b, 0));
  printf("WAKE a now: %ld\n", fx(&a, FUTEX_WAKE, 10, NULL, NULL, 0));
  printf("WAKE b: %ld\n", fx(&b, FUTEX_WAKE, 10, NULL, NULL, 0));
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  printf("done: %d\n", done);
  /* CMP_REQUEUE */
  a = 0; waiting = 0; done = 0;
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, waiter, &aa);
  settle(3);
  printf("CMP_REQUEUE 0+3: %ld\n", fx(&a, FUTEX_CMP_REQUEUE, 0, (void *)3, &b, 0));
  a = 1;
  printf("WAKE b: %ld\n", fx(&b, FUTEX_WAKE, 10, NULL, NULL, 0));
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  /* bitsets */
  a = 0; waiting = 0;
  struct arg b1 = {&a, 1}, b2 = {&a, 2};
  pthread_create(&t[0], NULL, waiter, &b1);
  pthread_create(&t[1], NULL, waiter, &b2);
  settle(2);
  printf("WAKE_BITSET 4: %ld\n", fx(&a, FUTEX_WAKE_BITSET, 10, NULL, NULL, 4));
  a = 1;
  printf("WAKE_BITSET 2: %ld\n", fx(&a, FUTEX_WAKE_BITSET, 10, NULL, NULL, 2));
  printf("WAKE_BITSET 3: %ld\n", fx(&a, FUTEX_WAKE_BITSET, 10, NULL, NULL, 3));
  pthread_join(t[0], NULL);
  pthread_join(t[1], NULL);
  /* a shared futex between processes */
  int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t p = fork();
  if (p == 0) {
    while (__atomic_load_n(sh, __ATOMIC_SEQ_CST) == 0) fx(sh, FUTEX_WAIT, 0, NULL, NULL, 0);
    _exit(sh[0]);
  }
  usleep(20000);
  sh[0] = 9;
  fx(sh, FUTEX_WAKE, 1, NULL, NULL, 0);
  int st;
  waitpid(p, &st, 0);
  printf("shared across fork: %d\n", WEXITSTATUS(st));
  return 0;
}
