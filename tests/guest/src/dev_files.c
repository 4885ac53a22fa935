/* /dev files in use: /dev/null (reads 0, writes vanish, lseek 0), /dev/zero (zeros, writes
 * accepted), /dev/full (ENOSPC on write, zeros on read), /dev/urandom and /dev/random (sizes,
 * not all zero), /dev/fd/N and /dev/stdin links reopening, O_DIRECTORY on a device (ENOTDIR),
 * device numbers and types, and opening /dev/tty without a terminal (ENXIO). Runs as uid 1000
 * and never creates or removes anything under /dev (qemu runs it on the host's /dev). */
#include "fsutil.h"
#include <sys/sysmacros.h>

static void dev(const char *p) {
  struct stat st;
  if (stat(p, &st) < 0) { printf("%s: -1 %s\n", p, strerrorname_np(errno)); return; }
  printf("%s: %s %u:%u mode %o\n", p, ftype(st.st_mode), major(st.st_rdev), minor(st.st_rdev), st.st_mode & 0777);
}

int main(void) {
  become_user(); /* and nothing here creates or removes anything in /dev */
  dev("/dev/null"); dev("/dev/zero"); dev("/dev/full"); dev("/dev/random"); dev("/dev/urandom"); dev("/dev/tty");
  char buf[4096];
  int n = open("/dev/null", O_RDWR);
  T(read(n, buf, sizeof buf));
  T(write(n, buf, sizeof buf));
  T(lseek(n, 100, SEEK_SET));
  T(lseek(n, 0, SEEK_CUR));
  T(pread(n, buf, 10, 1000));
  int z = open("/dev/zero", O_RDWR);
  memset(buf, 1, sizeof buf);
  T(read(z, buf, sizeof buf));
  int nz = 0;
  for (size_t i = 0; i < sizeof buf; i++) nz |= buf[i];
  printf("zero read all zero: %d\n", nz == 0);
  T(write(z, "abc", 3));
  T(lseek(z, 5, SEEK_SET));
  int f = open("/dev/full", O_RDWR);
  T(write(f, "x", 1));
  T(write(f, "x", 0));
  T(read(f, buf, 16));
  T(lseek(f, 7, SEEK_SET));
  int r = open("/dev/urandom", O_RDONLY);
  T(read(r, buf, 64));
  nz = 0;
  for (int i = 0; i < 64; i++) nz |= buf[i];
  printf("urandom not all zero: %d\n", nz != 0);
  T(read(r, buf, 0));
  int rr = open("/dev/random", O_RDONLY | O_NONBLOCK);
  T(read(rr, buf, 32));
  T(write(r, "x", 1));
  T(open("/dev/null", O_RDONLY | O_DIRECTORY));
  T(open("/dev/tty", O_RDWR));
  T(open("/dev/nonexistent", O_RDONLY));
  /* /dev/fd links reopen the description's file */
  char p[32];
  snprintf(p, sizeof p, "/dev/fd/%d", z);
  int z2 = open(p, O_RDONLY);
  T(z2 >= 0);
  T(read(z2, buf, 4));
  char link[64];
  ssize_t l = readlink("/dev/fd", link, sizeof link - 1);
  link[l > 0 ? l : 0] = 0;
  printf("/dev/fd -> %s\n", link);
  l = readlink("/dev/stdin", link, sizeof link - 1);
  link[l > 0 ? l : 0] = 0;
  printf("/dev/stdin -> %s\n", link);
  T(access("/dev/null", R_OK | W_OK));
  T(access("/dev/full", W_OK));
  return 0;
}
