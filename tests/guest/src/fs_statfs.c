/* statfs/fstatfs: the type magic of /proc and /dev/shm (tmpfs), name length 255 and a 4096
 * block size on /tmp, fstatfs on a pipe (pipefs) and a socket (sockfs), consistency between
 * statfs and fstatfs, and ENOENT/ENOTDIR/EFAULT/EBADF. */
#include "fsutil.h"
#include <sys/socket.h>
#include <sys/statfs.h>

int main(void) {
  scratch_begin();
  struct statfs s, t;
  T(statfs("/proc", &s));
  printf("/proc type %#lx\n", (unsigned long)s.f_type);
  T(statfs("/dev/shm", &s));
  printf("/dev/shm type %#lx namelen %ld\n", (unsigned long)s.f_type, (long)s.f_namelen);
  T(statfs(".", &s));
  printf("/tmp namelen %ld bsize %ld\n", (long)s.f_namelen, (long)s.f_bsize);
  put("f", "x");
  int fd = open("f", O_RDONLY);
  T(fstatfs(fd, &t));
  printf("statfs and fstatfs agree: %d\n", s.f_type == t.f_type && s.f_bsize == t.f_bsize && s.f_namelen == t.f_namelen);
  int p[2];
  pipe(p);
  T(fstatfs(p[0], &t));
  printf("pipe type %#lx\n", (unsigned long)t.f_type);
  int so = socket(AF_UNIX, SOCK_STREAM, 0);
  T(fstatfs(so, &t));
  printf("socket type %#lx\n", (unsigned long)t.f_type);
  T(statfs("missing", &s));
  T(statfs("f/x", &s));
  T(statfs("f", (struct statfs *)8));
  T(fstatfs(99, &s));
  int op = open("f", O_PATH);
  T(fstatfs(op, &s));
  scratch_end();
  return 0;
}
