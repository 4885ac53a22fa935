/* chmod/fchmod/fchmodat: mode bits kept (incl. setuid/setgid/sticky set by the owner), the
 * file type untouched, a symlink's target changed through it, fchmodat AT_SYMLINK_NOFOLLOW
 * (EOPNOTSUPP on a link), chmod of another user's file (EPERM), through O_PATH (EBADF),
 * setgid dropped when the group is not ours, umask not applying to chmod, and ctime moving. */
#include "fsutil.h"

static void mode_of(const char *p) {
  struct stat st;
  if (lstat(p, &st) < 0) { printf("%s: -1 %s\n", p, strerrorname_np(errno)); return; }
  printf("%s: %s %o\n", p, ftype(st.st_mode), st.st_mode & 07777);
}

int main(void) {
  scratch_begin();
  umask(077);
  put("f", "x");
  T(chmod("f", 04755)); mode_of("f");
  T(chmod("f", 02755)); mode_of("f");
  T(chmod("f", 01777)); mode_of("f");
  T(chmod("f", 0)); mode_of("f");
  T(chmod("f", 0170644)); mode_of("f");
  mkdir("d", 0700);
  T(chmod("d", 03777)); mode_of("d");
  symlink("f", "l");
  T(chmod("l", 0640)); mode_of("f"); mode_of("l");
  T(fchmodat(AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW));
  T(fchmodat(AT_FDCWD, "f", 0600, AT_SYMLINK_NOFOLLOW));
  T(fchmodat(AT_FDCWD, "f", 0600, 0x8000));
  int fd = open("f", O_RDONLY);
  T(fchmod(fd, 0444)); mode_of("f");
  int op = open("f", O_PATH);
  T(fchmod(op, 0644));
  T(fchmodat(op, "", 0644, AT_EMPTY_PATH));
  T(fchmod(99, 0644));
  T(chmod("/etc/passwd", 0644));
  T(chmod("/", 0755));
  T(chmod("missing", 0644));
  T(chmod("f/x", 0644));
  struct stat a, b;
  stat("f", &a);
  usleep(20000);
  chmod("f", 0644);
  stat("f", &b);
  printf("ctime moved %d\n", b.st_ctim.tv_sec > a.st_ctim.tv_sec || b.st_ctim.tv_nsec != a.st_ctim.tv_nsec);
  scratch_end();
  return 0;
}
