/* Modes, umask and permission checks for an unprivileged user: EACCES, EPERM, access(2). */
#include "fsutil.h"
#include <sys/sysmacros.h>

int main(void) {
  scratch_begin();
  struct stat st;
  T(umask(077));
  close(creat("u1", 0666));
  T(stat("u1", &st));
  printf("umask 077: %o\n", st.st_mode & 0777);
  T(umask(0));
  mkdir("u2", 0777);
  T(stat("u2", &st));
  printf("umask 0 dir: %o\n", st.st_mode & 07777);
  umask(022);
  put("f", "secret");
  T(chmod("f", 0));
  T(open("f", O_RDONLY));
  T(open("f", O_WRONLY));
  T(access("f", R_OK));
  T(access("f", F_OK));
  T(chmod("f", 0400));
  T(access("f", R_OK));
  T(access("f", W_OK));
  T(access("f", X_OK));
  T(open("f", O_RDWR));
  T(open("f", O_RDONLY | O_TRUNC));
  T(chmod("f", 04755));
  T(stat("f", &st));
  printf("mode=%o\n", st.st_mode & 07777);
  T(access("f", X_OK));
  T(faccessat(AT_FDCWD, "f", 8, 0));
  T(chown("f", 0, -1));
  T(chown("f", -1, 0));
  T(chown("f", -1, -1));
  T(chown("f", 1000, 1000));
  T(lchown("f", -1, 1000));
  /* directory permissions */
  mkdir("d", 0755);
  put("d/x", "x");
  T(chmod("d", 0644));
  T(stat("d/x", &st));
  T(open("d/x", O_RDONLY));
  T(creat("d/y", 0600));
  T(chmod("d", 0555));
  T(stat("d/x", &st));
  T(creat("d/y", 0600));
  T(unlink("d/x"));
  T(mkdir("d/sub", 0755));
  T(rename("d/x", "moved"));
  T(chmod("d", 0311));
  T(opendir("d") != NULL);
  T(access("d/x", R_OK));
  T(chmod("d", 0755));
  /* root-owned places */
  T(open("/etc/passwd", O_WRONLY));
  T(access("/etc/passwd", R_OK));
  T(access("/etc/passwd", W_OK));
  T(mkdir("/teeos-should-fail", 0755));
  T(creat("/etc/teeos-should-fail", 0644));
  T(unlink("/etc/passwd"));
  T(chmod("/etc/passwd", 0666));
  T(utimensat(AT_FDCWD, "/etc/passwd", NULL, 0));
  T(chroot("d"));
  T(stat("/tmp", &st));
  printf("/tmp mode=%o %s\n", st.st_mode & 07777, ftype(st.st_mode));
  T(mknod("node", S_IFCHR | 0666, makedev(1, 3)));
  T(mknod("fifo", S_IFIFO | 0666, 0));
  T(mknod("reg", S_IFREG | 0666, 0));
  T(mknod("dir", S_IFDIR | 0755, 0));
  T(stat("fifo", &st));
  printf("fifo %s %o\n", ftype(st.st_mode), st.st_mode & 0777);
  T(stat("reg", &st));
  printf("reg %s %o\n", ftype(st.st_mode), st.st_mode & 0777);
  scratch_end();
  return 0;
}
