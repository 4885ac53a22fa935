/* read/write family details: readv/writev with empty and many iovecs, IOV_MAX (EINVAL),
 * negative lengths, preadv2/pwritev2 with offset -1 (the file position) and flags 0,
 * unknown flags (EOPNOTSUPP), RWF_NOWAIT, lseek past the end and the hole reading back as
 * zeros, SEEK_DATA/SEEK_HOLE, pread/pwrite leaving the position alone, O_APPEND writes
 * with pwrite, zero-length reads at EOF, and short reads at EOF. */
#include "fsutil.h"
#include <limits.h>
#include <sys/uio.h>

int main(void) {
  scratch_begin();
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  char a[] = "hello", b[] = " ", c[] = "world";
  struct iovec iv[3] = { { a, 5 }, { b, 1 }, { c, 5 } };
  T(writev(fd, iv, 3));
  T(writev(fd, iv, 0));
  struct iovec z[2] = { { a, 0 }, { NULL, 0 } };
  T(writev(fd, z, 2));
  T(lseek(fd, 0, SEEK_CUR));
  char x[4], y[3], w[20];
  struct iovec rv[2] = { { x, 4 }, { y, 3 } };
  T(preadv(fd, rv, 2, 0));
  printf("%.4s|%.3s\n", x, y);
  T(lseek(fd, 0, SEEK_CUR));
  T(preadv2(fd, rv, 2, -1, 0));
  T(lseek(fd, 0, SEEK_CUR));
  lseek(fd, 6, SEEK_SET);
  T(preadv2(fd, rv, 2, -1, 0));
  printf("%.4s|%.3s pos=%ld\n", x, y, (long)lseek(fd, 0, SEEK_CUR));
  T(preadv2(fd, rv, 2, 0, 0x100));
  T(preadv2(fd, rv, 2, 0, RWF_NOWAIT));
  T(pwritev2(fd, iv, 1, -1, 0));
  T(lseek(fd, 0, SEEK_CUR));
  static struct iovec many[1025];
  for (int i = 0; i < 1025; i++) many[i] = (struct iovec){ w, 1 };
  T(readv(fd, many, 1025));
  T(readv(fd, many, 1024));
  T(readv(fd, many, -1));
  struct iovec neg = { w, (size_t)-1 };
  T(readv(fd, &neg, 1));
  T(preadv(fd, rv, 2, -1));
  /* holes */
  T(lseek(fd, 10000, SEEK_SET));
  T(write(fd, "end", 3));
  T(pread(fd, w, 5, 5000));
  printf("hole zeros: %d%d%d%d%d\n", w[0], w[1], w[2], w[3], w[4]);
  T(lseek(fd, 0, SEEK_DATA));
  T(lseek(fd, 10002, SEEK_DATA));
  T(lseek(fd, 10003, SEEK_DATA));
  T(lseek(fd, 10003, SEEK_HOLE));
  T(lseek(fd, -1, SEEK_CUR) >= 0);
  T(lseek(fd, 0, SEEK_END));
  T(read(fd, w, 10));
  T(read(fd, w, 0));
  T(pread(fd, w, 10, 10001));
  T(pread(fd, w, 10, 20000));
  T(pread(fd, w, 1, -1));
  T(pwrite(fd, "x", 1, -1));
  /* O_APPEND: pwrite appends too (Linux quirk), write moves to the end */
  int ap = open("f", O_WRONLY | O_APPEND);
  T(pwrite(ap, "P", 1, 0));
  T(lseek(ap, 0, SEEK_SET));
  T(write(ap, "W", 1));
  T(lseek(ap, 0, SEEK_CUR));
  struct stat st;
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  T(pread(fd, w, 5, st.st_size - 5));
  printf("tail %.5s\n", w);
  /* lseek whence and overflow */
  T(lseek(fd, LONG_MAX, SEEK_SET) > 0);
  T(lseek(fd, 1, SEEK_CUR));
  T(lseek(fd, 0, SEEK_SET));
  T(lseek(fd, -1, SEEK_END) >= 0);
  T(lseek(fd, 0, 5));
  scratch_end();
  return 0;
}
