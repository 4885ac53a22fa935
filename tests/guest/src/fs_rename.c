/* rename/renameat2: replace, directories, ENOTEMPTY EISDIR ENOTDIR EINVAL EXDEV, NOREPLACE, EXCHANGE. */
#include "fsutil.h"
#include <stdio.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static void cat(const char *p) {
  char buf[64] = {0};
  int fd = open(p, O_RDONLY);
  if (fd < 0) { printf("%s: %s\n", p, strerrorname_np(errno)); return; }
  read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("%s: %s\n", p, buf);
}

int main(void) {
  scratch_begin();
  put("a", "A");
  put("b", "B");
  T(rename("a", "b"));
  cat("a");
  cat("b");
  T(rename("missing", "c"));
  T(rename("b", "b"));
  mkdir("d1", 0755);
  mkdir("d2", 0755);
  mkdir("full", 0755);
  put("full/x", "X");
  T(rename("d1", "d2"));
  T(rename("d2", "full"));
  T(rename("b", "full"));
  T(rename("full", "b"));
  T(rename("full", "full/sub"));
  T(rename("full", "full/x/y"));
  T(rename("b", "b/"));
  T(rename("d2", "d3/"));
  T(rename(".", "z"));
  T(rename("b", "."));
  T(rename("full/x", "full/.."));
  T(renameat2(AT_FDCWD, "b", AT_FDCWD, "full/x", RENAME_NOREPLACE));
  T(renameat2(AT_FDCWD, "b", AT_FDCWD, "full/x", RENAME_EXCHANGE));
  cat("b");
  cat("full/x");
  T(renameat2(AT_FDCWD, "b", AT_FDCWD, "nothere", RENAME_EXCHANGE));
  T(renameat2(AT_FDCWD, "b", AT_FDCWD, "full/x", RENAME_EXCHANGE | RENAME_NOREPLACE));
  T(renameat2(AT_FDCWD, "b", AT_FDCWD, "new", 64));
  T(renameat2(AT_FDCWD, "d3", AT_FDCWD, "full", RENAME_EXCHANGE));
  struct stat st;
  T(stat("full", &st));
  printf("full is %s\n", ftype(st.st_mode));
  T(stat("d3/x", &st));
  char shm[64];
  snprintf(shm, sizeof shm, "/dev/shm/teeosfs-r%d", getpid());
  T(rename("b", shm));
  /* hard links to one inode: rename is a no-op, both names stay */
  link("b", "b2");
  T(rename("b", "b2"));
  T(access("b", F_OK));
  T(access("b2", F_OK));
  /* a directory moves with its contents; getcwd follows */
  mkdir("m", 0755);
  mkdir("m/inner", 0755);
  chdir("m/inner");
  T(rename("../../m", "../../moved"));
  char cwd[256];
  getcwd(cwd, sizeof cwd);
  printf("cwd now ends with: %s\n", cwd + strlen(scratch));
  chdir(scratch);
  T(rename("moved", "d3/moved"));
  T(stat("d3/moved/inner", &st));
  scratch_end();
  return 0;
}
