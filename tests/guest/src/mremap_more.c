/* mremap: error paths (EINVAL, EFAULT, ENOMEM), MREMAP_FIXED rules, shrinking, growing a
   shared anonymous mapping, and data kept across moves. */
#include "pm.h"
#include <sys/mman.h>

#define P 4096
int main(void) {
  char *a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 4 * P; i++) a[i] = (char)(i * 3);
  ERR("unaligned", mremap(a + 1, P, 2 * P, MREMAP_MAYMOVE));
  ERR("bad flags", mremap(a, P, 2 * P, 0x80));
  ERR("fixed without maymove", mremap(a, P, P, MREMAP_FIXED, a + 8 * P));
  ERR("not mapped", mremap((void *)0x300000000UL, P, 2 * P, MREMAP_MAYMOVE));
  ERR("fixed overlapping", mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + P));
  ERR("fixed unaligned target", mremap(a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 8 * P + 1));
  ERR("old size beyond mapping", mremap(a, 8 * P, 16 * P, MREMAP_MAYMOVE));
  char *b = mremap(a, 4 * P, 4 * P, 0);
  printf("same size: same=%d\n", b == a);
  b = mremap(a, 4 * P, P, 0);
  printf("shrink: same=%d tail gone=%d\n", b == a, mremap(a + P, P, P, 0) == MAP_FAILED);
  char *c = mremap(a, P, 64 * P, MREMAP_MAYMOVE);
  int ok = c != MAP_FAILED;
  for (int i = 0; ok && i < P; i++) ok = c[i] == (char)(i * 3);
  printf("grow maymove: data=%d tail zero=%d\n", ok, c[63 * P] == 0);
  char *s = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  strcpy(s, "shared");
  char *s2 = mremap(s, 2 * P, 8 * P, MREMAP_MAYMOVE);
  printf("shared grow: ok=%d data=%s\n", s2 != MAP_FAILED, s2);
  /* the moved-from range is unmapped */
  unsigned char v;
  if (s2 != s) ERR("old range gone", mincore(s, P, &v));
  else printf("old range gone: grew in place\n");
  return 0;
}
