/* *at calls: dirfd, AT_FDCWD, EBADF, ENOTDIR, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, O_PATH, openat2 RESOLVE_*. */
#include "fsutil.h"
#include <sys/syscall.h>


int main(void) {
  scratch_begin();
  mkdir("d", 0755);
  mkdir("d/sub", 0755);
  put("d/f", "hello");
  symlink("f", "d/lf");
  symlink("/etc", "d/abs");
  symlink("../f", "d/sub/up");
  struct stat st;
  int d = open("d", O_RDONLY | O_DIRECTORY);
  int f = openat(d, "f", O_RDONLY);
  T(f >= 0);
  T(openat(d, "missing", O_RDONLY));
  T(openat(999, "f", O_RDONLY));
  T(openat(999, "/etc/passwd", O_RDONLY) >= 0);
  T(openat(f, "x", O_RDONLY));
  T(fstatat(d, "f", &st, 0));
  printf("size=%ld\n", (long)st.st_size);
  T(fstatat(d, "lf", &st, AT_SYMLINK_NOFOLLOW));
  printf("%s\n", ftype(st.st_mode));
  T(fstatat(f, "", &st, AT_EMPTY_PATH));
  printf("empty path: %s size=%ld\n", ftype(st.st_mode), (long)st.st_size);
  T(fstatat(f, "", &st, 0));
  T(fstatat(d, "f", &st, 0x40000));
  T(mkdirat(d, "new", 0755));
  T(unlinkat(d, "new", 0));
  T(unlinkat(d, "new", AT_REMOVEDIR));
  T(unlinkat(d, "new", AT_REMOVEDIR));
  T(unlinkat(d, "f", 0x1));
  T(symlinkat("f", d, "lf2"));
  char buf[64];
  T(readlinkat(d, "lf2", buf, sizeof buf));
  T(renameat(d, "lf2", d, "lf3"));
  T(linkat(d, "f", d, "f2", 0));
  T(faccessat(d, "f2", R_OK, 0));
  T(faccessat(d, "lf", R_OK, AT_SYMLINK_NOFOLLOW));
  T(fchmodat(d, "f2", 0600, 0));
  T(fchownat(d, "f2", -1, -1, AT_SYMLINK_NOFOLLOW));
  /* O_PATH */
  int p = open("d/f", O_PATH);
  T(p >= 0);
  T(read(p, buf, 1));
  T(fstat(p, &st));
  printf("O_PATH fstat size=%ld\n", (long)st.st_size);
  T(fcntl(p, F_GETFL) & O_PATH ? 1 : 0);
  int pd = open("d", O_PATH | O_DIRECTORY);
  T(openat(pd, "f", O_RDONLY) >= 0);
  int pl = open("d/lf", O_PATH | O_NOFOLLOW);
  T(fstat(pl, &st));
  printf("O_PATH|O_NOFOLLOW on link: %s\n", ftype(st.st_mode));
  T(readlinkat(pl, "", buf, sizeof buf));
  scratch_end();
  return 0;
}
