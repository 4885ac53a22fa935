/* madvise: MADV_DONTNEED zeroes private anonymous memory but keeps MAP_SHARED contents;
   harmless hints succeed; unaligned addresses fail. (Unknown advice is EINVAL and an unmapped
   range ENOMEM on Linux and TEE OS; qemu 7.2 accepts both: not compared.) */
#include "pm.h"
#include <sys/mman.h>

#define P 4096
int main(void) {
  char *a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 9, 4 * P);
  ERR("DONTNEED private", madvise(a + P, 2 * P, MADV_DONTNEED));
  printf("private: before=%d zeroed=%d %d after=%d\n", a[0], a[P], a[3 * P - 1], a[3 * P]);
  char *s = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(s, 5, 2 * P);
  ERR("DONTNEED shared", madvise(s, 2 * P, MADV_DONTNEED));
  printf("shared kept: %d %d\n", s[0], s[2 * P - 1]);
  ERR("NORMAL", madvise(a, P, MADV_NORMAL));
  ERR("RANDOM", madvise(a, P, MADV_RANDOM));
  ERR("SEQUENTIAL", madvise(a, P, MADV_SEQUENTIAL));
  ERR("WILLNEED", madvise(a, P, MADV_WILLNEED));
  ERR("unaligned", madvise(a + 1, P, MADV_NORMAL));
  ERR("len 0", madvise(a, 0, MADV_DONTNEED));
  printf("still zero after: %d\n", a[P]);
  return 0;
}
