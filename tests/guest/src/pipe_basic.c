/* pipe2: data, EOF, EPIPE+SIGPIPE (handler), O_NONBLOCK EAGAIN, PIPE_BUF atomicity, FIONREAD, F_GETPIPE_SZ, ESPIPE, fstat. */
#include "fsutil.h"
#include <signal.h>
#include <sys/ioctl.h>

static volatile int pipes;
static void onpipe(int s) { (void)s; pipes++; }

int main(void) {
  int p[2];
  char buf[70000];
  T(pipe2(p, 0));
  T(write(p[1], "hello", 5));
  int n = -1;
  T(ioctl(p[0], FIONREAD, &n));
  printf("FIONREAD=%d\n", n);
  T(read(p[0], buf, 3));
  T(read(p[0], buf, 100));
  struct stat st;
  T(fstat(p[0], &st));
  printf("%s mode=%o\n", ftype(st.st_mode), st.st_mode & 0777);
  T(lseek(p[0], 0, SEEK_CUR));
  T(pread(p[0], buf, 1, 0));
  T(pwrite(p[1], buf, 1, 0));
  T(write(p[0], "x", 1));
  T(read(p[1], buf, 1));
  T(fcntl(p[0], F_GETPIPE_SZ));
  T(fcntl(p[0], F_GETFL));
  T(fcntl(p[1], F_GETFL));
  T(close(p[1]));
  T(read(p[0], buf, 10));
  close(p[0]);

  T(pipe2(p, O_NONBLOCK | O_CLOEXEC));
  T(fcntl(p[0], F_GETFD));
  T(fcntl(p[0], F_GETFL) & O_NONBLOCK ? 1 : 0);
  T(read(p[0], buf, 10));
  memset(buf, 'a', sizeof buf);
  T(write(p[1], buf, 70000));
  T(write(p[1], buf, 1));
  T(read(p[0], buf, 4000));
  T(write(p[1], buf, 4096));
  T(write(p[1], buf, 4000));
  T(write(p[1], buf, 5000));
  T(read(p[0], buf, 70000));
  T(read(p[0], buf, 70000));
  T(fcntl(p[1], F_SETPIPE_SZ, 4096));
  T(fcntl(p[1], F_GETPIPE_SZ));
  T(write(p[1], buf, 5000));
  T(fcntl(p[1], F_SETPIPE_SZ, 100000));
  close(p[1]);
  close(p[0]);

  /* EPIPE: ignored SIGPIPE, then a handler */
  signal(SIGPIPE, SIG_IGN);
  T(pipe(p));
  close(p[0]);
  T(write(p[1], "x", 1));
  signal(SIGPIPE, onpipe);
  T(write(p[1], "x", 1));
  printf("SIGPIPE handled %d time(s)\n", pipes);
  close(p[1]);
  T(pipe2(p, 12345));
  int *volatile bad = (int *)8; T(pipe(bad));
  /* SIGPIPE's default action kills */
  signal(SIGPIPE, SIG_DFL);
  T(pipe(p));
  close(p[0]);
  printf("about to die\n");
  fflush(stdout);
  write(p[1], "x", 1);
  printf("not reached\n");
  return 0;
}
