/* rename edge cases: over a symlink (the link replaced, not its target), a symlink renamed
 * (target text unchanged), a directory onto an empty directory, a file onto itself through two
 * names (a no-op, both names kept), renaming into a subdirectory of itself (EINVAL), ".." and
 * "." as names (EBUSY/EINVAL), RENAME_NOREPLACE/RENAME_EXCHANGE between a file and a
 * directory, sticky /tmp semantics for our own files, and renameat with dirfds. */
#include "fsutil.h"
#include <stdio.h>
#include <linux/fs.h>
#include <sys/syscall.h>

static void ls(const char *p) {
  struct stat st;
  char t[64] = "";
  if (lstat(p, &st) < 0) { printf("%s: %s\n", p, strerrorname_np(errno)); return; }
  if (S_ISLNK(st.st_mode)) { ssize_t n = readlink(p, t, sizeof t - 1); t[n > 0 ? n : 0] = 0; }
  printf("%s: %s %s\n", p, ftype(st.st_mode), t);
}

int main(void) {
  scratch_begin();
  put("target", "T");
  put("f", "F");
  symlink("target", "link");
  T(rename("f", "link"));
  ls("link"); ls("target");
  symlink("target", "l2");
  T(rename("l2", "l3"));
  ls("l3");
  mkdir("a", 0755);
  mkdir("b", 0755);
  put("a/in", "x");
  T(rename("a", "b"));
  ls("b/in");
  link("target", "hard");
  T(rename("target", "hard"));
  ls("target"); ls("hard");
  mkdir("p", 0755);
  mkdir("p/q", 0755);
  T(rename("p", "p/q/r"));
  T(rename("p/..", "x"));
  T(rename("p/.", "x"));
  T(rename("p/q", "p/q/."));
  T(syscall(SYS_renameat2, AT_FDCWD, "target", AT_FDCWD, "p", RENAME_EXCHANGE));
  ls("target"); ls("p");
  T(syscall(SYS_renameat2, AT_FDCWD, "target", AT_FDCWD, "p", RENAME_NOREPLACE));
  T(syscall(SYS_renameat2, AT_FDCWD, "target", AT_FDCWD, "p", RENAME_NOREPLACE | RENAME_EXCHANGE));
  T(syscall(SYS_renameat2, AT_FDCWD, "target", AT_FDCWD, "nothere", RENAME_EXCHANGE));
  int d1 = open("b", O_RDONLY), d2 = open(".", O_RDONLY);
  T(renameat(d1, "in", d2, "moved"));
  ls("moved");
  T(renameat(d1, "in", d2, "moved"));
  T(renameat(99, "x", d2, "y"));
  T(rename("", "x"));
  T(rename("moved", ""));
  scratch_end();
  return 0;
}
