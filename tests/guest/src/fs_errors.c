/* The errno matrix of the issue, one call per line: ENOENT, EEXIST, ENOTDIR, EISDIR,
 * ENOTEMPTY, EBADF, EACCES, ELOOP, ENAMETOOLONG, EXDEV, EPIPE, EAGAIN, EFAULT, each from
 * several calls, plus EINVAL/ESPIPE/EMFILE neighbours. */
#include "fsutil.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <dirent.h>

static void *volatile bad1 = (void *)1, *volatile bad8 = (void *)8;

int main(void) {
  scratch_begin();
  signal(SIGPIPE, SIG_IGN);
  struct stat st;
  char buf[64];
  mkdir("d", 0755);
  put("d/f", "x");
  put("file", "data");
  symlink("loop2", "loop1");
  symlink("loop1", "loop2");
  /* ENOENT */
  T(open("missing", O_RDONLY));
  T(open("missing/x", O_RDONLY | O_CREAT, 0644));
  T(stat("", &st));
  T(unlink("missing"));
  T(rmdir("missing"));
  T(rename("missing", "x"));
  T(link("missing", "x"));
  T(chdir("missing"));
  T(readlink("missing", buf, sizeof buf));
  T(symlink("t", "missing/x"));
  T(mkdir("missing/x", 0755));
  /* EEXIST */
  T(open("file", O_CREAT | O_EXCL | O_WRONLY, 0644));
  T(mkdir("d", 0755));
  T(mkdir("file", 0755));
  T(link("file", "d/f"));
  T(symlink("x", "file"));
  T(mknod("file", S_IFIFO | 0644, 0));
  T(open("loop1", O_CREAT | O_EXCL, 0644));
  T(rmdir("."));
  /* ENOTDIR */
  T(open("file/x", O_RDONLY));
  T(stat("file/", &st));
  T(mkdir("file/x", 0755));
  T(chdir("file"));
  T(open("file", O_RDONLY | O_DIRECTORY));
  T(rmdir("file"));
  T(rename("d", "file"));
  int fd = open("file", O_RDONLY);
  T(openat(fd, "x", O_RDONLY));
  T(mkdirat(fd, "x", 0755));
  close(fd);
  /* EISDIR */
  T(open("d", O_WRONLY));
  T(open("d", O_RDWR));
  T(open("d", O_CREAT | O_RDONLY, 0644));
  T(unlink("d"));
  T(rename("file", "d"));
  fd = open("d", O_RDONLY);
  T(read(fd, buf, 1));
  T(truncate("d", 0));
  close(fd);
  /* ENOTEMPTY */
  T(rmdir("d"));
  mkdir("e", 0755);
  T(rename("e", "d"));
  T(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
  /* EBADF */
  T(read(99, buf, 1));
  T(write(-1, buf, 1));
  T(close(99));
  T(fstat(99, &st));
  T(dup(99));
  T(dup2(99, 5));
  T(lseek(99, 0, SEEK_SET));
  T(fcntl(99, F_GETFL));
  T(openat(99, "x", O_RDONLY));
  T(flock(99, LOCK_SH));
  fd = open("file", O_RDONLY);
  T(write(fd, "x", 1));
  T(ftruncate(fd, 0));
  close(fd);
  fd = open("file", O_WRONLY);
  T(read(fd, buf, 1));
  close(fd);
  fd = open("file", O_PATH);
  T(read(fd, buf, 1));
  T(fchmod(fd, 0644));
  close(fd);
  /* EACCES */
  mkdir("locked", 0755);
  put("locked/in", "x");
  chmod("locked", 0);
  T(open("locked/in", O_RDONLY));
  T(stat("locked/in", &st));
  T(chdir("locked"));
  chmod("locked", 0500);
  T(open("locked/new", O_CREAT | O_WRONLY, 0644));
  T(unlink("locked/in"));
  chmod("locked", 0755);
  put("noread", "secret");
  chmod("noread", 0200);
  T(open("noread", O_RDONLY));
  chmod("noread", 0400);
  T(open("noread", O_WRONLY));
  T(access("noread", W_OK));
  T(execve("./noread", (char *[]){ "x", NULL }, (char *[]){ NULL }));
  T(open("/etc/passwd", O_WRONLY));
  T(mkdir("/proc/x", 0755));
  /* ELOOP */
  T(open("loop1", O_RDONLY));
  T(stat("loop1", &st));
  T(chdir("loop1"));
  symlink("file", "lnk");
  T(open("lnk", O_RDONLY | O_NOFOLLOW));
  T(open("loop1/x", O_RDONLY));
  /* ENAMETOOLONG */
  char longname[300];
  memset(longname, 'n', 299);
  longname[299] = 0;
  T(open(longname, O_RDONLY | O_CREAT, 0644));
  T(mkdir(longname, 0755));
  T(stat(longname, &st));
  static char longpath[5000];
  memset(longpath, 'a', 4999);
  for (int i = 100; i < 4999; i += 100) longpath[i] = '/';
  T(stat(longpath, &st));
  T(chdir(longpath));
  /* EXDEV */
  T(rename("file", "/dev/shm/teeos-xdev"));
  T(link("file", "/dev/shm/teeos-xdev"));
  T(renameat2(AT_FDCWD, "file", AT_FDCWD, "/proc/self/x", 0));
  /* EPIPE and EAGAIN */
  int p[2];
  pipe(p);
  close(p[0]);
  T(write(p[1], "x", 1));
  close(p[1]);
  pipe2(p, O_NONBLOCK);
  T(read(p[0], buf, 1));
  static char big[70000];
  T(write(p[1], big, sizeof big));
  T(write(p[1], big, 1));
  fd = open("file", O_RDONLY);
  flock(fd, LOCK_EX);
  int fd2 = open("file", O_RDONLY);
  T(flock(fd2, LOCK_EX | LOCK_NB));
  /* EFAULT */
  T(open(bad1, O_RDONLY));
  T(read(fd, bad1, 4));
  T(write(p[1], bad8, 4));
  T(stat("file", bad8));
  T(fstat(fd, bad8));
  T(getcwd(bad8, 100) == NULL ? -1 : 0);
  T(pipe(bad8));
  T(readv(fd, bad8, 1));
  T(rename(bad8, "x"));
  /* neighbours */
  T(lseek(p[0], 0, SEEK_SET));
  T(pread(p[0], buf, 1, 0));
  T(lseek(fd, -1, SEEK_SET));
  T(lseek(fd, 0, 7));
  T(open("file", O_RDONLY | O_TRUNC | O_DIRECTORY));
  struct rlimit rl = { 8, 1024 };
  setrlimit(RLIMIT_NOFILE, &rl);
  for (int i = 0; i < 10; i++) { int r = open("file", O_RDONLY); if (r < 0) { T(r); break; } }
  T(dup2(0, 8));
  T(fcntl(0, F_DUPFD, 8));
  for (int i = 3; i < 8; i++) close(i);
  rl.rlim_cur = 1024;
  setrlimit(RLIMIT_NOFILE, &rl);
  chmod("locked", 0755);
  scratch_end();
  return 0;
}
