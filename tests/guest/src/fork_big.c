/* fork of a process bigger than one host-call frame, and a pipe carrying more than one frame.
   On SGX the child is a new enclave fed a sealed checkpoint of every non-zero page in
   frame-sized pieces (busybox's fork was refused when that took more than one piece), and a
   pipe between the two enclaves is a host channel read in frame-sized batches of records. */
#include "pm.h"
#include <stdint.h>
#include <sys/wait.h>

#define BIG (3u << 20)   /* 3 MiB of non-zero data: the checkpoint spans several frames */
#define PIPED (2u << 20) /* 2 MiB through one pipe, in writes of 1 MiB */

static uint32_t sum(const unsigned char *p, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

int main(void) {
  unsigned char *big = malloc(BIG);
  if (!big) { printf("malloc failed\n"); return 1; }
  for (size_t i = 0; i < BIG; i++) big[i] = (unsigned char)(i * 7 + (i >> 12) + 1);
  printf("parent sum %08x\n", sum(big, BIG));
  fflush(stdout);
  int p[2];
  if (pipe(p)) { perror("pipe"); return 1; }
  pid_t c = fork();
  if (c < 0) { perror("fork"); return 1; }
  if (c == 0) {
    close(p[0]);
    printf("child sum %08x\n", sum(big, BIG));
    fflush(stdout);
    for (size_t o = 0; o < PIPED;) {
      size_t n = PIPED - o < (1u << 20) ? PIPED - o : (1u << 20);
      ssize_t w = write(p[1], big + o, n);
      if (w <= 0) { perror("write"); _exit(2); }
      o += (size_t)w;
    }
    _exit(0);
  }
  close(p[1]);
  unsigned char *got = malloc(PIPED);
  size_t total = 0;
  ssize_t r;
  while (total < PIPED && (r = read(p[0], got + total, PIPED - total)) > 0) total += (size_t)r;
  char extra;
  r = read(p[0], &extra, 1);
  printf("read %zu bytes, then %zd; %s\n", total, r, memcmp(got, big, PIPED) == 0 ? "same bytes" : "DIFFERENT bytes");
  int st;
  if (waitpid(c, &st, 0) != c) { perror("waitpid"); return 1; }
  printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
