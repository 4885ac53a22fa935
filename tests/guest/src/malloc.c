/*
 * glibc malloc under load: small bins, brk growth, and mmap'd chunks (the default
 * M_MMAP_THRESHOLD is 128 KiB), realloc growing/shrinking, calloc zeroing, free.
 * Every block carries a pattern derived from its id; checks are printed as counts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512
static unsigned char *blk[SLOTS];
static size_t len[SLOTS];
static uint32_t tag[SLOTS];

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { /* xorshift64* */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return rng * 2685821657736338717ull;
}

static size_t pick_size(void) {
  uint64_t r = next();
  switch (r % 8) {
    case 0: return 1 + (r >> 8) % 16;
    case 1: case 2: return 1 + (r >> 8) % 512;
    case 3: case 4: return 1 + (r >> 8) % 8192;
    case 5: return 1 + (r >> 8) % 65536;
    case 6: return 128 * 1024 + (r >> 8) % (384 * 1024); /* mmap threshold and above */
    default: return 1 + (r >> 8) % 200000;
  }
}

static void fill(int i) {
  for (size_t k = 0; k < len[i]; k++) blk[i][k] = (unsigned char)(tag[i] * 31 + k * 7);
}
static int check(int i, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (blk[i][k] != (unsigned char)(tag[i] * 31 + k * 7)) return 0;
  return 1;
}

int main(void) {
  unsigned long allocs = 0, frees = 0, reallocs = 0, bad = 0, callocs = 0;
  uint64_t sum = 0;
  for (int round = 0; round < 6000; round++) {
    int i = (int)(next() % SLOTS);
    uint64_t op = next() % 10;
    if (!blk[i]) {
      len[i] = pick_size();
      tag[i] = (uint32_t)round;
      if (op < 3) {
        blk[i] = calloc(len[i], 1);
        callocs++;
        if (!blk[i]) { printf("calloc failed\n"); return 1; }
        for (size_t k = 0; k < len[i]; k++) if (blk[i][k]) { bad++; break; }
      } else {
        blk[i] = malloc(len[i]);
        allocs++;
        if (!blk[i]) { printf("malloc failed\n"); return 1; }
      }
      if ((uintptr_t)blk[i] % 16) bad++; /* glibc guarantees 2*sizeof(size_t) alignment */
      fill(i);
    } else if (op < 4) {
      size_t n = pick_size();
      size_t keep = n < len[i] ? n : len[i];
      unsigned char *p = realloc(blk[i], n);
      reallocs++;
      if (!p) { printf("realloc failed\n"); return 1; }
      blk[i] = p;
      if (!check(i, keep)) bad++;
      len[i] = n;
      fill(i);
    } else {
      if (!check(i, len[i])) bad++;
      for (size_t k = 0; k < len[i]; k += 61) sum = sum * 1099511628211ull + blk[i][k];
      free(blk[i]);
      blk[i] = NULL;
      frees++;
    }
  }
  for (int i = 0; i < SLOTS; i++)
    if (blk[i]) { if (!check(i, len[i])) bad++; free(blk[i]); frees++; }
  /* A few large blocks in a row: each must be distinct and writable end to end. */
  unsigned char *big[8];
  for (int i = 0; i < 8; i++) {
    big[i] = malloc((size_t)(i + 1) << 20);
    if (!big[i]) { printf("big malloc failed\n"); return 1; }
    memset(big[i], i + 1, (size_t)(i + 1) << 20);
  }
  for (int i = 0; i < 8; i++) {
    if (big[i][0] != i + 1 || big[i][((size_t)(i + 1) << 20) - 1] != i + 1) bad++;
    free(big[i]);
  }
  printf("allocs=%lu callocs=%lu reallocs=%lu frees=%lu\n", allocs, callocs, reallocs, frees);
  printf("checksum=%016llx\n", (unsigned long long)sum);
  printf("bad=%lu\n", bad);
  return bad ? 1 : 0;
}
