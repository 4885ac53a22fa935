/*
 * pthreads in a static glibc program: clone with CLONE_SETTLS/CHILD_CLEARTID, futex
 * wait/wake (mutex, join), __thread TLS per thread. Output is order-independent.
 */
#include <pthread.h>
#include <stdio.h>

#define NT 4
#define ITER 20000

static __thread long tls_counter = 100;
static long shared;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long atomic_shared;

static void *worker(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < ITER; i++) {
    pthread_mutex_lock(&mu);
    shared++;
    pthread_mutex_unlock(&mu);
    __atomic_fetch_add(&atomic_shared, 2, __ATOMIC_RELAXED);
    tls_counter++;
  }
  return (void *)(tls_counter + id * 1000000);
}

int main(void) {
  pthread_t t[NT];
  for (long i = 0; i < NT; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) { printf("pthread_create failed\n"); return 1; }
  long ok = 0;
  for (long i = 0; i < NT; i++) {
    void *ret;
    pthread_join(t[i], &ret);
    if ((long)ret == 100 + ITER + i * 1000000) ok++;
  }
  printf("threads with private TLS: %ld/%d\n", ok, NT);
  printf("main tls_counter=%ld\n", tls_counter);
  printf("mutex-protected counter=%ld\n", shared);
  printf("atomic counter=%ld\n", atomic_shared);
  return 0;
}
