/* remap_file_pages (mm/mmap.c, Linux >= 4.0 emulation): a range of a shared file mapping mapped
   again from the same file at another page offset (memfd and shared anonymous memory), writes
   reaching the file at the new offset, MAP_NONBLOCK, other flags ignored, an unaligned start and
   size rounded down; EINVAL for prot != 0, size 0, private or anonymous private mappings, no
   mapping, a hole or different flags in the range, and a wrapping pgoff. Not a qemu case: qemu
   7.2 answers ENOSYS. The expected output (tests/guest/linux/remap_file_pages.stdout) is what
   Linux 6.18 (x86-64) printed for this source built natively. */
#include "pm.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PG 4096
static long rfp(void *start, size_t size, unsigned long prot, size_t pgoff, unsigned long flags) {
  return syscall(SYS_remap_file_pages, start, size, prot, pgoff, flags);
}
static void pages(const char *label, const char *m, int n) {
  printf("%s:", label);
  for (int i = 0; i < n; i++) printf(" %c", m[i * PG]);
  printf("\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int fd = memfd_create("rfp", 0);
  char buf[PG];
  for (int i = 0; i < 4; i++) {
    memset(buf, 'A' + i, PG);
    if (write(fd, buf, PG) != PG) return 1;
  }
  char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  pages("mapped", m, 4);
  SHOW("page 0 <- 3", rfp(m, PG, 0, 3, 0));
  pages("now", m, 4);
  SHOW("pages 1-2 <- 0-1 NONBLOCK", rfp(m + PG, 2 * PG, 0, 0, MAP_NONBLOCK));
  pages("now", m, 4);
  m[0] = 'x';
  char c = 0;
  if (pread(fd, &c, 1, 3 * PG) != 1) return 1;
  printf("file at page 3: %c\n", c);
  SHOW("unaligned start and size, other flags", rfp(m + 5, PG + 100, 0, 2, MAP_PRIVATE | MAP_POPULATE | 0x100));
  pages("now", m, 4);
  SHOW("whole range back", rfp(m, 4 * PG, 0, 0, 0));
  pages("now", m, 4);
  SHOW("prot", rfp(m, PG, PROT_READ, 1, 0));
  SHOW("size 0", rfp(m, 0, 0, 1, 0));
  SHOW("size < page", rfp(m, 100, 0, 1, 0));
  SHOW("pgoff wraps", rfp(m, 2 * PG, 0, ~0UL, 0));
  SHOW("wraps the address space", rfp(m, ~0UL & ~(PG - 1UL), 0, 0, 0));
  SHOW("past the mapping", rfp(m + 2 * PG, 4 * PG, 0, 0, 0));
  SHOW("unmapped", rfp((void *)(uintptr_t)0x10000, PG, 0, 0, 0));
  mprotect(m + 3 * PG, PG, PROT_READ);
  SHOW("across a prot split", rfp(m + 2 * PG, 2 * PG, 0, 0, 0));
  SHOW("read-only part alone", rfp(m + 3 * PG, PG, 0, 0, 0));
  pages("now", m, 4);
  char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  SHOW("private file", rfp(p, PG, 0, 1, 0));
  char *a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW("private anonymous", rfp(a, PG, 0, 1, 0));
  char *s = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[0] = 'p';
  s[PG] = 'q';
  SHOW("shared anonymous page 0 <- 1", rfp(s, PG, 0, 1, 0));
  printf("shared anonymous: %c %c\n", s[0], s[PG]);
  s[0] = 'r';
  printf("shared anonymous: %c %c\n", s[0], s[PG]);
  SHOW("shared anonymous back", rfp(s, 2 * PG, 0, 0, 0));
  printf("shared anonymous: %c %c\n", s[0], s[PG]);
  munmap(m + PG, PG);
  SHOW("hole in the range", rfp(m, 3 * PG, 0, 0, 0));
  return 0;
}
