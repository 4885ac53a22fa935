/* O_TMPFILE: an unnamed file in a directory (nlink 0, not listed), written and linked into
 * the tree with linkat through /proc/self/fd (AT_SYMLINK_FOLLOW); O_EXCL forbids that link;
 * EINVAL without write access, EISDIR/ENOTDIR/ENOENT for the directory argument, and mode. */
#include "fsutil.h"
#include <dirent.h>

static int count_entries(const char *d) {
  DIR *dp = opendir(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dp))) if (e->d_name[0] != '.') n++;
  closedir(dp);
  return n;
}

int main(void) {
  scratch_begin();
  mkdir("d", 0755);
  int t = open("d", O_TMPFILE | O_RDWR, 0640);
  T(t >= 0);
  struct stat st;
  fstat(t, &st);
  printf("type %s nlink %ld mode %o\n", ftype(st.st_mode), (long)st.st_nlink, st.st_mode & 0777);
  printf("entries %d\n", count_entries("d"));
  T(write(t, "tmp data", 8));
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", t);
  T(linkat(AT_FDCWD, p, AT_FDCWD, "d/named", AT_SYMLINK_FOLLOW));
  fstat(t, &st);
  printf("after link nlink %ld entries %d\n", (long)st.st_nlink, count_entries("d"));
  char buf[16] = {0};
  int f = open("d/named", O_RDONLY);
  T(read(f, buf, sizeof buf));
  printf("%s\n", buf);
  T(linkat(AT_FDCWD, p, AT_FDCWD, "d/named", AT_SYMLINK_FOLLOW));
  int x = open("d", O_TMPFILE | O_RDWR | O_EXCL, 0600);
  T(x >= 0);
  snprintf(p, sizeof p, "/proc/self/fd/%d", x);
  T(linkat(AT_FDCWD, p, AT_FDCWD, "d/excl", AT_SYMLINK_FOLLOW));
  T(open("d", O_TMPFILE | O_RDONLY, 0600));
  T(open("d/named", O_TMPFILE | O_RDWR, 0600));
  T(open("nope", O_TMPFILE | O_RDWR, 0600));
  T(open("d", O_TMPFILE | O_WRONLY | O_CREAT, 0600) >= 0);
  chmod("d", 0555);
  T(open("d", O_TMPFILE | O_RDWR, 0600));
  chmod("d", 0755);
  printf("entries %d\n", count_entries("d"));
  scratch_end();
  return 0;
}
