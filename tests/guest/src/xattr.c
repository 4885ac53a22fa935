/* Extended attributes on tmpfs (fs/xattr.c, mm/shmem.c): the user.*, trusted.* and security.*
 * namespaces as an unprivileged user (uid 1000). Works in a scratch directory under /dev/shm,
 * which is tmpfs both in TEE OS and on the machine recording the expected output with
 * qemu-riscv64 (the host's /tmp there is ext4, whose xattrs differ: a per-inode space limit).
 * User xattrs on tmpfs exist since Linux 6.6; the expected output comes from a 6.18 host.
 * Not covered: trusted.* as root (TEE OS's guest is never root), system.posix_acl_* (TEE OS
 * has no POSIX ACLs: EOPNOTSUPP), security.* with an LSM (neither side has one). */
#include "fsutil.h"
#include <sys/xattr.h>
#include <sys/mman.h>
#include <time.h>

static char buf[70000];

/* The list as names separated by spaces (the kernel returns NUL-terminated names). */
static void show_list(const char *what, long n) {
  if (n < 0) { printf("%s = -1 %s\n", what, strerrorname_np(errno)); return; }
  printf("%s = %ld:", what, n);
  for (long i = 0; i < n; i += strlen(buf + i) + 1) printf(" [%s]", buf + i);
  printf("\n");
}
#define L(e) show_list(#e, (long)(e))

static void show_val(const char *what, long n) {
  if (n < 0) { printf("%s = -1 %s\n", what, strerrorname_np(errno)); return; }
  printf("%s = %ld \"%.*s\"\n", what, n, (int)(n > 40 ? 40 : n), buf);
}
#define V(e) show_val(#e, (long)(e))

