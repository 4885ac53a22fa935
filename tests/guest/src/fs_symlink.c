/* Symlinks: readlink, lstat vs stat, dangling, O_NOFOLLOW, loops, the 40-link limit, trailing slashes. */
#include "fsutil.h"

int main(void) {
  scratch_begin();
  char buf[256];
  put("target", "contents\n");
  mkdir("dir", 0755);
  put("dir/inner", "inner\n");
  T(symlink("target", "l1"));
  T(symlink("target", "l1"));
  T(symlink("", "empty"));
  T(symlink("nowhere", "dangling"));
  T(symlink("dir", "ldir"));
  T(symlink("l1", "l2"));
  T(symlink("loopb", "loopa"));
  T(symlink("loopa", "loopb"));
  T(symlink("self", "self"));
  T(readlink("l1", buf, sizeof buf));
  T(readlink("l1", buf, 3));
  printf("truncated: %.3s\n", buf);
  T(readlink("target", buf, sizeof buf));
  T(readlink("missing", buf, sizeof buf));
  T(readlink("l1", buf, 0));
  struct stat st, lst;
  T(stat("l2", &st));
  T(lstat("l2", &lst));
  printf("stat: %s size=%ld; lstat: %s size=%ld\n", ftype(st.st_mode), (long)st.st_size, ftype(lst.st_mode), (long)lst.st_size);
  printf("lstat mode=%o\n", lst.st_mode & 07777);
  T(stat("dangling", &st));
  T(lstat("dangling", &st));
  T(open("dangling", O_RDONLY));
  int fd = open("dangling", O_WRONLY | O_CREAT, 0644);
  T(fd >= 0);
  close(fd);
  T(stat("nowhere", &st));
  T(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644));
  T(open("l1", O_RDONLY | O_NOFOLLOW));
  T(open("ldir", O_RDONLY | O_NOFOLLOW | O_DIRECTORY));
  T(open("loopa", O_RDONLY));
  T(stat("self", &st));
  T(stat("empty", &st));
  T(lstat("empty", &st));
  T(stat("ldir/inner", &st));
  T(stat("ldir/", &st));
  printf("ldir/ is %s\n", ftype(st.st_mode));
  T(lstat("ldir/", &st));
  printf("lstat ldir/ is %s\n", ftype(st.st_mode));
  T(lstat("l1/", &st));
  T(unlink("ldir/"));
  T(rmdir("ldir"));
  /* a chain: c0 -> target, c(i) -> c(i-1); following c39 takes 40 links, c40 takes 41 */
  char name[32], prev[32];
  T(symlink("target", "c0"));
  for (int i = 1; i <= 41; i++) {
    snprintf(name, sizeof name, "c%d", i);
    snprintf(prev, sizeof prev, "c%d", i - 1);
    symlink(prev, name);
  }
  T(stat("c39", &st));
  T(stat("c40", &st));
  T(stat("c41", &st));
  T(lstat("c41", &st));
  /* absolute and relative targets, .. through links */
  char abs[128];
  snprintf(abs, sizeof abs, "%s/dir", scratch);
  T(symlink(abs, "absdir"));
  T(stat("absdir/inner", &st));
  T(symlink("../target", "dir/up"));
  fd = open("dir/up", O_RDONLY);
  T(read(fd, buf, sizeof buf));
  close(fd);
  T(stat("ldir/../target", &st));
  T(unlink("l1"));
  T(stat("l2", &st));
  scratch_end();
  return 0;
}
