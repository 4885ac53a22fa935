/* statx: masks, types, modes, sizes, nlink, ids, blocks relations, AT_EMPTY_PATH on fds,
 * AT_SYMLINK_NOFOLLOW, AT_STATX_* sync flags, STATX__RESERVED (EINVAL), bad flags, EFAULT,
 * ENOENT/ENOTDIR/EBADF, and agreement with fstat/newfstatat. */
#include "fsutil.h"
#include <sys/sysmacros.h>

static void sx(const char *what, int dirfd, const char *path, int flags, unsigned mask) {
  struct statx x;
  memset(&x, 0xee, sizeof x);
  if (statx(dirfd, path, flags, mask, &x) < 0) { printf("%s: -1 %s\n", what, strerrorname_np(errno)); return; }
  printf("%s: type=%s mode=%o nlink=%u size=%llu uid=%s blocks*512>=size:%d blksize=%u basic=%d ino=%d btime?%d\n", what,
         ftype(x.stx_mode), x.stx_mode & 07777, x.stx_nlink, (unsigned long long)(S_ISREG(x.stx_mode) || S_ISLNK(x.stx_mode) ? x.stx_size : 0),
         x.stx_uid == getuid() ? "me" : x.stx_uid == 0 ? "root" : "other",
         (unsigned long long)x.stx_blocks * 512 >= (S_ISREG(x.stx_mode) ? x.stx_size : 0), x.stx_blksize,
         (x.stx_mask & mask & STATX_BASIC_STATS) == (mask & STATX_BASIC_STATS), (x.stx_mask & STATX_INO) != 0, 0);
  struct stat st;
  if ((mask & STATX_BASIC_STATS) == STATX_BASIC_STATS && fstatat(dirfd, path, &st, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) == 0)
    printf("  agrees with fstatat: %d\n", st.st_ino == x.stx_ino && st.st_mode == x.stx_mode && st.st_size == (off_t)x.stx_size &&
           st.st_nlink == x.stx_nlink && major(st.st_dev) == x.stx_dev_major && minor(st.st_dev) == x.stx_dev_minor &&
           st.st_mtim.tv_sec == x.stx_mtime.tv_sec && st.st_mtim.tv_nsec == (long)x.stx_mtime.tv_nsec);
  fflush(stdout);
}

int main(void) {
  scratch_begin();
  put("f", "hello statx");
  chmod("f", 0640);
  mkdir("d", 0750);
  symlink("f", "l");
  link("f", "h");
  mkfifo("p", 0600);
  sx("file", AT_FDCWD, "f", 0, STATX_BASIC_STATS);
  sx("dir", AT_FDCWD, "d", 0, STATX_ALL);
  sx("symlink followed", AT_FDCWD, "l", 0, STATX_BASIC_STATS);
  sx("symlink itself", AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
  sx("fifo", AT_FDCWD, "p", 0, STATX_TYPE | STATX_MODE);
  sx("mask 0", AT_FDCWD, "f", 0, 0);
  sx("sync", AT_FDCWD, "f", AT_STATX_FORCE_SYNC, STATX_SIZE);
  sx("dont sync", AT_FDCWD, "f", AT_STATX_DONT_SYNC, STATX_SIZE);
  sx("both sync flags", AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_SIZE);
  sx("reserved mask", AT_FDCWD, "f", 0, 0x80000000u);
  sx("bad flags", AT_FDCWD, "f", 0x40000000, STATX_BASIC_STATS);
  int fd = open("f", O_RDONLY);
  sx("AT_EMPTY_PATH fd", fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
  sx("empty path without flag", fd, "", 0, STATX_BASIC_STATS);
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  sx("relative to dirfd", dfd, "..", 0, STATX_TYPE);
  sx("file as dirfd", fd, "x", 0, STATX_TYPE);
  sx("bad dirfd", 99, "x", 0, STATX_TYPE);
  sx("missing", AT_FDCWD, "nope", 0, STATX_TYPE);
  sx("through a file", AT_FDCWD, "f/x", 0, STATX_TYPE);
  sx("/dev/null", AT_FDCWD, "/dev/null", 0, STATX_BASIC_STATS);
  struct statx x;
  T(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, (struct statx *)8));
  T(statx(AT_FDCWD, (char *)8, 0, STATX_BASIC_STATS, &x));
  T(statx(AT_FDCWD, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &x));
  int p[2];
  pipe(p);
  sx("pipe", p[0], "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE);
  scratch_end();
  return 0;
}
