/* Device files open across fork: the child uses the parent's descriptors on /dev/null,
   /dev/zero, /dev/full and /dev/urandom (on SGX the child is another enclave, which opens
   its own: these devices have no state but the flags), with their access modes, a dup sharing
   one of them, and close-on-exec kept. */
#include "fsutil.h"
#include <sys/wait.h>

int main(void) {
  int null = open("/dev/null", O_WRONLY | O_APPEND);
  int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  int full = open("/dev/full", O_RDWR);
  int rnd = open("/dev/urandom", O_RDONLY | O_NONBLOCK);
  int dupnull = dup(null);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    char b[16];
    memset(b, 0x55, sizeof b);
    printf("child: write /dev/null %zd\n", write(null, "abc", 3));
    printf("child: write the dup %zd\n", write(dupnull, "abcd", 4));
    ssize_t n = read(zero, b, 8);
    printf("child: read /dev/zero %zd, zeros %d\n", n, n == 8 && !memcmp(b, "\0\0\0\0\0\0\0\0", 8));
    errno = 0;
    printf("child: write /dev/full %zd %s\n", write(full, "x", 1), strerrorname_np(errno));
    printf("child: read /dev/full %zd\n", read(full, b, 4));
    printf("child: read /dev/urandom %zd\n", read(rnd, b, 16));
    printf("child: read /dev/null (write-only) %zd %s\n", read(null, b, 1), strerrorname_np(errno));
    printf("child: flags null append %d, zero cloexec %d, urandom nonblock %d\n", !!(fcntl(null, F_GETFL) & O_APPEND),
           !!(fcntl(zero, F_GETFD) & FD_CLOEXEC), !!(fcntl(rnd, F_GETFL) & O_NONBLOCK));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("parent: child exited %d, write /dev/null still %zd\n", WEXITSTATUS(st), write(null, "x", 1));
  return 0;
}
