/* MAP_SHARED across fork (file, memfd, /dev/zero), MAP_PRIVATE of /dev/zero, memfd seals
 * with mappings (EPERM, EBUSY), /proc/self/maps naming mapped files (path, offset,
 * "(deleted)", shared 's'), and a file written only through a mapping read back after exit. */
#include "fsutil.h"
#include <sys/mman.h>
#include <sys/wait.h>

static void maps_line(const void *addr, const char *label) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  unsigned long a = (unsigned long)addr;
  while (f && fgets(line, sizeof line, f)) {
    unsigned long lo, hi, off;
    char perms[8], path[256] = "";
    if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %255[^\n]", &lo, &hi, perms, &off, path) < 4) continue;
    if (a < lo || a >= hi) continue;
    const char *base = strrchr(path, '/');
    printf("%s: %s off=%lx len=%lu name=%s\n", label, perms, off, (hi - lo) / 4096, base ? base + 1 : (*path ? path : "(anon)"));
  }
  if (f) fclose(f);
  fflush(stdout);
}

int main(void) {
  scratch_begin();
  int fd = open("shared", O_RDWR | O_CREAT | O_TRUNC, 0644);
  T(ftruncate(fd, 3 * 4096));
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  strcpy(m, "parent");
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    printf("child sees: %s\n", m);
    strcpy(m + 4096, "from the child");
    strcpy(m, "child was here");
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("parent sees: %s / %s\n", m, m + 4096);
  char buf[64] = {0};
  T(pread(fd, buf, 14, 4096));
  printf("file: %s\n", buf);
  maps_line(m, "file map");
  maps_line(m + 4096, "file map page 1");
  char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 8192);
  maps_line(m2, "offset map");
  /* a child that only maps the file (never touched before the fork) */
  munmap(m, 3 * 4096);
  fflush(stdout);
  c = fork();
  if (c == 0) {
    char *cm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 8192);
    strcpy(cm, "child mapping");
    _exit(0);
  }
  waitpid(c, &st, 0);
  printf("offset map after child: %s\n", m2);
  T(pread(fd, buf, 13, 8192));
  printf("file: %.13s\n", buf);
  munmap(m2, 4096);

  /* MAP_PRIVATE file pages after fork: each side copies on write */
  char *pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  pv[0] = 'P';
  fflush(stdout);
  c = fork();
  if (c == 0) { pv[1] = 'C'; printf("child private: %.4s\n", pv); fflush(stdout); _exit(0); }
  waitpid(c, &st, 0);
  printf("parent private: %.4s\n", pv);
  munmap(pv, 4096);

  /* unlinked file: "(deleted)" */
  char *u = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  unlink("shared");
  maps_line(u, "unlinked");
  munmap(u, 4096);
  close(fd);

  /* /dev/zero */
  int z = open("/dev/zero", O_RDWR);
  char *zp = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  char *zs = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  printf("zero: %d %d\n", zp[100], zs[5000]);
  zp[0] = 1;
  zs[0] = 1;
  fflush(stdout);
  c = fork();
  if (c == 0) { zp[0] = 2; zs[0] = 2; _exit(0); }
  waitpid(c, &st, 0);
  printf("after child: private %d shared %d\n", zp[0], zs[0]);
  maps_line(zs, "dev/zero shared");
  char rb[4];
  T(read(z, rb, 4));
  close(z);

  /* memfd */
  int mf = memfd_create("teeos-map", MFD_ALLOW_SEALING);
  T(ftruncate(mf, 4096));
  char *mm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0);
  strcpy(mm, "memfd data");
  T(pread(mf, buf, 10, 0));
  printf("memfd: %.10s\n", buf);
  maps_line(mm, "memfd");
  T(fcntl(mf, F_ADD_SEALS, F_SEAL_WRITE));
  T(munmap(mm, 4096));
  T(fcntl(mf, F_ADD_SEALS, F_SEAL_WRITE));
  T((long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0));
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, mf, 0);
  printf("sealed read-only map: %.10s\n", ro);
  T(mprotect(ro, 4096, PROT_READ | PROT_WRITE));
  char *pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, mf, 0);
  pm[0] = 'M';
  printf("private of sealed: %.10s\n", pm);
  close(mf);

  /* written only through a mapping; read back with stdio after munmap and close */
  fd = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
  ftruncate(fd, 20);
  char *o = mmap(NULL, 20, PROT_WRITE, MAP_SHARED, fd, 0);
  memcpy(o, "written by mmap only", 20);
  munmap(o, 20);
  close(fd);
  FILE *f = fopen("out", "r");
  T(fread(buf, 1, 20, f));
  printf("out: %.20s\n", buf);
  fclose(f);
  scratch_end();
  return 0;
}
