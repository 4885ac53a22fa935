/* splice and tee: file -> pipe, pipe -> file, pipe -> pipe, tee (the source keeps its bytes),
 * offsets (updated, the file position untouched), counts bounded by the pipe, NONBLOCK,
 * and the errors: ESPIPE, EINVAL (no pipe, same pipe, O_APPEND, bad flags, directory),
 * EBADF, EPIPE. */
#include "fsutil.h"
#include <signal.h>

static char buf[200000];

int main(void) {
  scratch_begin();
  signal(SIGPIPE, SIG_IGN);
  put("src", "0123456789abcdefghijklmnopqrstuvwxyz");
  int s = open("src", O_RDONLY);
  int p[2], q[2];
  pipe(p);
  pipe(q);
  T(splice(s, NULL, p[1], NULL, 10, 0));
  T(lseek(s, 0, SEEK_CUR));
  loff_t off = 20;
  T(splice(s, &off, p[1], NULL, 5, 0));
  printf("off=%ld pos=%ld\n", (long)off, (long)lseek(s, 0, SEEK_CUR));
  T(read(p[0], buf, 100));
  printf("pipe got: %.15s\n", buf);
  off = 100;
  T(splice(s, &off, p[1], NULL, 5, 0)); /* past EOF: 0 */
  /* pipe -> file */
  int d = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(p[1], "hello splice", 12);
  T(splice(p[0], NULL, d, NULL, 5, 0));
  loff_t doff = 100;
  T(splice(p[0], NULL, d, &doff, 100, 0));
  printf("doff=%ld pos=%ld\n", (long)doff, (long)lseek(d, 0, SEEK_CUR));
  struct stat st;
  fstat(d, &st);
  printf("dst size=%ld\n", (long)st.st_size);
  T(pread(d, buf, 5, 0));
  T(pread(d, buf + 5, 7, 100));
  printf("dst: %.12s\n", buf);
  /* pipe -> pipe and tee */
  write(p[1], "teedata", 7);
  T(tee(p[0], q[1], 100, 0));
  T(read(q[0], buf, 100));
  printf("tee copy: %.7s\n", buf);
  T(splice(p[0], NULL, q[1], NULL, 3, 0));
  T(read(p[0], buf, 100));
  printf("left in p: %.4s\n", buf);
  T(read(q[0], buf, 100));
  printf("moved to q: %.3s\n", buf);
  /* empty pipe, NONBLOCK */
  T(splice(p[0], NULL, d, NULL, 10, SPLICE_F_NONBLOCK));
  T(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK));
  T(splice(p[0], NULL, q[1], NULL, 10, SPLICE_F_NONBLOCK));
  /* a big file into a 64 KiB pipe: bounded by its room */
  int big = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(big, buf, sizeof buf);
  lseek(big, 0, SEEK_SET);
  T(splice(big, NULL, p[1], NULL, sizeof buf, 0));
  T(splice(big, NULL, p[1], NULL, sizeof buf, SPLICE_F_NONBLOCK));
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  T(splice(big, NULL, p[1], NULL, 10, 0));
  fcntl(p[1], F_SETFL, 0);
  T(splice(p[0], NULL, d, NULL, sizeof buf, 0));
  /* errors */
  T(splice(s, NULL, d, NULL, 10, 0));
  T(splice(p[0], NULL, p[1], NULL, 10, 0));
  off = 0;
  T(splice(p[0], &off, d, NULL, 10, 0));
  T(splice(s, NULL, p[1], &off, 10, 0));
  T(splice(s, NULL, p[1], NULL, 10, 0x100));
  T(splice(s, NULL, p[1], NULL, 0, 0));
  T(splice(99, NULL, p[1], NULL, 10, 0));
  T(splice(s, NULL, 99, NULL, 10, 0));
  T(splice(p[1], NULL, d, NULL, 10, 0));
  T(splice(s, NULL, p[0], NULL, 10, 0));
  int ap = open("dst", O_WRONLY | O_APPEND);
  write(p[1], "x", 1);
  T(splice(p[0], NULL, ap, NULL, 1, 0));
  int dir = open(".", O_RDONLY);
  T(splice(dir, NULL, p[1], NULL, 10, 0));
  T(tee(p[0], p[1], 10, 0));
  T(tee(s, q[1], 10, 0));
  T(tee(p[0], d, 10, 0));
  T(tee(p[0], q[1], 10, 0x100));
  /* EPIPE: no reader */
  int r[2];
  pipe(r);
  close(r[0]);
  T(splice(s, NULL, r[1], NULL, 10, 0));
  T(tee(p[0], r[1], 10, 0));
  scratch_end();
  return 0;
}
