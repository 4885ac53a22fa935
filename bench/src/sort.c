/* sort: calls, returns and short blocks. Recursive fib, a recursive quicksort
 * of N pseudo-random u64 (insertion sort below 16), then N binary searches.
 * usage: sort [N [FIB]]   (default N = 1000000, FIB = 32); prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

__attribute__((noinline)) static uint64_t fib(int n) { return n < 2 ? (uint64_t)n : fib(n - 1) + fib(n - 2); }

static void isort(uint64_t *a, long n) {
  for (long i = 1; i < n; i++) {
    uint64_t v = a[i]; long j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

__attribute__((noinline)) static void qsort64(uint64_t *a, long n) {
  while (n > 16) {
    uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
    uint64_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i >= j) break;
      uint64_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--;
    }
    /* recurse into the smaller half, loop on the larger */
    if (j + 1 < n - j - 1) { qsort64(a, j + 1); a += j + 1; n -= j + 1; }
    else { qsort64(a + j + 1, n - j - 1); n = j + 1; }
  }
  isort(a, n);
}

__attribute__((noinline)) static long bsearch64(const uint64_t *a, long n, uint64_t key) {
  long lo = 0, hi = n;
  while (lo < hi) { long mid = lo + (hi - lo) / 2; if (a[mid] < key) lo = mid + 1; else hi = mid; }
  return lo;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int f = argc > 2 ? atoi(argv[2]) : 32;
  uint64_t sum = fib(f);
  uint64_t *a = malloc(n * sizeof *a);
  for (long i = 0; i < n; i++) a[i] = next();
  qsort64(a, n);
  for (long i = 1; i < n; i++) if (a[i - 1] > a[i]) { printf("not sorted at %ld\n", i); return 1; }
  for (long i = 0; i < n; i += 997) sum = sum * 31 + a[i];
  uint64_t hits = 0;
  for (long i = 0; i < n; i++) {
    uint64_t k = (i & 1) ? a[next() % n] : next();
    long p = bsearch64(a, n, k);
    hits += (p < n && a[p] == k);
    sum = sum * 1000003 + (uint64_t)p;
  }
  printf("sort n=%ld fib(%d)=%llu hits=%llu checksum=%016llx\n", n, f, (unsigned long long)fib(f),
         (unsigned long long)hits, (unsigned long long)sum);
  free(a);
  return 0;
}
