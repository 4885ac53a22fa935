/* brk: brk(0) queries, growing and shrinking, data in regrown pages, a break below the
   start or absurdly high leaves it unchanged; sbrk agrees. */
#include "pm.h"
#include <stdint.h>
#include <sys/syscall.h>

static uintptr_t rawbrk(uintptr_t a) { return (uintptr_t)syscall(SYS_brk, a); }

int main(void) {
  uintptr_t b0 = rawbrk(0);
  printf("sbrk(0)==brk(0): %d\n", (uintptr_t)sbrk(0) == b0);
  uintptr_t b1 = rawbrk(b0 + 64 * 1024);
  printf("grow: %d\n", b1 == b0 + 64 * 1024);
  char *p = (char *)b0;
  memset(p, 0x33, 64 * 1024);
  printf("written: %d\n", p[64 * 1024 - 1]);
  uintptr_t b2 = rawbrk(b0 + 4096);
  printf("shrink: %d\n", b2 == b0 + 4096);
  b2 = rawbrk(b0 + 64 * 1024);
  printf("regrow: %d zero=%d kept=%d\n", b2 == b0 + 64 * 1024, p[32 * 1024] == 0, p[100] == 0x33);
  printf("below start: unchanged=%d\n", rawbrk(4096) == b2);
  printf("huge: unchanged=%d\n", rawbrk(b0 + (1UL << 40)) == b2);
  printf("query again: %d\n", rawbrk(0) == b2);
  rawbrk(b0);
  void *s = sbrk(8192);
  printf("sbrk grow: old==b0 %d now %d\n", (uintptr_t)s == b0, (uintptr_t)sbrk(0) == b0 + 8192);
  ERR("sbrk negative too far", sbrk(-(intptr_t)(1UL << 40)));
  /* malloc still works around it */
  char *m = malloc(1 << 20);
  memset(m, 1, 1 << 20);
  printf("malloc: ok\n");
  return 0;
}
