/* Regular files: open/creat flags, read/write/lseek, O_APPEND, O_TRUNC, O_EXCL, pread/pwrite,
 * readv/writev/preadv/pwritev, SEEK_DATA/SEEK_HOLE, ftruncate, sizes. */
#include "fsutil.h"
#include <sys/uio.h>

int main(void) {
  scratch_begin();
  char buf[256];
  int fd = open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0640);
  T(fd >= 0);
  T(write(fd, "hello, world\n", 13));
  T(lseek(fd, 0, SEEK_CUR));
  T(lseek(fd, 0, SEEK_SET));
  memset(buf, 0, sizeof buf);
  T(read(fd, buf, sizeof buf));
  printf("read back: %s", buf);
  T(read(fd, buf, sizeof buf));
  T(lseek(fd, 7, SEEK_SET));
  T(write(fd, "WORLD", 5));
  T(pread(fd, buf, 13, 0));
  printf("pread: %.13s", buf);
  T(pwrite(fd, "H", 1, 0));
  T(lseek(fd, 0, SEEK_CUR));
  T(lseek(fd, -3, SEEK_END));
  T(lseek(fd, -100, SEEK_CUR));
  T(lseek(fd, 0, 99));
  T(lseek(fd, 0, SEEK_DATA));
  T(lseek(fd, 5, SEEK_HOLE));
  T(lseek(fd, 13, SEEK_DATA));
  T(lseek(fd, 100, SEEK_HOLE));
  T(pread(fd, buf, 10, -1));
  struct stat st;
  T(fstat(fd, &st));
  printf("size=%ld mode=%s %o nlink=%ld uid=%d\n", (long)st.st_size, ftype(st.st_mode), st.st_mode & 07777, (long)st.st_nlink, st.st_uid);
  T(close(fd));
  T(close(fd));
  T(open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0640));
  T(open("missing", O_RDONLY));
  /* O_APPEND */
  fd = open("a.txt", O_WRONLY | O_APPEND);
  T(lseek(fd, 0, SEEK_SET));
  T(write(fd, "more\n", 5));
  T(lseek(fd, 0, SEEK_CUR));
  T(read(fd, buf, 1));
  close(fd);
  T(stat("a.txt", &st));
  printf("size=%ld\n", (long)st.st_size);
  /* O_TRUNC */
  fd = open("a.txt", O_RDONLY | O_TRUNC);
  T(fstat(fd, &st));
  printf("size after O_RDONLY|O_TRUNC=%ld\n", (long)st.st_size);
  T(write(fd, "x", 1));
  close(fd);
  /* vectors */
  fd = open("v.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
  struct iovec iov[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
  T(writev(fd, iov, 3));
  T(pwritev(fd, iov, 1, 20));
  T(fstat(fd, &st));
  printf("size=%ld\n", (long)st.st_size);
  char a[4] = {0}, b[30] = {0};
  struct iovec rv[2] = { { a, 3 }, { b, 30 } };
  T(preadv(fd, rv, 2, 0));
  printf("a=%s b[0..4]=%.5s hole=%d %d tail=%.3s\n", a, b, b[5], b[16], b + 17);
  T(lseek(fd, 0, SEEK_SET));
  T(readv(fd, rv, 2));
  volatile int neg = -1; T(readv(fd, rv, neg));
  T(ftruncate(fd, 4));
  T(fstat(fd, &st));
  printf("size=%ld\n", (long)st.st_size);
  T(ftruncate(fd, 10000));
  T(pread(fd, buf, 8, 9990));
  T(ftruncate(fd, -1));
  close(fd);
  T(creat("c.txt", 0600) >= 0);
  T(stat("c.txt", &st));
  printf("creat mode=%o\n", st.st_mode & 0777);
  T(open(".", O_RDWR));
  T(open(".", O_RDONLY | O_CREAT, 0600));
  T(open("a.txt", O_RDONLY | O_DIRECTORY));
  fd = open(".", O_RDONLY);
  T(read(fd, buf, 10));
  close(fd);
  scratch_end();
  return 0;
}
