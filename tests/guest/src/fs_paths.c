/* Path resolution: relative symlinks resolved from the link's directory, ".." after a
 * symlink going to the link target's parent, chains of symlinks to directories, absolute
 * symlinks, "//" and "/./" runs, a path ending in "/." or "/.." on a file (ENOTDIR), a
 * trailing slash on a symlink to a directory (followed) and to a file (ENOTDIR), openat with
 * an absolute path ignoring dirfd, realpath, and getcwd under a symlinked directory. */
#include "fsutil.h"
#include <limits.h>

static void rp(const char *p) {
  char out[PATH_MAX];
  if (!realpath(p, out)) { printf("realpath(%s) = %s\n", p, strerrorname_np(errno)); return; }
  printf("realpath(%s) = %s\n", p, strncmp(out, scratch, strlen(scratch)) == 0 ? out + strlen(scratch) : out);
}

int main(void) {
  scratch_begin();
  mkdir("a", 0755);
  mkdir("a/b", 0755);
  mkdir("c", 0755);
  put("a/b/f", "in b");
  put("c/g", "in c");
  symlink("b", "a/lb");
  symlink("../c", "a/b/up");
  symlink("a/lb", "chain");
  symlink("chain", "chain2");
  symlink("f", "a/b/lf");
  char abs[128];
  snprintf(abs, sizeof abs, "%s/c", scratch);
  symlink(abs, "absl");
  struct stat st;
  T(stat("a/lb/f", &st));
  T(stat("a/lb/up/g", &st));
  T(stat("a/lb/../b/f", &st));
  T(stat("chain2/f", &st));
  T(stat("absl/g", &st));
  T(stat(".//a///b/./f", &st));
  T(stat("a/b/f/.", &st));
  T(stat("a/b/f/..", &st));
  T(stat("chain2/", &st));
  T(stat("a/b/lf/", &st));
  T(lstat("chain2/", &st));
  printf("lstat with slash type %s\n", ftype(st.st_mode));
  int d = open("c", O_RDONLY);
  char p[160];
  snprintf(p, sizeof p, "%s/a/b/f", scratch);
  int f = openat(d, p, O_RDONLY);
  char buf[8] = {0};
  T(read(f, buf, 4));
  printf("%s\n", buf);
  rp("a/lb/up/g");
  rp("chain2/../c");
  rp("absl");
  rp("a/b/lf");
  rp("a/b/missing");
  rp("a/b/f/x");
  T(chdir("chain2"));
  char cwd[PATH_MAX];
  getcwd(cwd, sizeof cwd);
  printf("cwd %s\n", cwd + strlen(scratch));
  T(chdir(".."));
  getcwd(cwd, sizeof cwd);
  printf("cwd after .. %s\n", cwd + strlen(scratch));
  chdir(scratch);
  scratch_end();
  return 0;
}
