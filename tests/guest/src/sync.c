/* glibc's thread synchronisation on our futex: mutexes, condition variables (signal and
   broadcast), barriers, rwlocks, semaphores, pthread_cancel, a robust mutex whose owner
   dies (EOWNERDEAD), and the uid family for the single configured user. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N 4
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready, woke, counter;
static pthread_barrier_t bar;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;
static int shared_val;

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!ready) pthread_cond_wait(&cv, &mu);
  woke++;
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void *barrier_worker(void *arg) {
  long id = (long)arg;
  for (int round = 0; round < 3; round++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
    int r = pthread_barrier_wait(&bar);
    (void)r;
  }
  return (void *)id;
}

static void *reader(void *arg) {
  (void)arg;
  int sum = 0;
  for (int i = 0; i < 1000; i++) {
    pthread_rwlock_rdlock(&rw);
    sum += shared_val;
    pthread_rwlock_unlock(&rw);
  }
  return (void *)(long)(sum >= 0);
}

static void *writer(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    pthread_rwlock_wrlock(&rw);
    shared_val++;
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

static void *sem_worker(void *arg) {
  (void)arg;
  sem_wait(&sem);
  pthread_mutex_lock(&mu);
  counter++;
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void *cancel_me(void *arg) {
  (void)arg;
  for (;;) {
    pthread_testcancel();
    usleep(1000);
  }
  return NULL;
}

static pthread_mutex_t robust;
static void *die_holding(void *arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  return NULL; /* exits owning the robust mutex */
}

int main(void) {
  pthread_t t[N];
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, waiter, NULL);
  usleep(20000);
  pthread_mutex_lock(&mu);
  ready = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  printf("condvar broadcast: woke=%d\n", woke);

  pthread_barrier_init(&bar, NULL, N);
  counter = 0;
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, barrier_worker, (void *)i);
  long ids = 0;
  for (int i = 0; i < N; i++) { void *r; pthread_join(t[i], &r); ids += (long)r; }
  printf("barrier: counter=%d ids=%ld\n", counter, ids);

  pthread_create(&t[0], NULL, writer, NULL);
  pthread_create(&t[1], NULL, reader, NULL);
  pthread_create(&t[2], NULL, writer, NULL);
  void *rr;
  pthread_join(t[0], NULL);
  pthread_join(t[1], &rr);
  pthread_join(t[2], NULL);
  printf("rwlock: value=%d reader_ok=%ld\n", shared_val, (long)rr);

  sem_init(&sem, 0, 0);
  counter = 0;
  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, sem_worker, NULL);
  for (int i = 0; i < N; i++) sem_post(&sem);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  int sv;
  sem_getvalue(&sem, &sv);
  printf("semaphore: counter=%d value=%d trywait=%d\n", counter, sv, sem_trywait(&sem) == -1 && errno == EAGAIN);

  pthread_create(&t[0], NULL, cancel_me, NULL);
  usleep(5000);
  pthread_cancel(t[0]);
  void *res;
  pthread_join(t[0], &res);
  printf("cancel: canceled=%d\n", res == PTHREAD_CANCELED);

  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &ma);
  pthread_create(&t[0], NULL, die_holding, NULL);
  pthread_join(t[0], NULL);
  int r = pthread_mutex_lock(&robust);
  printf("robust: lock=%s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
  pthread_mutex_consistent(&robust);
  pthread_mutex_unlock(&robust);
  printf("robust again: %d\n", pthread_mutex_lock(&robust));
  pthread_mutex_unlock(&robust);

  uid_t ru, eu, su;
  getresuid(&ru, &eu, &su);
  int self_ok = setuid(getuid()) == 0;
  int zero_rule = getuid() == 0 ? setuid(0) == 0 : (setuid(0) == -1 && errno == EPERM); /* root may, others get EPERM */
  printf("uids equal: %d setuid(self) ok=%d setuid(0) follows the rule=%d\n", ru == eu && eu == su, self_ok, zero_rule);
  return 0;
}
