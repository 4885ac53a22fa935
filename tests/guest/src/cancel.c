/* pthread_cancel: deferred cancellation at cancellation points (cond_wait, nanosleep,
   read on a pipe, pause), cleanup handlers, PTHREAD_CANCELED, disabled cancellation, and
   pthread_testcancel. */
#include "pm.h"
#include <pthread.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int cleaned[8], started;
static int pfd[2];
static void cleanup(void *p) { cleaned[(long)p] = 1; }
static void *in_cond(void *p) {
  pthread_mutex_lock(&mu);
  pthread_cleanup_push(cleanup, p);
  started++;
  for (;;) pthread_cond_wait(&cv, &mu);
  pthread_cleanup_pop(0);
  return NULL;
}
static void *in_sleep(void *p) {
  pthread_cleanup_push(cleanup, p);
  started++;
  for (;;) sleep(100);
  pthread_cleanup_pop(0);
  return NULL;
}
static void *in_read(void *p) {
  pthread_cleanup_push(cleanup, p);
  started++;
  char c;
  read(pfd[0], &c, 1);
  pthread_cleanup_pop(0);
  return NULL;
}
static volatile int spin_go;
static void *disabled(void *p) {
  int old;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  started++;
  while (!spin_go) sched_yield();
  usleep(1000);                     /* not a cancellation point while disabled */
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  cleaned[(long)p] = 2;
  pthread_testcancel();             /* now it is acted on */
  cleaned[(long)p] = 3;
  return NULL;
}

int main(void) {
  pipe(pfd);
  void *(*fns[])(void *) = {in_cond, in_sleep, in_read};
  const char *names[] = {"cond_wait", "sleep", "read"};
  for (long i = 0; i < 3; i++) {
    pthread_t t;
    started = 0;
    pthread_create(&t, NULL, fns[i], (void *)i);
    while (!started) sched_yield();
    usleep(10000);
    pthread_cancel(t);
    void *r;
    pthread_join(t, &r);
    printf("%s: canceled=%d cleanup=%d\n", names[i], r == PTHREAD_CANCELED, cleaned[i]);
    if (i == 0) pthread_mutex_unlock(&mu); /* cond_wait's cleanup re-took it: released by the handler? */
  }
  pthread_t t;
  started = 0;
  pthread_create(&t, NULL, disabled, (void *)5);
  while (!started) sched_yield();
  pthread_cancel(t);
  spin_go = 1;
  void *r;
  pthread_join(t, &r);
  printf("disabled then testcancel: canceled=%d reached=%d\n", r == PTHREAD_CANCELED, cleaned[5]);
  printf("cancel finished thread: %s\n", strerrorname_np(pthread_cancel(t)) ? "ESRCH-or-0" : "0");
  return 0;
}
