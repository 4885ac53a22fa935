/* Robust process-shared mutexes (not in cases.json: qemu 7.2 answers set_robust_list with
   ENOSYS, so glibc cannot recover a dead owner's lock there; tests/process.test.ts checks
   Linux's documented behaviour): the owner process exits, or is killed by SIGKILL, while
   holding the lock; the next locker gets EOWNERDEAD (one already blocked in the lock is
   woken with it), pthread_mutex_consistent makes it usable again; unlocking without
   consistent leaves it ENOTRECOVERABLE. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct shared { pthread_mutex_t m[3]; volatile int locked; };

static void init(pthread_mutex_t *m) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(m, &a);
}

int main(void) {
  struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 3; i++) init(&s->m[i]);
  /* 1: the owner exits holding it */
  pid_t c = fork();
  if (c == 0) { pthread_mutex_lock(&s->m[0]); _exit(0); }
  waitpid(c, NULL, 0);
  int r = pthread_mutex_lock(&s->m[0]);
  printf("owner exited: lock %s\n", r ? strerrorname_np(r) : "0");
  printf("consistent %d, unlock %d, lock again %d\n", pthread_mutex_consistent(&s->m[0]), pthread_mutex_unlock(&s->m[0]), pthread_mutex_lock(&s->m[0]));
  pthread_mutex_unlock(&s->m[0]);
  /* 2: the owner is killed while the parent is blocked in the lock */
  s->locked = 0;
  c = fork();
  if (c == 0) { pthread_mutex_lock(&s->m[1]); s->locked = 1; for (;;) pause(); }
  while (!s->locked) usleep(1000);
  pid_t k = fork();
  if (k == 0) { usleep(100000); kill(c, SIGKILL); _exit(0); }
  r = pthread_mutex_lock(&s->m[1]); /* sleeps until the owner dies */
  printf("owner killed while we waited: lock %s\n", r ? strerrorname_np(r) : "0");
  pthread_mutex_consistent(&s->m[1]);
  pthread_mutex_unlock(&s->m[1]);
  waitpid(c, NULL, 0);
  waitpid(k, NULL, 0);
  /* 3: not made consistent: ENOTRECOVERABLE */
  c = fork();
  if (c == 0) { pthread_mutex_lock(&s->m[2]); _exit(0); }
  waitpid(c, NULL, 0);
  r = pthread_mutex_lock(&s->m[2]);
  printf("again: lock %s\n", r ? strerrorname_np(r) : "0");
  pthread_mutex_unlock(&s->m[2]);
  r = pthread_mutex_lock(&s->m[2]);
  printf("unlocked without consistent: lock %s\n", r ? strerrorname_np(r) : "0");
  return 0;
}
