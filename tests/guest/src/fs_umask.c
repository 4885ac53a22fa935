/* umask: its effect on open(O_CREAT), mkdir, mknod/mkfifo, symlinks (always 0777) and bind()
 * socket nodes; the return value is the previous mask, only the low 9 bits kept; setgid
 * directories passing their group and the setgid bit to subdirectories; and O_TMPFILE. */
#include "fsutil.h"
#include <sys/socket.h>
#include <sys/un.h>

static void m(const char *p) {
  struct stat st;
  lstat(p, &st);
  printf("%s: %s %o\n", p, ftype(st.st_mode), st.st_mode & 07777);
}

int main(void) {
  scratch_begin();
  T(umask(0));
  T(umask(022));
  T(umask(0777777));
  T(umask(027));
  close(open("f", O_CREAT | O_WRONLY, 0666)); m("f");
  close(open("x", O_CREAT | O_WRONLY, 04777)); m("x");
  mkdir("d", 0777); m("d");
  mkdir("s", 01777); m("s");
  mkfifo("p", 0666); m("p");
  mknod("n", S_IFREG | 0666, 0); m("n");
  symlink("f", "l"); m("l");
  int so = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strcpy(a.sun_path, "sock");
  bind(so, (struct sockaddr *)&a, sizeof a); m("sock");
  umask(0);
  mkdir("g", 02775); m("g");
  mkdir("g/sub", 0755); m("g/sub");
  close(open("g/file", O_CREAT | O_WRONLY, 02755)); m("g/file");
  umask(077);
  int t = open(".", O_TMPFILE | O_RDWR, 0666);
  struct stat st;
  fstat(t, &st);
  printf("tmpfile %o\n", st.st_mode & 0777);
  T(umask(0));
  scratch_end();
  return 0;
}
