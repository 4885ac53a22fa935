/* Process-shared glibc synchronisation in MAP_SHARED memory across fork (shared futexes):
   a PTHREAD_PROCESS_SHARED mutex guarding a counter four processes increment, a condition
   variable the parent broadcasts to waiting children, a barrier across processes, and an
   unnamed process-shared semaphore; each ends with the exact expected values. */
#include "pm.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct shared {
  pthread_mutex_t m;
  pthread_cond_t cv;
  pthread_barrier_t bar;
  sem_t sem;
  int go, waiting, woke;
  long counter;
  int order[8], norder;
};

#define KIDS 4
#define ITER 2000

int main(void) {
  struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->m, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&s->cv, &ca);
  pthread_barrierattr_t ba;
  pthread_barrierattr_init(&ba);
  pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
  pthread_barrier_init(&s->bar, &ba, KIDS + 1);
  sem_init(&s->sem, 1, 0);
  pid_t kids[KIDS];
  for (int i = 0; i < KIDS; i++) {
    kids[i] = fork();
    if (kids[i] == 0) {
      for (int j = 0; j < ITER; j++) {
        pthread_mutex_lock(&s->m);
        s->counter++;
        if (j % 97 == 0) sched_yield(); /* hold the lock across a switch now and then */
        pthread_mutex_unlock(&s->m);
      }
      pthread_barrier_wait(&s->bar);
      pthread_mutex_lock(&s->m);
      s->waiting++;
      while (!s->go) pthread_cond_wait(&s->cv, &s->m);
      s->woke++;
      pthread_mutex_unlock(&s->m);
      sem_wait(&s->sem);
      pthread_mutex_lock(&s->m);
      s->order[s->norder++] = i;
      pthread_mutex_unlock(&s->m);
      _exit(0);
    }
  }
  int r = pthread_barrier_wait(&s->bar);
  printf("barrier: every process through, counter %ld (want %d), serial %s\n", s->counter, KIDS * ITER,
         r == PTHREAD_BARRIER_SERIAL_THREAD || r == 0 ? "ok" : "bad");
  for (;;) {
    pthread_mutex_lock(&s->m);
    int w = s->waiting;
    pthread_mutex_unlock(&s->m);
    if (w == KIDS) break;
    usleep(1000);
  }
  pthread_mutex_lock(&s->m);
  s->go = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->m);
  for (;;) {
    pthread_mutex_lock(&s->m);
    int w = s->woke;
    pthread_mutex_unlock(&s->m);
    if (w == KIDS) break;
    usleep(1000);
  }
  printf("condvar broadcast woke %d\n", s->woke);
  int v = -1;
  sem_getvalue(&s->sem, &v);
  printf("semaphore before posts: %d\n", v);
  for (int i = 0; i < KIDS; i++) sem_post(&s->sem);
  int ok = 0;
  for (int i = 0; i < KIDS; i++) {
    int st;
    waitpid(kids[i], &st, 0);
    ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }
  sem_getvalue(&s->sem, &v);
  printf("children ok %d, each passed the semaphore once: %d, value now %d\n", ok, s->norder, v);
  errno = 0;
  r = sem_trywait(&s->sem);
  printf("sem_trywait on 0: %d %s\n", r, strerrorname_np(errno));
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 20000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  errno = 0;
  r = sem_timedwait(&s->sem, &ts);
  printf("sem_timedwait: %d %s\n", r, strerrorname_np(errno));
  printf("mutex trylock: %d\n", pthread_mutex_trylock(&s->m));
  pid_t c = fork();
  if (c == 0) _exit(pthread_mutex_trylock(&s->m)); /* held by the parent: EBUSY */
  int st;
  waitpid(c, &st, 0);
  printf("child's trylock while the parent holds it: %s\n", strerrorname_np(WEXITSTATUS(st)));
  pthread_mutex_unlock(&s->m);
  return 0;
}
