/* The cost of a file page changing home (docs/sgx-fork.md, "MAP_SHARED of a file on SGX"):
 * two MAP_SHARED mappings of one memfd page, stored to in turn, so that on the SGX model every
 * store moves the page to the other mapping; then the same number of stores through one
 * mapping (no move) as the baseline. Prints nanoseconds per store for both.
 * Usage: migrate [rounds] (default 2000). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  int fd = memfd_create("migrate", 0);
  if (fd < 0 || ftruncate(fd, 4096) != 0) { perror("memfd"); return 1; }
  volatile int *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  volatile int *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (a == MAP_FAILED || b == MAP_FAILED) { perror("mmap"); return 1; }
  long long t0 = now();
  for (int i = 0; i < rounds; i++) { a[0]++; b[0]++; }
  long long t1 = now();
  for (int i = 0; i < rounds; i++) { a[0]++; a[0]++; }
  long long t2 = now();
  int n;
  if (pread(fd, &n, sizeof n, 0) != sizeof n) { perror("pread"); return 1; }
  printf("stores %d (file holds %d)\n", 4 * rounds, n);
  printf("alternating mappings: %lld ns per store\n", (t1 - t0) / (2LL * rounds));
  printf("one mapping:          %lld ns per store\n", (t2 - t1) / (2LL * rounds));
  return n == 4 * rounds ? 0 : 1;
}
