/* FIFOs beyond the basics: O_RDWR opens that never block, a reader seeing EOF only after the
 * last writer closes (two writers), O_NONBLOCK writers getting ENXIO with no reader and
 * succeeding with one, data left in a FIFO discarded when every end closes, FIFO stat size 0,
 * lseek ESPIPE, poll on both ends, and permissions (EACCES) on open. */
#include "fsutil.h"
#include <poll.h>
#include <signal.h>

int main(void) {
  scratch_begin();
  signal(SIGPIPE, SIG_IGN);
  T(mkfifo("f", 0600));
  int rw = open("f", O_RDWR);
  T(rw >= 0);
  T(write(rw, "self", 4));
  char buf[16] = {0};
  T(read(rw, buf, sizeof buf));
  T(lseek(rw, 0, SEEK_SET));
  struct stat st;
  fstat(rw, &st);
  printf("size %ld\n", (long)st.st_size);
  int r = open("f", O_RDONLY | O_NONBLOCK);
  int w1 = open("f", O_WRONLY | O_NONBLOCK);
  int w2 = open("f", O_WRONLY);
  close(rw);
  T(write(w1, "a", 1));
  T(write(w2, "b", 1));
  close(w1);
  T(read(r, buf, sizeof buf));
  T(read(r, buf, sizeof buf));
  close(w2);
  T(read(r, buf, sizeof buf));
  struct pollfd pf = { r, POLLIN, 0 };
  T(poll(&pf, 1, 0));
  printf("revents %#x\n", pf.revents);
  close(r);
  T(open("f", O_WRONLY | O_NONBLOCK));
  /* data discarded when every end closes */
  rw = open("f", O_RDWR);
  write(rw, "gone", 4);
  close(rw);
  r = open("f", O_RDONLY | O_NONBLOCK);
  T(read(r, buf, sizeof buf));
  int w = open("f", O_WRONLY | O_NONBLOCK);
  T(w >= 0);
  pf = (struct pollfd){ w, POLLOUT, 0 };
  T(poll(&pf, 1, 0));
  printf("writer revents %#x\n", pf.revents);
  close(r);
  T(write(w, "x", 1));
  pf = (struct pollfd){ w, POLLOUT, 0 };
  T(poll(&pf, 1, 0));
  printf("writer without reader revents %#x\n", pf.revents);
  chmod("f", 0200);
  T(open("f", O_RDONLY | O_NONBLOCK));
  chmod("f", 0400);
  T(open("f", O_WRONLY | O_NONBLOCK));
  T(open("f", O_RDONLY | O_NONBLOCK | O_TRUNC) >= 0);
  scratch_end();
  return 0;
}
