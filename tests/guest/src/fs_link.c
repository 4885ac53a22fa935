/* Hard links: nlink, same inode, unlinked-but-open files, link errors (EEXIST EPERM EXDEV ENOENT). */
#include "fsutil.h"

int main(void) {
  scratch_begin();
  struct stat a, b;
  put("orig", "0123456789");
  T(link("orig", "copy"));
  T(link("orig", "copy"));
  T(link("missing", "x"));
  T(stat("orig", &a));
  T(stat("copy", &b));
  printf("nlink=%ld same_ino=%d\n", (long)a.st_nlink, a.st_ino == b.st_ino);
  mkdir("d", 0755);
  T(link("d", "d2"));
  T(link("orig", "d/orig"));
  T(link("orig", "nodir/x"));
  T(link("orig", "orig2/"));
  T(stat("d/orig", &b));
  printf("nlink=%ld\n", (long)b.st_nlink);
  char shm[64];
  snprintf(shm, sizeof shm, "/dev/shm/teeosfs-%d", getpid());
  T(link("orig", shm));
  T(symlink("orig", "sl"));
  T(link("sl", "hl"));
  T(lstat("hl", &b));
  printf("link to symlink is %s\n", ftype(b.st_mode));
  T(linkat(AT_FDCWD, "sl", AT_FDCWD, "hl2", AT_SYMLINK_FOLLOW));
  T(lstat("hl2", &b));
  printf("linkat FOLLOW gives %s\n", ftype(b.st_mode));
  T(linkat(AT_FDCWD, "sl", AT_FDCWD, "hl3", 0x8000));
  /* unlink while open: data stays readable */
  int fd = open("orig", O_RDWR);
  T(unlink("orig"));
  T(unlink("copy"));
  T(unlink("d/orig"));
  T(unlink("hl2"));
  T(fstat(fd, &a));
  printf("nlink after unlinks=%ld size=%ld\n", (long)a.st_nlink, (long)a.st_size);
  char buf[16] = {0};
  T(pread(fd, buf, 10, 0));
  printf("still: %s\n", buf);
  T(write(fd, "more", 4));
  T(fstat(fd, &a));
  printf("size=%ld\n", (long)a.st_size);
  close(fd);
  T(stat("orig", &a));
  scratch_end();
  return 0;
}
