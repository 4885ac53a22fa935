/* Host pass-through mounts (`teeos run --mount HOSTDIR:/mnt[:ro]`): the program works in the
 * directory given as argv[1] (TEE OS: the mount point; qemu-riscv64: the host directory
 * itself) and prints what it sees; argv[2] = "ro" checks a read-only mount instead. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T(e) do { errno = 0; long _r = (long)(e); if (_r < 0) printf("%s = -1 %s\n", #e, strerrorname_np(errno)); else printf("%s = %ld\n", #e, _r); } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void ls(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("opendir %s: %s\n", path, strerrorname_np(errno)); return; }
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("ls %s:", path);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}
static void cat(const char *p) {
  char b[256];
  int fd = open(p, O_RDONLY);
  if (fd < 0) { printf("open %s: %s\n", p, strerrorname_np(errno)); return; }
  long n = read(fd, b, sizeof b - 1);
  if (n >= 0) { b[n] = 0; printf("%s: [%s]\n", p, b); } else printf("read %s: %s\n", p, strerrorname_np(errno));
  close(fd);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 2 || chdir(argv[1])) { printf("chdir failed\n"); return 1; }
  int ro = argc > 2 && !strcmp(argv[2], "ro");
  ls(".");
  cat("hello.txt");
  struct stat st;
  T(stat("hello.txt", &st));
  printf("size %ld reg %d\n", (long)st.st_size, S_ISREG(st.st_mode));
  T(stat("sub", &st));
  printf("dir %d\n", S_ISDIR(st.st_mode));
  cat("sub/inner.txt");
  T(open("missing", O_RDONLY));
  T(open("sub", O_WRONLY));
  if (ro) {
    T(open("new.txt", O_CREAT | O_WRONLY, 0644));
    T(open("hello.txt", O_WRONLY));
    T(mkdir("d2", 0755));
    T(unlink("hello.txt"));
    T(rename("hello.txt", "x.txt"));
    return 0;
  }
  int fd = open("new.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
  T(fd);
  T(write(fd, "written in the enclave\n", 23));
  T(lseek(fd, 0, SEEK_SET));
  char b[64] = {0};
  T(read(fd, b, sizeof b - 1));
  printf("read back: %s", b);
  T(pwrite(fd, "WRITTEN", 7, 0));
  T(lseek(fd, 0, SEEK_END));
  T(ftruncate(fd, 10));
  T(fstat(fd, &st));
  printf("size after ftruncate %ld\n", (long)st.st_size);
  close(fd);
  T(open("new.txt", O_CREAT | O_EXCL | O_RDWR, 0644));
  fd = open("append.txt", O_CREAT | O_WRONLY | O_APPEND, 0600);
  T(write(fd, "one\n", 4));
  T(write(fd, "two\n", 4));
  close(fd);
  cat("append.txt");
  T(mkdir("d2", 0755));
  T(mkdir("d2", 0755));
  T(rename("append.txt", "d2/moved.txt"));
  cat("d2/moved.txt");
  T(rmdir("d2"));
  T(symlink("hello.txt", "link"));
  char t[64] = {0};
  T(readlink("link", t, sizeof t - 1));
  printf("link -> %s\n", t);
  cat("link");
  /* hard links: one file under two names (link count, the same inode, EEXIST, a directory EPERM) */
  T(link("hello.txt", "hard.txt"));
  T(link("hello.txt", "hard.txt"));
  T(link("sub", "subhard"));
  struct stat h1, h2;
  T(stat("hello.txt", &h1));
  T(stat("hard.txt", &h2));
  printf("nlink %lu %lu same inode %d\n", (unsigned long)h1.st_nlink, (unsigned long)h2.st_nlink, h1.st_ino == h2.st_ino);
  T(unlink("hard.txt"));
  T(stat("hello.txt", &h1));
  printf("nlink after unlink %lu\n", (unsigned long)h1.st_nlink);
  T(truncate("hello.txt", 5));
  cat("hello.txt");
  fd = open("sub/inner.txt", O_WRONLY | O_TRUNC);
  T(fd);
  close(fd);
  T(stat("sub/inner.txt", &st));
  printf("inner size %ld\n", (long)st.st_size);
  T(unlink("sub/inner.txt"));
  T(unlink("sub/inner.txt"));
  /* chmod and fchmod reach the host's file (the test compares the host directory too). */
  T(chmod("hello.txt", 0640));
  T(stat("hello.txt", &st));
  printf("hello.txt mode %o\n", st.st_mode & 07777);
  fd = open("hello.txt", O_RDONLY);
  T(fchmod(fd, 0604));
  close(fd);
  T(stat("hello.txt", &st));
  printf("hello.txt mode %o\n", st.st_mode & 07777);
  T(mkdir("d3", 0755));
  T(chmod("d3", 0700));
  T(stat("d3", &st));
  printf("d3 mode %o\n", st.st_mode & 07777);
  T(rmdir("d3"));
  ls(".");
  ls("d2");
  return 0;
}
