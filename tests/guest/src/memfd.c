/* memfd_create: flags (EINVAL for unknown and HUGETLB), names (249 bytes ok, longer EINVAL),
 * the fd's mode and type, /proc/self/fd naming it "memfd:NAME (deleted)", seals one by one
 * (SHRINK, GROW, WRITE, FUTURE_WRITE, SEAL) with EPERM for what they forbid, F_GET_SEALS
 * without MFD_ALLOW_SEALING, seals on a read-only reopen, and ftruncate/write/fallocate. */
#include "fsutil.h"
#include <sys/mman.h>

int main(void) {
  T(memfd_create("x", 0x100));
  char name[300];
  memset(name, 'n', sizeof name);
  name[249] = 0;
  int ok = memfd_create(name, 0);
  T(ok >= 0);
  close(ok);
  name[249] = 'n';
  name[250] = 0;
  T(memfd_create(name, 0));
  T(memfd_create((char *)8, 0));
  int m = memfd_create("teeos", MFD_CLOEXEC);
  struct stat st;
  fstat(m, &st);
  printf("type %s mode %o size %ld nlink %ld\n", ftype(st.st_mode), st.st_mode & 0777, (long)st.st_size, (long)st.st_nlink);
  T(fcntl(m, F_GETFD));
  T(fcntl(m, F_GETFL) & O_ACCMODE);
  char link[64], path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", m);
  ssize_t n = readlink(path, link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("link %s\n", link);
  T(fcntl(m, F_GET_SEALS));
  T(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  close(m);
  int s = memfd_create("sealed", MFD_ALLOW_SEALING);
  T(fcntl(s, F_GET_SEALS));
  T(write(s, "0123456789", 10));
  T(fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK));
  T(ftruncate(s, 5));
  T(ftruncate(s, 20));
  T(fcntl(s, F_ADD_SEALS, F_SEAL_GROW));
  T(ftruncate(s, 30));
  T(pwrite(s, "x", 1, 25));
  T(pwrite(s, "ab", 2, 0));
  T(fallocate(s, 0, 0, 100));
  T(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
  T(pwrite(s, "c", 1, 0));
  T(fcntl(s, F_GET_SEALS));
  char buf[8];
  T(pread(s, buf, 4, 0));
  printf("%.4s\n", buf);
  T(fcntl(s, F_ADD_SEALS, F_SEAL_SEAL));
  T(fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  T(fcntl(s, F_ADD_SEALS, 0x100));
  T(fcntl(s, F_GET_SEALS));
  /* a read-only reopen through /proc: no seals can be added */
  int f = memfd_create("fw", MFD_ALLOW_SEALING);
  write(f, "abc", 3);
  snprintf(path, sizeof path, "/proc/self/fd/%d", f);
  int ro = open(path, O_RDONLY);
  T(ro >= 0);
  T(fcntl(ro, F_ADD_SEALS, F_SEAL_WRITE));
  T(fcntl(ro, F_GET_SEALS));
  T(fcntl(f, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  T(write(f, "d", 1));
  T(ftruncate(f, 1));
  T(pread(ro, buf, 3, 0));
  printf("%.3s\n", buf);
  /* seals on other files */
  int p[2];
  pipe(p);
  T(fcntl(p[0], F_GET_SEALS));
  T(fcntl(0, F_ADD_SEALS, F_SEAL_SEAL));
  return 0;
}
