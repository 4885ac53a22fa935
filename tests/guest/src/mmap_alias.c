/* One memfd page at two MAP_SHARED addresses of one process, used by threads: AMOs through one
 * mapping and LR/SC loops through the other add up, read() sees the sum, and a shared futex is
 * one futex whichever mapping names it (Linux keys it by file and offset), so FUTEX_WAKE through
 * the second mapping wakes a FUTEX_WAIT through the first; a System V segment attached twice
 * is one page too. On the SGX model each switch between
 * the mappings moves the page (docs/sgx-fork.md). */
#include "pm.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>

#define ROUNDS 300
static int *a, *b;

static void *amo(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) { __atomic_fetch_add(&a[1], 1, __ATOMIC_SEQ_CST); if (i % 16 == 0) sched_yield(); }
  return NULL;
}
static void *lrsc(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    int v = __atomic_load_n(&b[1], __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&b[1], &v, v + 1, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {}
    if (i % 16 == 0) sched_yield();
  }
  return NULL;
}
static long waited = -2;
static void *waiter(void *arg) {
  (void)arg;
  __atomic_store_n(&a[2], 1, __ATOMIC_SEQ_CST); /* about to wait */
  waited = syscall(SYS_futex, &a[0], FUTEX_WAIT, 0, NULL, NULL, 0);
  return NULL;
}

int main(void) {
  int fd = memfd_create("alias", 0);
  if (fd < 0 || ftruncate(fd, 4096)) { perror("memfd"); return 1; }
  a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (a == MAP_FAILED || b == MAP_FAILED) { perror("mmap"); return 1; }
  printf("two addresses: %s\n", a != b ? "yes" : "no");
  a[0] = 7;
  printf("store through a, load through b: %d\n", b[0]);
  b[0] = 0;

  pthread_t t1, t2;
  pthread_create(&t1, NULL, amo, NULL);
  pthread_create(&t2, NULL, lrsc, NULL);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  int n = 0;
  pread(fd, &n, sizeof n, 4);
  printf("AMO through a + LR/SC through b: %d (read() says %d)\n", a[1], n);

  pthread_t w;
  pthread_create(&w, NULL, waiter, NULL);
  while (!__atomic_load_n(&b[2], __ATOMIC_SEQ_CST)) sched_yield();
  long woke = 0;
  struct timespec ms = { 0, 1000000 };
  for (int i = 0; i < 3000 && woke == 0; i++) {
    woke = syscall(SYS_futex, &b[0], FUTEX_WAKE, 1, NULL, NULL, 0);
    if (woke == 0) nanosleep(&ms, NULL);
  }
  pthread_join(w, NULL);
  printf("FUTEX_WAKE through b woke %ld; FUTEX_WAIT through a returned %ld\n", woke, waited);
  /* A private futex op is keyed by address: a wake through b does not reach a waiter on a. */
  printf("FUTEX_WAKE_PRIVATE through b with nobody there: %ld\n", syscall(SYS_futex, &b[0], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));

  /* A System V segment attached twice: the same page at two addresses. */
  int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  char *s1 = shmat(id, NULL, 0), *s2 = shmat(id, NULL, SHM_RDONLY);
  if (id < 0 || s1 == (void *)-1 || s2 == (void *)-1) { perror("shm"); return 1; }
  strcpy(s1, "segment");
  printf("shmat twice: %s at a second address: %s\n", s1 != s2 ? "two addresses" : "one", s2);
  struct shmid_ds ds;
  shmctl(id, IPC_STAT, &ds);
  printf("attached %ld times\n", (long)ds.shm_nattch);
  shmdt(s1);
  printf("after detaching the writer: %s\n", s2);
  shmdt(s2);
  shmctl(id, IPC_RMID, NULL);
  return 0;
}
