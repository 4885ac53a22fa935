/* An open file shared across fork (one file description: the offset moves for both), in the
   directory given as argv[1] (tests/hostmount.test.ts: a host mount; on SGX the child is another
   enclave, which gets a host duplicate of the description). */
#include "fsutil.h"
#include <sys/wait.h>

/* The value, or the failing call and errno, then exit. */
static long must(const char *what, long r) {
  if (r < 0) { printf("%s = -1 %s\n", what, strerrorname_np(errno)); exit(1); }
  return r;
}
#define C(e) must(#e, (long)(e))

static void child_then_wait(int fd, const char *what, int reading) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (reading) {
      char b[4] = {0};
      long r = read(fd, b, 3);
      printf("child read %ld [%s]\n", r, b);
    } else {
      C(write(fd, what, strlen(what)));
    }
    fflush(stdout);
    _exit(0);
  }
  int st;
  C(waitpid(c, &st, 0) == c);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  C(chdir(argv[1]));
  int fd = C(open("shared.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
  C(write(fd, "parent one\n", 11));
  child_then_wait(fd, "child one\n", 0);
  C(write(fd, "parent two\n", 11));
  child_then_wait(fd, "child two\n", 0);
  printf("offset after both: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  C(close(fd));
  fd = C(open("shared.txt", O_RDONLY));
  char b[4] = {0};
  printf("parent read %ld [%s]\n", (long)read(fd, b, 3), b);
  child_then_wait(fd, NULL, 1);
  printf("parent read %ld [%s]\n", (long)read(fd, b, 3), b);
  printf("offset: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  C(close(fd));
  char all[128] = {0};
  fd = C(open("shared.txt", O_RDONLY));
  long n = read(fd, all, sizeof all - 1);
  printf("file %ld bytes:\n%s", n, all);
  return 0;
}
