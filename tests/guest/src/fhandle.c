/* name_to_handle_at and open_by_handle_at as a user (uid 1000): tmpfs handles (their size, type
   and stability; the bytes themselves hold a random generation), EOVERFLOW with the size needed,
   AT_EMPTY_PATH, AT_SYMLINK_FOLLOW, the mount id statx reports, file systems without export
   operations (proc, pipes), and open_by_handle_at's checks before its CAP_DAC_READ_SEARCH one. */
#include "pm.h"
#include <sys/stat.h>
#include <sys/syscall.h>

#define HSZ 128
struct fh { unsigned int bytes; int type; unsigned char h[HSZ + 8]; };

static long n2h(int dirfd, const char *path, struct fh *f, int *mnt, int flags) {
  return syscall(SYS_name_to_handle_at, dirfd, path, f, mnt, flags);
}
static long obh(int mfd, struct fh *f, int flags) { return syscall(SYS_open_by_handle_at, mfd, f, flags); }

static struct fh get(const char *label, int dirfd, const char *path, int flags, int *mnt) {
  struct fh f;
  memset(&f, 0, sizeof f);
  f.bytes = HSZ;
  errno = 0;
  long r = n2h(dirfd, path, &f, mnt, flags);
  if (r < 0) printf("%s: %s\n", label, strerrorname_np(errno));
  else printf("%s: %ld bytes %u type %d\n", label, r, f.bytes, f.type);
  return f;
}
static int same(struct fh a, struct fh b) { return a.bytes == b.bytes && a.type == b.type && !memcmp(a.h, b.h, a.bytes); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  const char *dir = "/dev/shm/fhandle.d";
  char file[64], other[64], link[64];
  snprintf(file, sizeof file, "%s/f", dir);
  snprintf(other, sizeof other, "%s/g", dir);
  snprintf(link, sizeof link, "%s/l", dir);
  unlink(file); unlink(other); unlink(link); rmdir(dir);
  if (mkdir(dir, 0755)) { printf("mkdir failed\n"); return 1; }
  int fd = open(file, O_CREAT | O_RDWR, 0644);
  close(open(other, O_CREAT | O_RDWR, 0644));
  if (symlink("f", link)) return 1;

  int mnt = -1;
  struct fh a = get("file", AT_FDCWD, file, 0, &mnt);
  struct statx sx;
  if (statx(AT_FDCWD, file, 0, STATX_MNT_ID, &sx)) return 1;
  printf("mount id is statx's: %d\n", (unsigned long long)mnt == sx.stx_mnt_id);
  struct fh a2 = get("file again", AT_FDCWD, file, 0, &mnt);
  printf("same handle twice: %d\n", same(a, a2));
  struct fh g = get("other file", AT_FDCWD, other, 0, &mnt);
  printf("other file's handle differs: %d\n", !same(a, g));
  struct fh e = get("empty path, fd", fd, "", AT_EMPTY_PATH, &mnt);
  printf("by fd is by name: %d\n", same(a, e));
  get("empty path without AT_EMPTY_PATH", fd, "", 0, &mnt);
  struct fh l = get("symlink", AT_FDCWD, link, 0, &mnt);
  printf("symlink's own handle differs: %d\n", !same(a, l));
  struct fh lf = get("symlink followed", AT_FDCWD, link, AT_SYMLINK_FOLLOW, &mnt);
  printf("followed is the file's: %d\n", same(a, lf));
  get("directory", AT_FDCWD, dir, 0, &mnt);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  struct fh rel = get("relative to a dirfd", dfd, "f", 0, &mnt);
  printf("relative is the same: %d\n", same(a, rel));

  struct fh s;
  memset(&s, 0x55, sizeof s);
  s.bytes = 0;
  errno = 0;
  long r = n2h(AT_FDCWD, file, &s, &mnt, 0);
  printf("handle_bytes 0: %ld %s, needed %u\n", r, strerrorname_np(errno), s.bytes);
  s.bytes = 11;
  errno = 0;
  r = n2h(AT_FDCWD, file, &s, &mnt, 0);
  printf("handle_bytes 11: %ld %s, needed %u\n", r, strerrorname_np(errno), s.bytes);
  s.bytes = 129;
  ERR("handle_bytes 129", n2h(AT_FDCWD, file, &s, &mnt, 0));
  s.bytes = HSZ;
  ERR("bad flag", n2h(AT_FDCWD, file, &s, &mnt, 0x4));
  ERR("missing file", n2h(AT_FDCWD, "/dev/shm/fhandle.d/none", &s, &mnt, 0));
  ERR("bad handle pointer", n2h(AT_FDCWD, file, (void *)8, &mnt, 0));
  ERR("proc file", n2h(AT_FDCWD, "/proc/self/status", &s, &mnt, 0));
  ERR("proc directory", n2h(AT_FDCWD, "/proc/self", &s, &mnt, 0));
  int p[2];
  if (pipe(p)) return 1;
  ERR("pipe", n2h(p[0], "", &s, &mnt, AT_EMPTY_PATH));
  ERR("bad dirfd", n2h(99, "x", &s, &mnt, 0));

  ERR("open_by_handle_at as a user", obh(AT_FDCWD, &a, O_RDONLY));
  ERR("open_by_handle_at on the mount's fd", obh(dfd, &a, O_RDONLY));
  struct fh z = a;
  z.bytes = 0;
  ERR("open_by_handle_at handle_bytes 0", obh(AT_FDCWD, &z, O_RDONLY));
  z.bytes = 129;
  ERR("open_by_handle_at handle_bytes 129", obh(AT_FDCWD, &z, O_RDONLY));
  z = a;
  z.type = -1;
  ERR("open_by_handle_at negative type", obh(AT_FDCWD, &z, O_RDONLY));
  ERR("open_by_handle_at bad mount fd", obh(99, &a, O_RDONLY));
  ERR("open_by_handle_at bad pointer", obh(AT_FDCWD, (void *)8, O_RDONLY));

  unlink(file); unlink(other); unlink(link); rmdir(dir);
  return 0;
}
