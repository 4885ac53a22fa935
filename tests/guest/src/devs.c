/* /dev: null, zero, full, random, urandom, stdout, fd/, mknod EPERM, node types. */
#include "fsutil.h"
#include <sys/sysmacros.h>

int main(void) {
  become_user();
  char buf[64];
  int fd = open("/dev/null", O_RDWR);
  T(read(fd, buf, sizeof buf));
  T(write(fd, "discard", 7));
  T(lseek(fd, 100, SEEK_SET));
  close(fd);
  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 1, sizeof buf);
  T(read(fd, buf, sizeof buf));
  int zero = 1;
  for (int i = 0; i < 64; i++) if (buf[i]) zero = 0;
  printf("all zero: %d\n", zero);
  close(fd);
  fd = open("/dev/full", O_WRONLY);
  T(write(fd, "x", 1));
  close(fd);
  fd = open("/dev/full", O_RDONLY);
  T(read(fd, buf, 8));
  close(fd);
  fd = open("/dev/urandom", O_RDONLY);
  T(read(fd, buf, 32));
  close(fd);
  fd = open("/dev/random", O_RDONLY);
  T(read(fd, buf, 16));
  close(fd);
  struct stat st;
  const char *nodes[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty" };
  for (int i = 0; i < 6; i++) {
    if (stat(nodes[i], &st)) { printf("%s: %s\n", nodes[i], strerrorname_np(errno)); continue; }
    printf("%s: %s %d,%d mode %o uid %d\n", nodes[i], ftype(st.st_mode), major(st.st_rdev), minor(st.st_rdev), st.st_mode & 0777, st.st_uid);
  }
  T(lstat("/dev/stdout", &st));
  printf("/dev/stdout is %s\n", ftype(st.st_mode));
  T(readlink("/dev/stdout", buf, sizeof buf));
  printf("-> %.15s\n", buf);
  T(readlink("/dev/fd", buf, sizeof buf));
  printf("-> %.13s\n", buf);
  T(stat("/dev/fd/0", &st));
  T(stat("/dev/stderr", &st));
  T(mknod("/tmp/teeos-null", S_IFCHR | 0666, makedev(1, 3)));
  T(creat("/dev/newfile", 0600));
  T(unlink("/dev/null"));
  return 0;
}
