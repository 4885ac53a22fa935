/* Shared helpers for the file-system guest programs: run as uid/gid 1000 (qemu-user runs
 * as whoever runs it; TEE OS's configured user is 1000), work in a fresh scratch directory
 * under /tmp, print results as "expr = value" or "expr = -1 ENAME" (never paths, inode
 * numbers or times), and remove the scratch directory at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

static char scratch[64];

__attribute__((unused)) static void show(const char *what, long r) {
  if (r < 0) printf("%s = -1 %s\n", what, strerrorname_np(errno));
  else printf("%s = %ld\n", what, r);
  fflush(stdout);
}
#define T(e) show(#e, (long)(e))
/* Only whether it failed and how (for calls returning pointers or big values). */
#define OK(e) do { errno = 0; long _r = (long)(e); if (_r < 0) printf("%s = -1 %s\n", #e, strerrorname_np(errno)); else printf("%s ok\n", #e); fflush(stdout); } while (0)

__attribute__((unused)) static void become_user(void) {
  if (geteuid() == 0) {
    setgroups(0, NULL);
    if (setgid(1000) || setuid(1000)) { perror("drop privileges"); exit(99); }
  }
}

__attribute__((unused)) static int rm_one(const char *p, const struct stat *s, int flag, struct FTW *f) {
  (void)s; (void)f;
  if (flag == FTW_DP || flag == FTW_D) rmdir(p); else unlink(p);
  return 0;
}

__attribute__((unused)) static void scratch_begin_keep_ids(void) {
  umask(022);
  strcpy(scratch, "/tmp/teeosfs-XXXXXX");
  if (!mkdtemp(scratch)) { perror("mkdtemp"); exit(98); }
  if (chdir(scratch)) { perror("chdir"); exit(97); }
}

__attribute__((unused)) static void scratch_begin(void) {
  become_user();
  umask(022);
  strcpy(scratch, "/tmp/teeosfs-XXXXXX");
  if (!mkdtemp(scratch)) { perror("mkdtemp"); exit(98); }
  if (chdir(scratch)) { perror("chdir"); exit(97); }
}

__attribute__((unused)) static void scratch_end(void) {
  if (chdir("/tmp")) perror("chdir /tmp");
  chmod(scratch, 0700);
  nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  if (access(scratch, F_OK) == 0) printf("scratch left behind\n");
}

__attribute__((unused)) static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) printf("put %s failed: %s\n", path, strerrorname_np(errno));
  close(fd);
}

__attribute__((unused)) static const char *ftype(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return "reg"; case S_IFDIR: return "dir"; case S_IFLNK: return "lnk"; case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr"; case S_IFBLK: return "blk"; case S_IFSOCK: return "sock"; default: return "?";
  }
}
