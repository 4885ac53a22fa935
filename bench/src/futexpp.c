/* Futex wakes across processes (docs/sgx-fork.md, "Futexes across enclaves"): a parent and its
 * child (on SGX: two enclaves) pass a turn back and forth through one word of a MAP_SHARED memfd
 * page, each sleeping in FUTEX_WAIT until the other stores the turn and calls FUTEX_WAKE. A round
 * is two stores, two wakes and (usually) two waits; on SGX each wait and wake is a sealed request
 * to the memfd's owner (the parent) and the page moves with the stores. Prints nanoseconds per
 * round. Usage: futexpp [rounds] (default 100). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits until *w == want (sleeping in FUTEX_WAIT while it is not). */
static void await_turn(volatile int *w, int want) {
  int v;
  while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) != want) syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void give_turn(volatile int *w, int to) {
  __atomic_store_n(w, to, __ATOMIC_RELEASE);
  syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  int fd = memfd_create("futexpp", 0);
  if (fd < 0 || ftruncate(fd, 4096) != 0) { perror("memfd"); return 1; }
  volatile int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (w == MAP_FAILED) { perror("mmap"); return 1; }
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < rounds + 1; i++) {
      await_turn(w, 1);
      give_turn(w, 0);
    }
    _exit(0);
  }
  /* one round first: the child is running and the page has moved once */
  give_turn(w, 1);
  await_turn(w, 0);
  long long t0 = now();
  for (int i = 0; i < rounds; i++) {
    give_turn(w, 1);
    await_turn(w, 0);
  }
  long long t1 = now();
  int st;
  waitpid(pid, &st, 0);
  printf("futex ping-pong across fork: %d rounds, %lld ns per round\n", rounds, (t1 - t0) / rounds);
  return 0;
}
