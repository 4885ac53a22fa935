/* The cost of a file page changing home (docs/sgx-fork.md, "MAP_SHARED of a file on SGX"):
 * two MAP_SHARED mappings of one memfd page, stored to in turn, so that on the SGX model every
 * store moves the page to the other mapping; then the same number of stores through one
 * mapping (no move) as the baseline. Prints nanoseconds per store for both.
 * `migrate fork [rounds]`: a parent and its child (on SGX: two enclaves) pass a token through
 * pipes; with the page, each increments a counter in the shared memfd page before passing it on
 * (so on SGX the page moves between the enclaves twice a round); without, the same ping-pong
 * alone. Prints nanoseconds per round for both.
 * Usage: migrate [rounds] (default 2000) | migrate fork [rounds] (default 200). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long long now(void);

static int forked(int rounds) {
  int fd = memfd_create("migrate", 0);
  if (fd < 0 || ftruncate(fd, 4096) != 0) { perror("memfd"); return 1; }
  volatile int *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (c == MAP_FAILED) { perror("mmap"); return 1; }
  int down[2], up[2];
  if (pipe(down) || pipe(up)) { perror("pipe"); return 1; }
  char t = 0;
  pid_t pid = fork();
  if (pid == 0) {
    for (int pass = 0; pass < 2; pass++)
      for (int i = 0; i < rounds; i++) {
        if (read(down[0], &t, 1) != 1) _exit(1);
        if (pass) c[0]++;
        if (write(up[1], &t, 1) != 1) _exit(1);
      }
    _exit(0);
  }
  long long tt[3];
  for (int pass = 0; pass < 2; pass++) {
    tt[pass] = now();
    for (int i = 0; i < rounds; i++) {
      if (pass) c[0]++;
      if (write(down[1], &t, 1) != 1 || read(up[0], &t, 1) != 1) { perror("ping"); return 1; }
    }
  }
  tt[2] = now();
  int st;
  waitpid(pid, &st, 0);
  printf("rounds %d (counter %d)\n", rounds, c[0]);
  printf("ping-pong alone:         %lld ns per round\n", (tt[1] - tt[0]) / rounds);
  printf("ping-pong with the page: %lld ns per round\n", (tt[2] - tt[1]) / rounds);
  return c[0] == 2 * rounds ? 0 : 1;
}

static long long now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "fork") == 0) return forked(argc > 2 ? atoi(argv[2]) : 200);
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
