/* Memory syscalls: mremap (shrink, grow in place, move with MAYMOVE and MREMAP_FIXED, data
   kept), mincore, msync, madvise(MADV_DONTNEED) zeroing private memory, mprotect and
   MAP_FIXED_NOREPLACE, munmap holes, and error paths (EINVAL, ENOMEM, EEXIST). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define P 4096

int main(void) {
  char *a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 4 * P; i++) a[i] = (char)(i * 7);
  char *b = mremap(a, 4 * P, 2 * P, 0);
  printf("shrink: same=%d\n", b == a);
  munmap(a + 2 * P, 2 * P); /* make sure the space after is free */
  b = mremap(a, 2 * P, 3 * P, 0);
  printf("grow in place: ok=%d data=%d\n", b == a, a[P + 5] == (char)((P + 5) * 7));
  /* block growth in place, then move */
  char *blocker = mmap(a + 3 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  errno = 0;
  char *c = mremap(a, 3 * P, 8 * P, 0);
  printf("grow blocked: failed=%d errno=%d blocker=%d\n", c == MAP_FAILED, errno, blocker == a + 3 * P);
  c = mremap(a, 3 * P, 8 * P, MREMAP_MAYMOVE);
  int ok = c != MAP_FAILED;
  for (int i = 0; ok && i < 3 * P; i++) ok = c[i] == (char)(i * 7);
  printf("move: moved=%d data=%d tail_zero=%d\n", c != a, ok, c[7 * P] == 0);
  unsigned char vec[8];
  mincore(c, 8 * P, vec);
  printf("mincore: first=%d last=%d\n", vec[0], vec[7]);
  c[7 * P] = 1;
  mincore(c, 8 * P, vec);
  printf("mincore after touch: last=%d\n", vec[7]);
  printf("msync: %d bad flags=%d\n", msync(c, 8 * P, MS_SYNC), msync(c, P, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL);
  errno = 0;
  printf("msync unmapped: %d errno=%d\n", msync((void *)0x10000000, P, MS_SYNC), errno);
  char *fixed = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *d = mremap(c, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, fixed);
  printf("fixed: at=%d data=%d\n", d == fixed, d[5] == (char)(5 * 7));

  /* MADV_DONTNEED: private anonymous memory reads back as zeros */
  memset(c + P, 0x5a, P);
  madvise(c + P, P, MADV_DONTNEED);
  printf("dontneed: zero=%d\n", c[P + 100] == 0);

  /* MAP_FIXED_NOREPLACE over an existing mapping */
  errno = 0;
  void *e = mmap(c, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("noreplace: failed=%d errno=%d\n", e == MAP_FAILED, errno);
  /* bad arguments */
  errno = 0;
  printf("mmap len 0: %d errno=%d\n", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED, errno);
  errno = 0;
  printf("munmap unaligned: %d errno=%d\n", munmap(c + 1, P), errno);
  errno = 0;
  printf("mprotect unmapped: %d errno=%d\n", mprotect((void *)0x20000000, P, PROT_READ), errno);
  errno = 0;
  printf("mremap bad: %d errno=%d\n", mremap(c + 1, P, P, 0) == MAP_FAILED, errno);
  /* a hole punched by munmap */
  munmap(c + 2 * P, P);
  mincore(c, 2 * P, vec);
  errno = 0;
  printf("hole: mincore=%d errno=%d\n", mincore(c + 2 * P, P, vec), errno);
  return 0;
}
