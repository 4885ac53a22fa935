/*
 * vmsplice: user memory into a pipe (the write end) and out of one (the read end), with the
 * iovec checks, SPLICE_F_NONBLOCK (the file's O_NONBLOCK is not looked at), EPIPE, EOF, and
 * descriptors that are not pipes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void result(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGPIPE, SIG_IGN);
  int p[2];
  if (pipe(p) != 0) { perror("pipe"); return 1; }
  char a[] = "one ", b[] = "two ", c[] = "three\n";
  struct iovec in[3] = { { a, 4 }, { b, 4 }, { c, 6 } };
  result("vmsplice 3 iovecs into the write end", vmsplice(p[1], in, 3, 0));
  char buf[64] = {0};
  result("read them back", read(p[0], buf, sizeof buf - 1));
  printf("bytes: %s", buf);

  result("into the pipe again", vmsplice(p[1], in, 3, SPLICE_F_GIFT));
  char x[5] = {0}, y[32] = {0};
  struct iovec out[2] = { { x, 4 }, { y, 31 } };
  result("vmsplice out of the read end into 2 iovecs", vmsplice(p[0], out, 2, 0));
  y[strcspn(y, "\n")] = 0;
  printf("first iovec '%s', second '%s' (its newline cut here)\n", x, y);
  result("empty pipe, SPLICE_F_NONBLOCK", vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK));
  result("no iovecs", vmsplice(p[0], out, 0, 0));
  result("1025 iovecs", vmsplice(p[1], in, 1025, 0));
  result("unknown flag", vmsplice(p[1], in, 1, 0x10));
  result("iovec array at a bad address", vmsplice(p[1], (struct iovec *)8, 1, 0));
  struct iovec bad = { (void *)8, 4 };
  result("bytes at a bad address", vmsplice(p[1], &bad, 1, 0));
  result("bad descriptor", vmsplice(99, in, 1, 0));
  int fd = open("/proc/self/exe", O_RDONLY);
  result("a regular file", vmsplice(fd, out, 1, 0));

  /* Fill the pipe: a full pipe with SPLICE_F_NONBLOCK is EAGAIN. */
  static char big[65536];
  memset(big, 'z', sizeof big);
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  long total = 0, n;
  while ((n = write(p[1], big, sizeof big)) > 0) total += n;
  printf("filled the pipe with %ld bytes\n", total);
  result("full pipe, SPLICE_F_NONBLOCK", vmsplice(p[1], in, 1, SPLICE_F_NONBLOCK));
  struct iovec all = { big, sizeof big };
  result("drain it with vmsplice", vmsplice(p[0], &all, 1, 0));
  close(p[1]);
  result("no writers, empty: end of file", vmsplice(p[0], out, 2, 0));
  int q[2];
  if (pipe(q) != 0) return 1;
  close(q[0]);
  result("no readers", vmsplice(q[1], in, 1, 0));
  return 0;
}
