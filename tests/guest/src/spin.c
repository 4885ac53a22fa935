/* A thread spinning forever never starves the others: the main thread sleeps, computes,
   and exits the whole process; a spinning child process is killed by its parent after a
   sleep; a thread that only calls sched_yield does not stall a sleeper. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static volatile unsigned long spins;
static void *spinner(void *a) { (void)a; for (;;) spins++; return NULL; }
static void *yielder(void *a) { (void)a; for (;;) sched_yield(); return NULL; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_t t1, t2;
  pthread_create(&t1, NULL, spinner, NULL);
  pthread_create(&t2, NULL, yielder, NULL);
  usleep(30000);
  printf("slept while others spin: spinner ran=%d\n", spins > 0);
  long sum = 0;
  for (int i = 0; i < 1000000; i++) sum += i;
  printf("computed: %ld\n", sum);
  pid_t p = fork();
  if (p == 0) { for (;;) {} }
  usleep(20000);
  kill(p, SIGKILL);
  int st;
  waitpid(p, &st, 0);
  printf("spinning child killed: sig=%d\n", WTERMSIG(st));
  exit(0); /* ends the spinning threads too */
}
