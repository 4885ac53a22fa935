/* Host-call round trip benchmark: write(2) of 1 byte to fd 1, N times (argv[1], default 10000).
 * Every write leaves the enclave (the host owns stdout); bench/platforms.ts runs it with stdout
 * on /dev/null and reports the per-call time. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000;
  for (long i = 0; i < n; i++)
    if (write(1, "x", 1) != 1) return 1;
  return 0;
}
