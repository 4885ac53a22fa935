/* wait and threads: a child forked by one thread is waited for by another (the default),
   but not with __WNOTHREAD (ECHILD for a thread that forked nothing; found by the thread
   that forked it); two threads waiting for one child: one reaps it, the other then gets
   ECHILD; a thread blocked in wait wakes when the child exits; children of a thread that
   ended stay waitable. */
#include "pm.h"
#include <pthread.h>
#include <sys/wait.h>

static int gate[2];
static pid_t shared_child;

static void *forker(void *arg) {
  (void)arg;
  pid_t c = fork();
  if (c == 0) { char x; read(gate[0], &x, 1); _exit(21); }
  return (void *)(long)c;
}

static void *wait_nothread(void *arg) {
  pid_t p = (pid_t)(long)arg;
  int st;
  errno = 0;
  pid_t r = waitpid(p, &st, __WNOTHREAD | WNOHANG);
  return (void *)(long)(r == -1 ? -errno : r);
}

static void *wait_any(void *arg) {
  (void)arg;
  int st;
  errno = 0;
  pid_t r = waitpid(shared_child, &st, 0);
  return (void *)(long)(r == shared_child ? 1 : r == -1 && errno == ECHILD ? 2 : 3);
}

int main(void) {
  pipe(gate);
  pthread_t t;
  void *res;
  /* a thread forks; the main thread waits */
  pthread_create(&t, NULL, forker, NULL);
  pthread_join(t, &res); /* the forking thread has ended: its child stays waitable */
  pid_t c = (pid_t)(long)res;
  int st;
  errno = 0;
  printf("main, __WNOTHREAD|WNOHANG for its sibling's child: %d %s\n", waitpid(c, &st, __WNOTHREAD | WNOHANG), strerrorname_np(errno));
  write(gate[1], "x", 1);
  pid_t r = waitpid(c, &st, 0);
  printf("main reaps the ended thread's child: %d exit %d\n", r == c, WEXITSTATUS(st));

  /* the main thread forks; a second thread waits with and without __WNOTHREAD */
  c = fork();
  if (c == 0) { char x; read(gate[0], &x, 1); _exit(22); }
  pthread_create(&t, NULL, wait_nothread, (void *)(long)c);
  pthread_join(t, &res);
  printf("thread, __WNOTHREAD for main's child: %ld (%s)\n", (long)res, (long)res < 0 ? strerrorname_np((int)-(long)res) : "pid");
  printf("main, __WNOTHREAD|WNOHANG for its own child: %d\n", waitpid(c, &st, __WNOTHREAD | WNOHANG));
  /* two threads wait for it: one reaps, the other gets ECHILD */
  shared_child = c;
  pthread_t a, b;
  pthread_create(&a, NULL, wait_any, NULL);
  pthread_create(&b, NULL, wait_any, NULL);
  usleep(50000);
  write(gate[1], "x", 1);
  void *ra, *rb;
  pthread_join(a, &ra);
  pthread_join(b, &rb);
  long x = (long)ra, y = (long)rb;
  printf("two waiters: one reaped %d, the other ECHILD %d\n", (x == 1) + (y == 1) == 1, (x == 2) + (y == 2) == 1);
  errno = 0;
  printf("no children left: %d %s\n", wait(NULL), strerrorname_np(errno));
  return 0;
}
