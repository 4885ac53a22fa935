/* exit_group from a non-main thread ends every thread with its status; SYS_exit of the main
   thread leaves the others running; a process ends when its last thread exits. */
#include "pm.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void *spin(void *a) { (void)a; for (;;) sched_yield(); return NULL; }
static void *grp(void *a) { (void)a; usleep(1000); syscall(SYS_exit_group, 42); return NULL; }
static int pfd[2];
static void *late(void *a) {
  (void)a;
  usleep(20000);
  write(pfd[1], "L", 1);   /* still running after the main thread is gone */
  syscall(SYS_exit, 9);    /* the last thread: the process ends */
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int st;
  pid_t p = fork();
  if (p == 0) {
    pthread_t a, b;
    pthread_create(&a, NULL, spin, NULL);
    pthread_create(&b, NULL, grp, NULL);
    for (;;) pause();
  }
  waitpid(p, &st, 0);
  printf("exit_group from thread: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));

  pipe(pfd);
  p = fork();
  if (p == 0) {
    pthread_t a;
    pthread_create(&a, NULL, late, NULL);
    syscall(SYS_exit, 9); /* only the main thread ends */
  }
  char c = 0;
  read(pfd[0], &c, 1);
  waitpid(p, &st, 0);
  printf("main thread exit: other ran=%c exited=%d status=%d\n", c, WIFEXITED(st), WEXITSTATUS(st));

  /* exit() from a thread runs atexit handlers and ends the process */
  p = fork();
  if (p == 0) {
    pthread_t a;
    pthread_create(&a, NULL, spin, NULL);
    exit(3);
  }
  waitpid(p, &st, 0);
  printf("exit with threads: status=%d\n", WEXITSTATUS(st));
  return 0;
}
