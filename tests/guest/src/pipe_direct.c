/* Pipes in packet mode (pipe2 O_DIRECT): every write is a packet, a read returns at most one
 * and drops what did not fit; writes larger than a page become page-sized packets; F_SETFL
 * turns packet mode on and off; F_GETPIPE_SZ/F_SETPIPE_SZ rounding, EBUSY, and EBADF/EINVAL. */
#include "fsutil.h"

int main(void) {
  int p[2];
  T(pipe2(p, O_DIRECT));
  printf("flags direct: %d\n", (fcntl(p[1], F_GETFL) & O_DIRECT) != 0);
  char buf[10000];
  T(write(p[1], "one", 3));
  T(write(p[1], "two!", 4));
  T(write(p[1], "three", 5));
  T(read(p[0], buf, 100));
  printf("%.3s\n", buf);
  T(read(p[0], buf, 2));
  printf("%.2s (rest dropped)\n", buf);
  T(read(p[0], buf, 100));
  printf("%.5s\n", buf);
  memset(buf, 'x', sizeof buf);
  T(write(p[1], buf, 5000));
  T(read(p[0], buf, sizeof buf));
  T(read(p[0], buf, sizeof buf));
  int n;
  T(write(p[1], "ab", 2));
  T(ioctl(p[0], FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  T(fcntl(p[1], F_SETFL, 0));
  T(write(p[1], "cd", 2));
  T(read(p[0], buf, 100));
  printf("%.4s\n", buf);
  T(fcntl(p[1], F_SETFL, O_DIRECT));
  T(write(p[1], "ef", 2));
  T(write(p[1], "gh", 2));
  T(read(p[0], buf, 100));
  printf("%.6s\n", buf);
  T(write(p[1], "ij", 2));
  T(write(p[1], "kl", 2));
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  T(read(p[0], buf, 100));
  T(read(p[0], buf, 100));
  T(read(p[0], buf, 100));
  close(p[0]);
  close(p[1]);
  /* sizes */
  T(pipe(p));
  T(fcntl(p[0], F_GETPIPE_SZ));
  T(fcntl(p[0], F_SETPIPE_SZ, 1));
  T(fcntl(p[0], F_SETPIPE_SZ, 5000));
  T(fcntl(p[0], F_SETPIPE_SZ, 100000));
  T(fcntl(p[1], F_GETPIPE_SZ));
  T(fcntl(p[1], F_SETPIPE_SZ, 0));
  T(fcntl(p[1], F_SETPIPE_SZ, -1));
  T(fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
  T(fcntl(p[1], F_SETPIPE_SZ, (1 << 20) + 1));
  memset(buf, 'y', sizeof buf);
  T(fcntl(p[1], F_SETPIPE_SZ, 65536));
  for (int i = 0; i < 4; i++) T(write(p[1], buf, 4096));
  T(fcntl(p[1], F_SETPIPE_SZ, 4096));
  T(fcntl(p[1], F_SETPIPE_SZ, 16384));
  T(fcntl(p[1], F_GETPIPE_SZ));
  T(fcntl(0, F_GETPIPE_SZ));
  T(fcntl(99, F_GETPIPE_SZ));
  T(pipe2(p, O_ASYNC));
  T(pipe2(NULL, 0));
  return 0;
}
