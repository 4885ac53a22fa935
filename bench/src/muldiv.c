/* muldiv: 64-bit multiply, high multiply (mulh/mulhu), divide and remainder,
 * signed and unsigned, in a dependent loop.
 * usage: muldiv [N]   N iterations in millions (default 20); prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long m = argc > 1 ? atol(argv[1]) : 20;
  uint64_t n = (uint64_t)m * 1000000;
  uint64_t x = 0x123456789abcdefull, acc = 1;
  int64_t s = -987654321;
  for (uint64_t i = 0; i < n; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t hi = (uint64_t)(((unsigned __int128)x * (acc | 1)) >> 64);      /* mulhu */
    int64_t shi = (int64_t)(((__int128)(int64_t)x * s) >> 64);               /* mulh */
    uint64_t d = (x >> 40) | 1;
    uint64_t q = x / d, r = x % d;                                            /* divu, remu */
    int64_t sd = (int64_t)(hi >> 3) - 0x0fffffffffffll; if (sd == 0 || sd == -1) sd = 7;
    int64_t sq = (int64_t)x / sd, sr = (int64_t)x % sd;                       /* div, rem */
    acc += hi ^ q ^ r ^ (uint64_t)shi;
    s = (int64_t)(((uint64_t)s + (uint64_t)(sq ^ sr)) | 1);
  }
  printf("muldiv %ldM: acc=%016llx s=%016llx\n", m, (unsigned long long)acc, (unsigned long long)s);
  return 0;
}
