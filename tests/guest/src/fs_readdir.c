/* Directory reading through libc: readdir's d_type for every file type, telldir/seekdir back
 * to a remembered entry, rewinddir seeing a file created meanwhile, entries removed during a
 * walk not reappearing, an empty directory (only . and ..), readdir on a removed directory,
 * and fdopendir/dirfd. Listings are sorted (tmpfs and ext4 order entries differently). */
#include "fsutil.h"
#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(DIR *dp, const char *what) {
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dp)) && n < 64) {
    static char buf[64][300];
    snprintf(buf[n], sizeof buf[n], "%s:%d", e->d_name, e->d_type);
    names[n] = buf[n];
    n++;
  }
  qsort(names, n, sizeof names[0], cmp);
  printf("%s:", what);
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
}

int main(void) {
  scratch_begin();
  mkdir("d", 0755);
  put("d/file", "x");
  mkdir("d/sub", 0755);
  symlink("file", "d/link");
  mkfifo("d/fifo", 0644);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strcpy(a.sun_path, "d/sock");
  bind(s, (struct sockaddr *)&a, sizeof a);
  DIR *dp = opendir("d");
  list(dp, "all");
  rewinddir(dp);
  put("d/new", "y");
  list(dp, "after rewind");
  rewinddir(dp);
  struct dirent *e;
  long pos = -1;
  char first[300] = "";
  while ((e = readdir(dp))) {
    if (e->d_name[0] == '.') continue;
    pos = telldir(dp);
    strcpy(first, e->d_name);
    break;
  }
  e = readdir(dp);
  char second[300];
  strcpy(second, e ? e->d_name : "-");
  seekdir(dp, pos);
  e = readdir(dp);
  printf("seekdir back: %d\n", e && strcmp(e->d_name, second) == 0);
  closedir(dp);
  /* removal during a walk */
  dp = opendir("d");
  int seen_removed = 0, count = 0;
  readdir(dp);
  unlink("d/new");
  while ((e = readdir(dp))) { count++; if (strcmp(e->d_name, "new") == 0) seen_removed = 1; }
  printf("walk after unlink: removed entry seen %d\n", seen_removed);
  closedir(dp);
  mkdir("empty", 0755);
  dp = opendir("empty");
  list(dp, "empty");
  rmdir("empty");
  rewinddir(dp);
  list(dp, "removed");
  T(dirfd(dp) >= 0);
  closedir(dp);
  int fd = open("d", O_RDONLY | O_DIRECTORY);
  dp = fdopendir(fd);
  T(dp != NULL);
  T(dirfd(dp) == fd);
  closedir(dp);
  T(fcntl(fd, F_GETFD));
  int ff = open("d/file", O_RDONLY);
  T(fdopendir(ff) == NULL ? -1 : 0);
  T(opendir("d/file") == NULL ? -1 : 0);
  T(opendir("missing") == NULL ? -1 : 0);
  scratch_end();
  return 0;
}
