/* sendfile and copy_file_range edge cases: counts past EOF, an offset beyond EOF (0), the
 * file position untouched when an offset is given and advanced when not, to a socket and to
 * a pipe, copy_file_range across files at offsets (the output growing), overlapping ranges in
 * one file (EINVAL), O_APPEND targets (EINVAL/EBADF), directories, and a read-only target. */
#include "fsutil.h"
#include <sys/sendfile.h>
#include <sys/socket.h>

int main(void) {
  scratch_begin();
  put("src", "abcdefghijklmnopqrstuvwxyz");
  int s = open("src", O_RDONLY);
  int o = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
  off_t off = 20;
  T(sendfile(o, s, &off, 100));
  printf("off %ld pos %ld\n", (long)off, (long)lseek(s, 0, SEEK_CUR));
  off = 100;
  T(sendfile(o, s, &off, 10));
  T(sendfile(o, s, NULL, 5));
  T(lseek(s, 0, SEEK_CUR));
  T(sendfile(o, s, NULL, 0));
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  T(sendfile(sv[0], s, NULL, 4));
  char buf[64] = {0};
  T(recv(sv[1], buf, sizeof buf, 0));
  printf("socket got %s\n", buf);
  int d = open(".", O_RDONLY);
  T(sendfile(o, d, NULL, 4));
  T(sendfile(d, s, NULL, 4));
  int ap = open("out", O_WRONLY | O_APPEND);
  T(sendfile(ap, s, NULL, 4));
  int ro = open("out", O_RDONLY);
  T(sendfile(ro, s, NULL, 4));
  T(sendfile(o, s, (off_t *)8, 4));
  off = -1;
  T(sendfile(o, s, &off, 4));
  /* copy_file_range */
  loff_t in = 2, out = 30;
  T(copy_file_range(s, &in, o, &out, 5, 0));
  printf("in %ld out %ld\n", (long)in, (long)out);
  struct stat st;
  fstat(o, &st);
  printf("out size %ld\n", (long)st.st_size);
  T(pread(o, buf, 5, 30));
  printf("%.5s\n", buf);
  in = 24;
  out = 0;
  T(copy_file_range(s, &in, o, &out, 100, 0));
  in = 0; out = 2;
  T(copy_file_range(o, &in, o, &out, 5, 0));
  in = 0; out = 10;
  T(copy_file_range(o, &in, o, &out, 5, 0));
  T(copy_file_range(s, NULL, ap, NULL, 3, 0));
  T(copy_file_range(s, NULL, ro, NULL, 3, 0));
  T(copy_file_range(d, NULL, o, NULL, 3, 0));
  T(copy_file_range(s, NULL, o, NULL, 3, 7));
  T(copy_file_range(99, NULL, o, NULL, 3, 0));
  int p[2];
  pipe(p);
  T(copy_file_range(s, NULL, p[1], NULL, 3, 0));
  scratch_end();
  return 0;
}
