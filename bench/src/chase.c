/* chase: pointer chasing over a large working set (cache and TLB misses; for
 * an emulator: guest address translation on every load). A random cyclic
 * permutation (Sattolo) of MiB mebibytes of u32 indices, followed for STEPS
 * million dependent loads.
 * usage: chase [MiB [STEPS]]   (default 16 MiB, 3M steps); prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 16;
  long steps = (argc > 2 ? atol(argv[2]) : 3) * 1000000L;
  uint32_t n = (uint32_t)(mib * 1024 * 1024 / 4);
  uint32_t *p = malloc((size_t)n * 4);
  for (uint32_t i = 0; i < n; i++) p[i] = i;
  for (uint32_t i = n - 1; i > 0; i--) { /* Sattolo: a single cycle through all n */
    uint32_t j = (uint32_t)(next() % i);
    uint32_t t = p[i]; p[i] = p[j]; p[j] = t;
  }
  uint32_t at = 0;
  uint64_t sum = 0;
  for (long s = 0; s < steps; s++) { at = p[at]; sum += at; }
  printf("chase %ld MiB, %ldM steps: at=%u sum=%llu\n", mib, steps / 1000000, at, (unsigned long long)sum);
  free(p);
  return 0;
}
