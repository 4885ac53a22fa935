/* Path limits and shapes: NAME_MAX, PATH_MAX, empty paths, trailing slashes, "." components, EFAULT paths. */
#include "fsutil.h"

int main(void) {
  scratch_begin();
  struct stat st;
  char name[300];
  memset(name, 'n', 255); name[255] = 0;
  T(creat(name, 0600) >= 0);
  T(stat(name, &st));
  memset(name, 'n', 256); name[256] = 0;
  T(creat(name, 0600));
  T(stat(name, &st));
  T(mkdir(name, 0755));
  char *path = malloc(5000);
  memset(path, 0, 5000);
  for (int i = 0; i < 4094; i += 2) { path[i] = '.'; path[i + 1] = '/'; }
  path[4094] = 'x';
  T(stat(path, &st));
  path[4095] = 'y';
  T(stat(path, &st));
  path[4096] = 'z';
  T(stat(path, &st));
  T(stat("", &st));
  T(open("", O_RDONLY));
  T(mkdir("", 0755));
  put("file", "x");
  T(stat("file/", &st));
  T(stat("file/.", &st));
  T(stat("file/..", &st));
  T(open("file/", O_RDONLY));
  T(open("file/", O_RDONLY | O_CREAT, 0600));
  T(open("newfile/", O_RDONLY | O_CREAT, 0600));
  T(stat("./file", &st));
  T(stat(".//./file", &st));
  T(mkdir("dir//", 0755));
  T(stat("dir/.", &st));
  T(stat("dir/../dir/./", &st));
  T(mkdir("dir/.", 0755));
  T(mkdir("dir/..", 0755));
  T(rmdir("/"));
  T(mkdir("/", 0755));
  T(stat("/", &st));
  printf("/ is %s\n", ftype(st.st_mode));
  T(stat("/..", &st));
  T(stat("//tmp//", &st));
  T(stat((char *)1, &st));
  T(open((char *)-4096, O_RDONLY));
  T(mkdir((char *)16, 0755));
  T(stat("file", (struct stat *)8));
  scratch_end();
  return 0;
}
