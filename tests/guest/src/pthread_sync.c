/* glibc synchronisation: 64 threads on one mutex and condition variable reach the exact
   count; mutex types (errorcheck EDEADLK/EPERM, recursive, trylock EBUSY, timedlock
   ETIMEDOUT), robust mutex EOWNERDEAD, barriers (one serial thread per round), rwlocks
   (EBUSY, ETIMEDOUT), semaphores (EAGAIN, ETIMEDOUT, pshared across fork). */
#include "pm.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static void *inc(void *p) {
  long id = (long)p;
  for (int i = 0; i < 200; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_lock(&mu);
  while (turn != id) pthread_cond_wait(&cv, &mu); /* strictly in order */
  turn++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  return NULL;
}
static pthread_barrier_t bar;
static int serial[4];
static void *barrier_thread(void *p) {
  (void)p;
  for (int r = 0; r < 4; r++) if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD) __atomic_fetch_add(&serial[r], 1, __ATOMIC_SEQ_CST);
  return NULL;
}
static pthread_mutex_t ec, robust;
static void *other_unlock(void *p) { (void)p; return (void *)(long)pthread_mutex_unlock(&ec); }
static void *die_holding(void *p) { (void)p; pthread_mutex_lock(&robust); return NULL; }
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static void *try_rw(void *p) {
  long mode = (long)p;
  return (void *)(long)(mode ? pthread_rwlock_trywrlock(&rw) : pthread_rwlock_tryrdlock(&rw));
}
static struct timespec in_ms(int ms) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_nsec += ms * 1000000L;
  while (t.tv_nsec >= 1000000000) { t.tv_sec++; t.tv_nsec -= 1000000000; }
  return t;
}
static const char *en(int e) { return e ? strerrorname_np(e) : "0"; }

int main(void) {
  pthread_t t[64];
  for (long i = 0; i < 64; i++) pthread_create(&t[i], NULL, inc, (void *)i);
  for (int i = 0; i < 64; i++) pthread_join(t[i], NULL);
  printf("64 threads: counter=%ld turn=%d\n", counter, turn);

  pthread_mutexattr_t at;
  pthread_mutexattr_init(&at);
  pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&ec, &at);
  pthread_mutex_lock(&ec);
  printf("errorcheck relock: %s\n", en(pthread_mutex_lock(&ec)));
  void *r;
  pthread_create(&t[0], NULL, other_unlock, NULL);
  pthread_join(t[0], &r);
  printf("errorcheck unlock by other: %s\n", en((int)(long)r));
  printf("trylock held: %s\n", en(pthread_mutex_trylock(&ec)));
  struct timespec d = in_ms(20);
  printf("timedlock held: %s\n", en(pthread_mutex_timedlock(&ec, &d)));
  pthread_mutex_unlock(&ec);
  printf("errorcheck unlock unlocked: %s\n", en(pthread_mutex_unlock(&ec)));
  pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_t rec;
  pthread_mutex_init(&rec, &at);
  printf("recursive: %s %s %s %s\n", en(pthread_mutex_lock(&rec)), en(pthread_mutex_lock(&rec)), en(pthread_mutex_unlock(&rec)), en(pthread_mutex_unlock(&rec)));
  pthread_mutexattr_settype(&at, PTHREAD_MUTEX_NORMAL);
  pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &at);
  pthread_create(&t[0], NULL, die_holding, NULL);
  pthread_join(t[0], NULL);
  int e = pthread_mutex_lock(&robust);
  printf("robust after owner died: %s consistent=%s\n", en(e), en(pthread_mutex_consistent(&robust)));
  pthread_mutex_unlock(&robust);

  pthread_barrier_init(&bar, NULL, 5);
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, barrier_thread, NULL);
  barrier_thread(NULL);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  printf("barrier serial per round: %d %d %d %d\n", serial[0], serial[1], serial[2], serial[3]);

  pthread_rwlock_rdlock(&rw);
  pthread_create(&t[0], NULL, try_rw, (void *)0);
  pthread_join(t[0], &r);
  printf("rdlock shared: %s\n", en((int)(long)r));
  pthread_create(&t[0], NULL, try_rw, (void *)1);
  pthread_join(t[0], &r);
  printf("wrlock while read-held: %s\n", en((int)(long)r));
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_unlock(&rw); /* the reader the thread took (rwlocks are not owned) */
  pthread_rwlock_wrlock(&rw);
  pthread_create(&t[0], NULL, try_rw, (void *)0);
  pthread_join(t[0], &r);
  printf("rdlock while write-held: %s\n", en((int)(long)r));
  d = in_ms(20);
  printf("timedrdlock own write: %s\n", en(pthread_rwlock_timedrdlock(&rw, &d)));
  pthread_rwlock_unlock(&rw);

  sem_t s;
  sem_init(&s, 0, 2);
  int v;
  sem_getvalue(&s, &v);
  printf("sem value: %d\n", v);
  sem_wait(&s); sem_wait(&s);
  ERR("sem_trywait empty", sem_trywait(&s));
  d = in_ms(20);
  ERR("sem_timedwait", sem_timedwait(&s, &d));
  sem_post(&s);
  ERR("sem_trywait after post", sem_trywait(&s));
  sem_t *ps = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  sem_init(ps, 1, 0);
  pid_t p = fork();
  if (p == 0) { sem_wait(ps); _exit(6); }
  usleep(10000);
  sem_post(ps);
  int st;
  waitpid(p, &st, 0);
  printf("pshared sem across fork: %d\n", WEXITSTATUS(st));
  return 0;
}
