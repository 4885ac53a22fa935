/*
 * glibc wrappers over common system calls, printed as facts both qemu-riscv64 and
 * TEE OS must agree on: stdio buffering to a non-tty (full buffering), writev, uname,
 * getrandom, clock_gettime, readlink /proc/self/exe, getpid/getppid, errno values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char *yesno(int c) { return c ? "yes" : "no"; }

int main(void) {
  /* stdout is a file or pipe here: glibc buffers fully, so the write(2) line comes first. */
  printf("isatty(0)=%d isatty(1)=%d\n", isatty(0), isatty(1));
  printf("buffered line (printed before write(2) only on a tty)\n");
  write(1, "direct write(2) line\n", 21);
  fflush(stdout);

  struct iovec iov[3] = {{"writev: ", 8}, {"three ", 6}, {"pieces\n", 7}};
  ssize_t n = writev(1, iov, 3);
  printf("writev returned %zd\n", n);

  struct utsname u;
  if (uname(&u) == 0) printf("uname: sysname=%s machine=%s\n", u.sysname, u.machine);

  unsigned char rnd[32];
  memset(rnd, 0, sizeof rnd);
  ssize_t g = getrandom(rnd, sizeof rnd, 0);
  int nonzero = 0;
  for (int i = 0; i < 32; i++) nonzero |= rnd[i];
  printf("getrandom returned %zd, nonzero: %s\n", g, yesno(nonzero));

  struct timespec a, b, r;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (volatile int i = 0; i < 100000; i++) {}
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("monotonic non-decreasing: %s\n", yesno(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)));
  printf("tv_nsec in range: %s\n", yesno(a.tv_nsec >= 0 && a.tv_nsec < 1000000000 && b.tv_nsec >= 0 && b.tv_nsec < 1000000000));
  clock_gettime(CLOCK_REALTIME, &r);
  printf("realtime after 2020: %s\n", yesno(r.tv_sec > 1577836800));
  printf("time() agrees with realtime: %s\n", yesno(time(NULL) - r.tv_sec <= 2));

  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len >= 0) {
    exe[len] = 0;
    const char *s = strrchr(exe, '/');
    printf("readlink /proc/self/exe: absolute=%s basename=%s\n", yesno(exe[0] == '/'), s ? s + 1 : exe);
  } else {
    printf("readlink /proc/self/exe failed: %s\n", strerror(errno));
  }

  printf("getpid()>0: %s getppid()>=0: %s\n", yesno(getpid() > 0), yesno(getppid() >= 0));
  errno = 0;
  int fd = open("/nonexistent/teeos/file", O_RDONLY);
  printf("open missing: fd=%d errno=%d (%s)\n", fd, errno, strerror(errno));
  errno = 0;
  ssize_t w = write(99, "x", 1);
  printf("write bad fd: ret=%zd errno=%d (%s)\n", w, errno, strerror(errno));
  char cwd[4096];
  printf("getcwd ok: %s\n", yesno(getcwd(cwd, sizeof cwd) != NULL && cwd[0] == '/'));
  fprintf(stderr, "this goes to stderr\n");
  return 0;
}
