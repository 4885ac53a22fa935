/* Contention on one page of MAP_SHARED anonymous memory (docs/sgx-fork.md): N children, started
   together, each do M atomic increments of one shared word, and time their loop. On the SGX model
   each child is its own enclave and the page moves between them at each change of writer;
   elsewhere they share one frame. Usage: contend [children] [increments]. Reported, never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  long m = argc > 2 ? atol(argv[2]) : 1000000;
  long *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) return 1;
  for (int i = 0; i < n; i++) {
    if (fork() == 0) {
      __atomic_fetch_add(&sh[1], 1, __ATOMIC_SEQ_CST);
      while (__atomic_load_n(&sh[1], __ATOMIC_SEQ_CST) < n) {} /* every child has started */
      struct timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      for (long j = 0; j < m; j++) __atomic_fetch_add(&sh[0], 1, __ATOMIC_SEQ_CST);
      clock_gettime(CLOCK_MONOTONIC, &b);
      printf("child %d: %ld increments in %.3f s\n", i, m, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
      fflush(stdout);
      _exit(0);
    }
  }
  while (wait(NULL) > 0) {}
  printf("counter %ld (expected %ld)\n", sh[0], n * m);
  return sh[0] == n * m ? 0 : 1;
}