int main(void) {
  become_user();
  umask(022);
  char dir[64];
  snprintf(dir, sizeof dir, "/dev/shm/teeos-xattr-%d", getpid());
  if (mkdir(dir, 0755) || chdir(dir)) { perror("scratch"); return 98; }
  close(open("f", O_CREAT | O_WRONLY, 0644));
  mkdir("d", 0755);
  symlink("f", "l");
  mkfifo("p", 0644);

  printf("-- basic set/get\n");
  T(getxattr("f", "user.a", NULL, 0));
  T(setxattr("f", "user.a", "hello", 5, 0));
  T(getxattr("f", "user.a", NULL, 0));
  T(getxattr("f", "user.a", buf, 0));
  T(getxattr("f", "user.a", buf, 4));
  V(getxattr("f", "user.a", buf, 5));
  V(getxattr("f", "user.a", buf, sizeof buf));
  T(setxattr("f", "user.a", "bye", 3, 0));
  V(getxattr("f", "user.a", buf, sizeof buf));

  printf("-- flags\n");
  T(setxattr("f", "user.a", "x", 1, XATTR_CREATE));
  T(setxattr("f", "user.new", "x", 1, XATTR_REPLACE));
  T(setxattr("f", "user.a", "x", 1, XATTR_CREATE | XATTR_REPLACE));
  T(setxattr("f", "user.new", "x", 1, XATTR_CREATE | XATTR_REPLACE));
  T(setxattr("f", "user.a", "x", 1, 4));
  T(setxattr("f", "user.b", "two", 3, XATTR_CREATE));
  T(setxattr("f", "user.b", "TWO", 3, XATTR_REPLACE));
  V(getxattr("f", "user.b", buf, sizeof buf));

  printf("-- empty values\n");
  T(setxattr("f", "user.empty", "", 0, 0));
  T(getxattr("f", "user.empty", buf, sizeof buf));
  T(setxattr("f", "user.null", NULL, 0, 0));
  T(getxattr("f", "user.null", NULL, 0));
  T(removexattr("f", "user.null"));

  printf("-- names\n");
  T(setxattr("f", "", "x", 1, 0));
  T(getxattr("f", "", buf, sizeof buf));
  T(setxattr("f", "user.", "x", 1, 0));
  T(getxattr("f", "user.", buf, sizeof buf));
  T(removexattr("f", "user."));
  T(setxattr("f", "user", "x", 1, 0));
  T(setxattr("f", "foo.bar", "x", 1, 0));
  T(getxattr("f", "foo.bar", buf, sizeof buf));
  T(setxattr("f", "system.foo", "x", 1, 0));
  T(getxattr("f", "system.foo", buf, sizeof buf));
  T(setxattr("f", "os2.x", "x", 1, 0));
  T(setxattr("f", "USER.x", "x", 1, 0));
  char name[300];
  memset(name, 'n', sizeof name);
  memcpy(name, "user.", 5);
  name[255] = 0;
  T(setxattr("f", name, "long", 4, 0));
  T(getxattr("f", name, NULL, 0));
  T(removexattr("f", name));
  name[255] = 'n';
  name[256] = 0;
  T(setxattr("f", name, "long", 4, 0));
  T(getxattr("f", name, NULL, 0));
  T(removexattr("f", name));
  T(setxattr("f", "user.sp ace/\x01\xff", "odd", 3, 0));
  V(getxattr("f", "user.sp ace/\x01\xff", buf, sizeof buf));
  T(removexattr("f", "user.sp ace/\x01\xff"));

  printf("-- sizes\n");
  static char big[65537];
  memset(big, 'v', sizeof big);
  T(setxattr("f", "user.big", big, 65536, 0));
  T(setxattr("f", "user.big2", big, 65537, 0));
  T(getxattr("f", "user.big", NULL, 0));
  T(getxattr("f", "user.big", buf, 65535));
  T(getxattr("f", "user.big", buf, sizeof buf));
  T(removexattr("f", "user.big"));

  printf("-- listxattr\n");
  T(listxattr("f", NULL, 0));
  T(listxattr("f", buf, 5));
  L(listxattr("f", buf, sizeof buf));
  T(setxattr("f", "user.0first", "1", 1, 0));
  T(setxattr("f", "user.Zed", "1", 1, 0));
  L(listxattr("f", buf, sizeof buf));
  L(listxattr("d", buf, sizeof buf));
  T(listxattr("nonexistent", buf, sizeof buf));
  T(listxattr("f/x", buf, sizeof buf));
  T(getxattr("nonexistent", "user.a", buf, sizeof buf));
  T(setxattr("nonexistent", "user.a", "x", 1, 0));

  printf("-- remove\n");
  T(removexattr("f", "user.0first"));
  T(removexattr("f", "user.0first"));
  T(removexattr("f", "user.Zed"));
  T(removexattr("f", "foo.bar"));
  L(listxattr("f", buf, sizeof buf));

  printf("-- trusted and security as a user\n");
  T(setxattr("f", "trusted.t", "x", 1, 0));
  T(getxattr("f", "trusted.t", buf, sizeof buf));
  T(removexattr("f", "trusted.t"));
  T(setxattr("f", "security.s", "x", 1, 0));
  T(getxattr("f", "security.s", buf, sizeof buf));
  T(removexattr("f", "security.s"));
  T(setxattr("f", "trusted.", "x", 1, 0));
  T(getxattr("f", "security.", buf, sizeof buf));

  printf("-- directories, symlinks, FIFOs, devices\n");
  T(setxattr("d", "user.dir", "D", 1, 0));
  V(getxattr("d", "user.dir", buf, sizeof buf));
  L(listxattr("d", buf, sizeof buf));
  T(lsetxattr("l", "user.a", "x", 1, 0));
  T(lgetxattr("l", "user.a", buf, sizeof buf));
  T(lremovexattr("l", "user.a"));
  L(llistxattr("l", buf, sizeof buf));
  V(getxattr("l", "user.a", buf, sizeof buf));
  L(listxattr("l", buf, sizeof buf));
  T(lsetxattr("l", "trusted.a", "x", 1, 0));
  T(lgetxattr("l", "security.a", buf, sizeof buf));
  T(setxattr("p", "user.a", "x", 1, 0));
  T(getxattr("p", "user.a", buf, sizeof buf));
  T(removexattr("p", "user.a"));
  L(listxattr("p", buf, sizeof buf));
  T(setxattr("/dev/null", "user.a", "x", 1, 0));
  T(getxattr("/dev/null", "user.a", buf, sizeof buf));
  T(getxattr("/dev/null", "trusted.a", buf, sizeof buf));
  T(setxattr("/dev/null", "security.a", "x", 1, 0));
  T(getxattr("/dev/null", "security.a", buf, sizeof buf));

  printf("-- sticky directory not owned\n");
  T(setxattr("/dev/shm", "user.a", "x", 1, 0));
  T(getxattr("/dev/shm", "user.a", buf, sizeof buf));
  T(removexattr("/dev/shm", "user.a"));

  printf("-- permissions\n");
  T(chmod("f", 0444));
  T(setxattr("f", "user.c", "x", 1, 0));
  V(getxattr("f", "user.a", buf, sizeof buf));
  T(removexattr("f", "user.a"));
  T(chmod("f", 0200));
  T(getxattr("f", "user.a", buf, sizeof buf));
  T(getxattr("f", "user.nope", buf, sizeof buf));
  L(listxattr("f", buf, sizeof buf));
  T(setxattr("f", "user.c", "C", 1, 0));
  T(chmod("f", 0644));
  T(chmod("d", 0));
  T(setxattr("d", "user.x", "x", 1, 0));
  T(getxattr("d", "user.dir", buf, sizeof buf));
  L(listxattr("d", buf, sizeof buf));
  T(chmod("d", 0755));
  T(mkdir("d/sub", 0755));
  T(chmod("d", 0644));
  T(getxattr("d/sub", "user.x", buf, sizeof buf));
  T(listxattr("d/sub", buf, sizeof buf));
  T(chmod("d", 0755));

  printf("-- descriptors\n");
  int fd = open("f", O_RDONLY);
  T(fsetxattr(fd, "user.fd", "via fd", 6, 0));
  V(fgetxattr(fd, "user.fd", buf, sizeof buf));
  L(flistxattr(fd, buf, sizeof buf));
  T(fremovexattr(fd, "user.fd"));
  T(fremovexattr(fd, "user.fd"));
  T(fchmod(fd, 0444));
  T(fsetxattr(fd, "user.fd", "x", 1, 0));
  T(fchmod(fd, 0644));
  int pfd = open("f", O_PATH);
  T(fsetxattr(pfd, "user.fd", "x", 1, 0));
  T(fgetxattr(pfd, "user.c", buf, sizeof buf));
  T(flistxattr(pfd, buf, sizeof buf));
  T(fremovexattr(pfd, "user.c"));
  close(pfd);
  T(fgetxattr(-1, "user.c", buf, sizeof buf));
  T(fsetxattr(999, "user.c", "x", 1, 0));
  T(flistxattr(999, buf, sizeof buf));
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  V(fgetxattr(dfd, "user.dir", buf, sizeof buf));
  close(dfd);

  printf("-- hard links, rename, unlinked files\n");
  T(link("f", "f2"));
  V(getxattr("f2", "user.c", buf, sizeof buf));
  T(rename("f2", "f3"));
  L(listxattr("f3", buf, sizeof buf));
  T(unlink("f3"));
  T(unlink("f"));
  T(fsetxattr(fd, "user.gone", "still", 5, 0));
  L(flistxattr(fd, buf, sizeof buf));
  close(fd);
  T(rename("d", "d2"));
  V(getxattr("d2", "user.dir", buf, sizeof buf));

  printf("-- ctime\n");
  close(open("g", O_CREAT | O_WRONLY, 0644));
  struct stat s1, s2;
  stat("g", &s1);
  struct timespec ts = {0, 20000000};
  nanosleep(&ts, NULL);
  T(setxattr("g", "user.t", "x", 1, 0));
  stat("g", &s2);
  printf("ctime changed by setxattr: %d\n", s2.st_ctim.tv_sec != s1.st_ctim.tv_sec || s2.st_ctim.tv_nsec != s1.st_ctim.tv_nsec);
  printf("mtime changed by setxattr: %d\n", s2.st_mtim.tv_sec != s1.st_mtim.tv_sec || s2.st_mtim.tv_nsec != s1.st_mtim.tv_nsec);
  stat("g", &s1);
  nanosleep(&ts, NULL);
  T(setxattr("g", "user.t", "x", 1, XATTR_CREATE));
  stat("g", &s2);
  printf("ctime changed by a failed setxattr: %d\n", s2.st_ctim.tv_sec != s1.st_ctim.tv_sec || s2.st_ctim.tv_nsec != s1.st_ctim.tv_nsec);

  printf("-- memfd, pipes, sockets\n");
  int mfd = memfd_create("x", 0);
  T(fsetxattr(mfd, "user.m", "mem", 3, 0));
  V(fgetxattr(mfd, "user.m", buf, sizeof buf));
  L(flistxattr(mfd, buf, sizeof buf));
  close(mfd);
  int pp[2];
  pipe(pp);
  T(fsetxattr(pp[0], "user.a", "x", 1, 0));
  T(fgetxattr(pp[0], "user.a", buf, sizeof buf));
  T(fsetxattr(pp[0], "trusted.a", "x", 1, 0));
  T(fgetxattr(pp[0], "security.a", buf, sizeof buf));
  close(pp[0]);
  close(pp[1]);

  printf("-- procfs\n");
  T(getxattr("/proc/self/status", "user.a", buf, sizeof buf));
  T(setxattr("/proc/self/status", "user.a", "x", 1, 0));
  T(getxattr("/proc/self/status", "security.a", buf, sizeof buf));
  T(listxattr("/proc/self/status", buf, sizeof buf));
  T(getxattr("/proc/self", "user.a", buf, sizeof buf));
  T(listxattr("/proc", buf, sizeof buf));

  printf("-- bad pointers\n");
  T(setxattr("g", (char *)1, "x", 1, 0));
  T(getxattr("g", (char *)1, buf, sizeof buf));
  T(removexattr("g", (char *)1));
  T(setxattr((char *)1, "user.a", "x", 1, 0));
  T(getxattr((char *)1, "user.a", buf, sizeof buf));
  T(listxattr((char *)1, buf, sizeof buf));
  T(setxattr("g", "user.a", (char *)1, 5, 0));
  T(getxattr("g", "user.a", NULL, 0));
  T(getxattr("g", "user.t", (char *)1, 10));
  T(getxattr("g", "user.t", (char *)1, 0));
  T(listxattr("g", (char *)1, 100));
  T(listxattr("g", (char *)1, 0));
  T(setxattr("g", "user.b", (char *)1, 0, 0));
  T(getxattr("g", "user.b", NULL, 0));

  if (chdir("/")) perror("chdir");
  unlink(strcat(strcpy(name, dir), "/g"));
  unlink(strcat(strcpy(name, dir), "/l"));
  unlink(strcat(strcpy(name, dir), "/p"));
  rmdir(strcat(strcpy(name, dir), "/d2/sub"));
  rmdir(strcat(strcpy(name, dir), "/d2"));
  T(rmdir(dir));
  return 0;
}
