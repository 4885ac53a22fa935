/* utimensat/futimens/utimes: explicit times, UTIME_NOW/UTIME_OMIT, ctime moving on every
 * change, AT_SYMLINK_NOFOLLOW on a symlink, NULL times, EINVAL (nsec range, flags),
 * EPERM/EACCES for files of others, EBADF, ENOENT, and atime/mtime after reads/writes. */
#include "fsutil.h"
#include <sys/time.h>

static void times_of(const char *what, const char *p, int fl) {
  struct stat st;
  if (fstatat(AT_FDCWD, p, &st, fl) < 0) { printf("%s: -1 %s\n", what, strerrorname_np(errno)); return; }
  printf("%s: atime=%ld.%09ld mtime=%ld.%09ld\n", what, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int main(void) {
  scratch_begin();
  put("f", "x");
  symlink("f", "l");
  struct timespec ts[2] = { { 1000000000, 123456789 }, { 1500000000, 987654321 } };
  T(utimensat(AT_FDCWD, "f", ts, 0));
  times_of("set", "f", 0);
  struct stat a, b;
  stat("f", &a);
  struct timespec om[2] = { { 5, UTIME_OMIT }, { 1600000000, 1 } };
  T(utimensat(AT_FDCWD, "f", om, 0));
  times_of("omit atime", "f", 0);
  om[0] = (struct timespec){ 1700000000, 2 };
  om[1].tv_nsec = UTIME_OMIT;
  T(utimensat(AT_FDCWD, "f", om, 0));
  times_of("omit mtime", "f", 0);
  stat("f", &b);
  printf("ctime moved: %d\n", b.st_ctim.tv_sec > a.st_ctim.tv_sec || (b.st_ctim.tv_sec == a.st_ctim.tv_sec && b.st_ctim.tv_nsec >= a.st_ctim.tv_nsec));
  struct timespec both_omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
  T(utimensat(AT_FDCWD, "f", both_omit, 0));
  times_of("both omitted", "f", 0);
  struct timespec now2[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
  T(utimensat(AT_FDCWD, "f", now2, 0));
  stat("f", &a);
  printf("now is recent: %d\n", a.st_mtim.tv_sec > 1700000000);
  T(utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
  times_of("link itself", "l", AT_SYMLINK_NOFOLLOW);
  struct stat lt, ft;
  lstat("l", &lt);
  stat("f", &ft);
  printf("target unchanged: %d\n", ft.st_mtim.tv_sec != lt.st_mtim.tv_sec);
  T(utimensat(AT_FDCWD, "f", NULL, 0));
  int fd = open("f", O_RDONLY);
  T(futimens(fd, ts));
  times_of("futimens", "f", 0);
  struct timeval tv[2] = { { 1200000000, 500000 }, { 1300000000, 250000 } };
  T(utimes("f", tv));
  times_of("utimes", "f", 0);
  /* errors */
  struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
  T(utimensat(AT_FDCWD, "f", bad, 0));
  bad[0].tv_nsec = -1;
  T(utimensat(AT_FDCWD, "f", bad, 0));
  T(utimensat(AT_FDCWD, "f", ts, 0x8000));
  T(utimensat(AT_FDCWD, "nope", ts, 0));
  T(utimensat(99, "f", ts, 0));
  T(futimens(99, ts));
  T(utimensat(AT_FDCWD, "f", (struct timespec *)8, 0));
  T(utimensat(AT_FDCWD, "/etc/passwd", ts, 0));
  T(utimensat(AT_FDCWD, "/etc/passwd", NULL, 0));
  T(utimensat(AT_FDCWD, "/etc/passwd", now2, 0));
  T(utimensat(fd, NULL, ts, 0));
  T(utimensat(AT_FDCWD, "", ts, 0));
  T(utimensat(fd, "", ts, AT_EMPTY_PATH));
  /* not the owner but writable: only NULL/UTIME_NOW allowed */
  scratch_end();
  return 0;
}
