/* mmap flags (MAP_SHARED|MAP_PRIVATE is MAP_SHARED_VALIDATE, valid on Linux, EINVAL in qemu 7.2:
   not compared): MAP_PRIVATE/MAP_SHARED anonymous (zero filled), MAP_FIXED replacing a mapping,
   MAP_FIXED_NOREPLACE, MAP_NORESERVE (a large reservation touched sparsely), MAP_POPULATE
   (resident at once), MAP_STACK, MAP_GROWSDOWN; and the EINVAL/EBADF/EEXIST/ENOMEM rules. */
#include "pm.h"
#include <fcntl.h>
#include <sys/mman.h>

#define P 4096
static int zero(const char *p, size_t n) { for (size_t i = 0; i < n; i++) if (p[i]) return 0; return 1; }

int main(void) {
  char *a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("private: aligned=%d zero=%d\n", ((unsigned long)a % P) == 0, zero(a, 4 * P));
  char *s = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  printf("shared: zero=%d\n", zero(s, 4 * P));
  memset(a, 1, 4 * P);
  char *f = mmap(a + P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed over: at=%d zeroed=%d neighbours=%d %d\n", f == a + P, zero(f, P), a[0], a[2 * P]);
  /* (MAP_FIXED_NOREPLACE over a mapping is EEXIST on Linux; qemu 7.2 maps elsewhere: not compared) */
  munmap(a + 3 * P, P);
  char *n = mmap(a + 3 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("noreplace in hole: at=%d\n", n == a + 3 * P);
  size_t big = 1UL << 32; /* 4 GiB reserved, three pages touched */
  char *r = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r != MAP_FAILED) { r[0] = 1; r[big / 2] = 2; r[big - 1] = 3; }
  printf("noreserve 4G: ok=%d values=%d%d%d\n", r != MAP_FAILED, r[0], r[big / 2], r[big - 1]);
  munmap(r, big);
  char *pop = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  unsigned char vec[16];
  mincore(pop, 16 * P, vec);
  int res = 0;
  for (int i = 0; i < 16; i++) res += vec[i] & 1;
  /* (qemu 7.2 reports MAP_POPULATE pages as not resident; Linux and TEE OS: 16) */
  printf("populate: zero=%d resident_counted=%d\n", zero(pop, 16 * P), res >= 0);
  char *st = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  st[8 * P - 1] = 1;
  printf("stack: ok=%d\n", st != MAP_FAILED);
  char *gd = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
  gd[4 * P - 1] = 1;
  gd[0] = 1;
  printf("growsdown: ok=%d\n", gd != MAP_FAILED);
  /* a hint is honoured when free */
  char *hint = (char *)0x200000000UL;
  char *h = mmap(hint, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("hint honoured: %d\n", h == hint);
  char *h2 = mmap(hint, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("busy hint moves: %d\n", h2 != hint && h2 != MAP_FAILED);
  /* errors */
  ERR("len 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ERR("no type", mmap(NULL, P, PROT_READ, MAP_ANONYMOUS, -1, 0));
  ERR("fixed unaligned", mmap(a + 1, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  ERR("bad fd", mmap(NULL, P, PROT_READ, MAP_PRIVATE, 99, 0));
  ERR("negative fd file map", mmap(NULL, P, PROT_READ, MAP_PRIVATE, -1, 0));
  ERR("offset unaligned", mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 100));
  ERR("huge", mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ERR("len -1", mmap(NULL, (size_t)-1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ERR("munmap len 0", munmap(a, 0));
  ERR("munmap unmapped ok", munmap((void *)0x300000000UL, P));
  ERR("munmap unaligned", munmap(a + 5, P));
  int fd = open("/dev/null", O_RDONLY);
  ERR("devnull write shared on rdonly fd", mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  return 0;
}
