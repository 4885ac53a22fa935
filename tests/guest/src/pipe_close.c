/* Pipe ends closing in every order: EOF only after the last writer (dup'd and forked copies),
 * EPIPE (SIGPIPE ignored) only after the last reader, data written before the writers closed
 * still read, poll showing POLLHUP after data, POLLERR on the write end, O_NONBLOCK reads of
 * an empty pipe with and without writers (EAGAIN vs 0), and a blocked reader woken by a
 * forked writer exiting. */
#include "fsutil.h"
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int p[2];
  pipe(p);
  int w2 = dup(p[1]);
  write(p[1], "abc", 3);
  close(p[1]);
  char buf[8];
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  T(read(p[0], buf, sizeof buf));
  T(read(p[0], buf, sizeof buf));
  write(w2, "d", 1);
  close(w2);
  struct pollfd pf = { p[0], POLLIN, 0 };
  T(poll(&pf, 1, 0));
  printf("revents with data and no writer %#x\n", pf.revents);
  T(read(p[0], buf, sizeof buf));
  T(read(p[0], buf, sizeof buf));
  T(poll(&pf, 1, 0));
  printf("revents %#x\n", pf.revents);
  close(p[0]);
  pipe(p);
  int r2 = dup(p[0]);
  close(p[0]);
  T(write(p[1], "x", 1));
  close(r2);
  T(write(p[1], "x", 1));
  pf = (struct pollfd){ p[1], POLLOUT, 0 };
  T(poll(&pf, 1, 0));
  printf("write end revents %#x\n", pf.revents);
  close(p[1]);
  /* a blocked reader woken by the forked writer exiting */
  pipe(p);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) { close(p[0]); usleep(50000); write(p[1], "z", 1); _exit(0); }
  close(p[1]);
  T(read(p[0], buf, sizeof buf));
  T(read(p[0], buf, sizeof buf));
  waitpid(c, NULL, 0);
  return 0;
}
