/* MAP_SHARED anonymous memory is an unlinked shmem object "/dev/zero" of the mapping's size (Linux's
   shmem_zero_setup): /proc/self/maps names it "/dev/zero (deleted)" with an inode and gives the
   pieces of a split mapping their offsets (mprotect of a middle page, munmap of one); MADV_DONTNEED
   keeps its bytes; a child sees and changes every piece; MAP_FIXED over a piece replaces only that
   piece; mremap moves its bytes and a page it grows past the object's end is SIGBUS; MAP_SHARED of
   /dev/zero at an offset past the object's end is SIGBUS; MAP_SHARED|MAP_ANONYMOUS ignores the
   offset. (On SGX the object's pages migrate between the enclaves of a fork: docs/sgx-fork.md.)
   Not here, where qemu-riscv64 differs from Linux: MADV_REMOVE (qemu ignores it), mremap shrinking
   in place (qemu 7.2 moves it). */
#include "pm.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static void on_signal(int s) { siglongjmp(jb, s); }
/* The byte at p, or minus the signal that reading it raised. */
static int probe(volatile char *p) { int s = sigsetjmp(jb, 1); if (s) return -s; return *p; }

static void maps(void *a, const char *label) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    unsigned long lo, hi, off, ino;
    char perms[8], dev[16], path[256] = "";
    if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %255[^\n]", &lo, &hi, perms, &off, dev, &ino, path) < 6) continue;
    if ((unsigned long)a >= lo && (unsigned long)a < hi)
      printf("%s: %s off=%lx pages=%lu inode %s name=%s\n", label, perms, off, (hi - lo) / 4096, ino ? "set" : "0", *path ? path : "(none)");
  }
  if (f) fclose(f);
}

int main(void) {
  signal(SIGBUS, on_signal);
  signal(SIGSEGV, on_signal);
  long P = 4096;
  char *a = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  maps(a, "shared anonymous");
  for (int i = 0; i < 4; i++) a[i * P] = 'a' + i;
  printf("MADV_DONTNEED %d: still %c\n", madvise(a, P, MADV_DONTNEED), a[0]);
  printf("mprotect middle page %d\n", mprotect(a + 2 * P, P, PROT_READ));
  maps(a, "first piece");
  maps(a + 2 * P, "read-only piece");
  maps(a + 3 * P, "last piece");
  printf("store to the read-only piece: %s\n", sigsetjmp(jb, 1) == 0 ? (a[2 * P] = 'x', "stored") : "SIGSEGV");
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    printf("child sees: %c %c %c %c\n", a[0], a[P], a[2 * P], a[3 * P]);
    a[0] = 'A';
    a[3 * P] = 'D';
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("parent sees: %c %c %c %c\n", a[0], a[P], a[2 * P], a[3 * P]);
  printf("munmap page 1: %d\n", munmap(a + P, P));
  maps(a + 3 * P, "after the hole");
  char *f = mmap(a + 3 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED private over the last page: %d, reads %d, first page still %c\n", f == a + 3 * P, a[3 * P], a[0]);
  maps(a + 3 * P, "replaced");

  char *b = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  b[0] = 'q';
  b[P] = 'r';
  char *g = mremap(b, 2 * P, 4 * P, MREMAP_MAYMOVE);
  printf("mremap grown: %c %c, page past the object's end %d\n", g[0], g[P], probe(g + 2 * P));
  maps(g, "grown");
  fflush(stdout);
  c = fork();
  if (c == 0) { g[P] = 'R'; _exit(0); }
  waitpid(c, NULL, 0);
  printf("after the child: %c\n", g[P]);

  int z = open("/dev/zero", O_RDWR);
  char *zo = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, z, 4 * P);
  printf("/dev/zero shared at offset 4 pages: %d %d\n", probe(zo), probe(zo + P));
  maps(zo, "/dev/zero at an offset");
  char *zs = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  zs[0] = 7;
  printf("/dev/zero shared at offset 0: %d\n", probe(zs));
  close(z);
  char *an = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 8 * P);
  printf("MAP_ANONYMOUS with an offset: %d\n", an == MAP_FAILED ? -1 : probe(an));
  maps(an, "anonymous with an offset");
  return 0;
}
