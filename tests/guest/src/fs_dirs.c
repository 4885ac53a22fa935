/* Directories: mkdir/rmdir, getdents64 (sorted), error paths ENOTEMPTY EEXIST ENOTDIR EISDIR EINVAL ENOENT. */
#include "fsutil.h"
#include <dirent.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("opendir %s: %s\n", path, strerrorname_np(errno)); return; }
  char *names[64]; int n = 0; struct dirent *e;
  while ((e = readdir(d)) && n < 64) {
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s(%s)", e->d_name, e->d_type == DT_DIR ? "d" : e->d_type == DT_REG ? "f" : e->d_type == DT_LNK ? "l" : e->d_type == DT_FIFO ? "p" : "?");
    names[n++] = strdup(tmp);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("%s:", path);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

int main(void) {
  scratch_begin();
  T(mkdir("d", 0755));
  T(mkdir("d", 0755));
  T(mkdir("d/e/", 0700));
  T(mkdir("d/e/f/g", 0700));
  T(mkdir("x/y", 0700));
  put("d/file", "data");
  T(mkdir("d/file/sub", 0700));
  T(mkdir("d/file", 0700));
  T(mkfifo("d/pipe", 0600));
  T(symlink("file", "d/link"));
  list("d");
  list("d/e");
  struct stat st;
  T(stat("d", &st));
  printf("d: %s nlink=%ld mode=%o\n", ftype(st.st_mode), (long)st.st_nlink, st.st_mode & 07777);
  T(stat("d/e", &st));
  printf("d/e mode=%o\n", st.st_mode & 07777);
  T(rmdir("d"));
  T(rmdir("d/file"));
  T(rmdir("d/e/."));
  T(rmdir("d/e/.."));
  T(rmdir("nonexistent"));
  T(unlink("d/e"));
  T(unlink("d/file/"));
  T(rmdir("d/e/"));
  T(stat("d", &st));
  printf("d nlink after rmdir=%ld\n", (long)st.st_nlink);
  T(unlink("d/file"));
  T(unlink("d/file"));
  T(unlink("d/pipe"));
  T(unlink("d/link"));
  list("d");
  T(rmdir("d"));
  T(opendir("d") != NULL);
  /* many entries: getdents in several calls */
  T(mkdir("many", 0755));
  char p[64];
  for (int i = 0; i < 300; i++) { snprintf(p, sizeof p, "many/entry-with-a-longish-name-%03d", i); close(creat(p, 0600)); }
  DIR *dd = opendir("many");
  int count = 0; struct dirent *e;
  while ((e = readdir(dd))) count++;
  printf("entries incl . and ..: %d\n", count);
  rewinddir(dd);
  count = 0;
  while ((e = readdir(dd))) count++;
  printf("after rewind: %d\n", count);
  closedir(dd);
  int fd = open("many", O_RDONLY | O_DIRECTORY);
  char small[16];
  T(syscall(61, fd, small, sizeof small));
  T(syscall(61, 999, small, sizeof small));
  int f2 = open("many/entry-with-a-longish-name-000", O_RDONLY);
  char big[512];
  T(syscall(61, f2, big, sizeof big));
  close(f2);
  close(fd);
  scratch_end();
  return 0;
}
