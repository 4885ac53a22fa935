/* Sizes: truncate/ftruncate growing (zeros) and shrinking (data gone, then zeros when grown
 * back), O_TRUNC on open (and not with O_RDONLY on a file we may not write), ftruncate on a
 * read-only descriptor (EINVAL) and on O_APPEND, truncate through a symlink, negative and huge
 * lengths (EINVAL/EFBIG), directories (EISDIR), and st_blocks following the size. */
#include "fsutil.h"

static void sz(const char *p) {
  struct stat st;
  stat(p, &st);
  printf("%s size %ld blocks>0 %d\n", p, (long)st.st_size, st.st_blocks > 0);
}

int main(void) {
  scratch_begin();
  put("f", "0123456789");
  T(truncate("f", 20));
  sz("f");
  char buf[32];
  int fd = open("f", O_RDWR);
  T(pread(fd, buf, 20, 0));
  printf("tail zeros: %d %d\n", buf[10], buf[19]);
  T(ftruncate(fd, 4));
  sz("f");
  T(ftruncate(fd, 8));
  T(pread(fd, buf, 8, 0));
  printf("%.4s then %d %d\n", buf, buf[4], buf[7]);
  T(lseek(fd, 0, SEEK_END));
  T(ftruncate(fd, 0));
  sz("f");
  T(lseek(fd, 0, SEEK_CUR));
  T(write(fd, "x", 1));
  sz("f");
  symlink("f", "l");
  T(truncate("l", 3));
  sz("f");
  put("g", "abcdef");
  int t = open("g", O_WRONLY | O_TRUNC);
  sz("g");
  close(t);
  put("g", "abcdef");
  chmod("g", 0444);
  T(open("g", O_RDONLY | O_TRUNC));
  sz("g");
  chmod("g", 0644);
  int ro = open("g", O_RDONLY);
  T(ftruncate(ro, 0));
  int ap = open("g", O_WRONLY | O_APPEND);
  T(ftruncate(ap, 2));
  sz("g");
  T(truncate("g", -1));
  T(ftruncate(fd, -1));
  mkdir("d", 0755);
  T(truncate("d", 0));
  T(truncate("missing", 0));
  T(truncate("g/x", 0));
  T(truncate("", 0));
  T(ftruncate(99, 0));
  chmod("g", 0444);
  T(truncate("g", 0));
  scratch_end();
  return 0;
}
