/* Process-model latencies, timed inside the guest with CLOCK_MONOTONIC (the enclave's
   monotonic clock is the host's): fork+exit+wait, pthread create+join, a futex ping-pong
   round trip between two threads, and a signal round trip (kill to self, handler, return).
   Prints "name ns-per-op"; bench/pm.ts runs it in the enclave and under qemu-riscv64. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *nothing(void *a) { return a; }

static atomic_int turn;
static int rounds;
static void fwait(atomic_int *w, int v) { while (atomic_load(w) == v) syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0); }
static void fwake(atomic_int *w) { syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }
static void *pong(void *a) {
  (void)a;
  for (int i = 0; i < rounds; i++) {
    fwait(&turn, 0);
    atomic_store(&turn, 0);
    fwake(&turn);
  }
  return NULL;
}

static volatile sig_atomic_t hits;
static void on_usr1(int s) { (void)s; hits++; }

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  int n = 50 * scale;
  double t = now();
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
  }
  printf("fork+exit+wait %.0f\n", (now() - t) / n);
  t = now();
  for (int i = 0; i < n; i++) {
    pthread_t th;
    pthread_create(&th, NULL, nothing, NULL);
    pthread_join(th, NULL);
  }
  printf("thread-create+join %.0f\n", (now() - t) / n);
  rounds = 200 * scale;
  pthread_t th;
  pthread_create(&th, NULL, pong, NULL);
  t = now();
  for (int i = 0; i < rounds; i++) {
    atomic_store(&turn, 1);
    fwake(&turn);
    fwait(&turn, 1);
  }
  printf("futex-pingpong %.0f\n", (now() - t) / rounds);
  pthread_join(th, NULL);
  signal(SIGUSR1, on_usr1);
  int m = 500 * scale;
  t = now();
  for (int i = 0; i < m; i++) kill(getpid(), SIGUSR1);
  printf("signal-roundtrip %.0f\n", (now() - t) / m);
  return hits == m ? 0 : 1;
}
