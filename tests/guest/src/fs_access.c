/* access/faccessat/faccessat2 for the unprivileged user: each mode bit against owner, group
 * and other permissions, X_OK on a directory and a non-executable file, F_OK, AT_EACCESS and
 * AT_SYMLINK_NOFOLLOW (faccessat2), AT_EMPTY_PATH, invalid modes and flags (EINVAL), and
 * ENOENT/ENOTDIR/ELOOP/EROFS-free paths. */
#include "fsutil.h"
#include <sys/syscall.h>

static void acc(const char *p, int mode) {
  int r = access(p, mode);
  printf("access(%s,%s%s%s%s) = %s\n", p, mode == F_OK ? "F" : "", mode & R_OK ? "R" : "", mode & W_OK ? "W" : "", mode & X_OK ? "X" : "", r ? strerrorname_np(errno) : "0");
}

int main(void) {
  scratch_begin();
  const int modes[] = { 0, 0400, 0200, 0100, 0600, 0700, 0040, 0004, 0777 };
  char name[16];
  for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    snprintf(name, sizeof name, "m%o", modes[i]);
    put(name, "x");
    chmod(name, modes[i]);
    acc(name, R_OK); acc(name, W_OK); acc(name, X_OK); acc(name, F_OK);
  }
  mkdir("d", 0755);
  acc("d", X_OK);
  acc("d", R_OK | W_OK | X_OK);
  acc("/etc/passwd", R_OK);
  acc("/etc/passwd", W_OK);
  acc("/", W_OK);
  acc("missing", F_OK);
  acc("m600/x", F_OK);
  symlink("missing", "dangling");
  acc("dangling", F_OK);
  T(faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
  T(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
  T(syscall(SYS_faccessat2, AT_FDCWD, "m700", X_OK, AT_EACCESS));
  int fd = open("m600", O_RDONLY);
  T(syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
  T(syscall(SYS_faccessat2, fd, "", R_OK, 0));
  T(syscall(SYS_faccessat2, AT_FDCWD, "m600", R_OK, 0x1));
  T(syscall(SYS_faccessat, AT_FDCWD, "m600", 8));
  T(syscall(SYS_faccessat, 99, "m600", R_OK));
  T(syscall(SYS_faccessat, fd, "x", R_OK));
  scratch_end();
  return 0;
}
