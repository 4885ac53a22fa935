/* Working directory: chdir, fchdir, getcwd (ERANGE, after rmdir ENOENT), "..", chroot EPERM. */
#include "fsutil.h"

static void pwd(void) {
  char buf[512];
  if (!getcwd(buf, sizeof buf)) { printf("getcwd: %s\n", strerrorname_np(errno)); return; }
  if (strncmp(buf, scratch, strlen(scratch)) == 0) printf("cwd: $S%s\n", buf + strlen(scratch));
  else printf("cwd: %s\n", buf);
}

int main(void) {
  scratch_begin();
  pwd();
  mkdir("a", 0755);
  mkdir("a/b", 0755);
  put("file", "x");
  T(chdir("a/b"));
  pwd();
  T(chdir(".."));
  pwd();
  T(chdir("./b/../b/."));
  pwd();
  T(chdir("../../file"));
  T(chdir("nope"));
  T(chdir(""));
  int fd = open(scratch, O_RDONLY | O_DIRECTORY);
  T(fchdir(fd));
  pwd();
  int ffd = open("file", O_RDONLY);
  T(fchdir(ffd));
  T(fchdir(12345));
  close(ffd);
  char small[4];
  T(getcwd(small, sizeof small) != NULL);
  T(syscall(17, small, 0));
  chdir("/");
  pwd();
  T(chdir(".."));
  pwd();
  T(chdir("/../../tmp/.."));
  pwd();
  fchdir(fd);
  close(fd);
  mkdir("gone", 0755);
  chdir("gone");
  T(rmdir("../gone"));
  pwd();
  T(open(".", O_RDONLY) >= 0);
  T(creat("new", 0600));
  T(chdir(".."));
  pwd();
  T(chroot("/tmp"));
  T(chroot("/nonexistent"));
  T(chroot("file"));
  scratch_end();
  return 0;
}
