/* ppoll/poll and select on pipes, eventfd, regular files: readiness, POLLHUP, POLLNVAL, timeouts, wake-up across threads. */
#include "fsutil.h"
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/select.h>

static int p[2];
static void *later(void *a) { (void)a; usleep(30000); write(p[1], "!", 1); return NULL; }

int main(void) {
  scratch_begin();
  T(pipe(p));
  struct pollfd f[4] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 }, { -1, POLLIN, 0 }, { 77, POLLIN, 0 } };
  T(poll(f, 4, 0));
  printf("revents: %x %x %x %x\n", f[0].revents, f[1].revents, f[2].revents, f[3].revents);
  write(p[1], "x", 1);
  T(poll(f, 2, 0));
  printf("revents: %x %x\n", f[0].revents, f[1].revents);
  char c;
  read(p[0], &c, 1);
  T(poll(f, 1, 50));
  printf("after timeout: %x\n", f[0].revents);
  pthread_t th;
  pthread_create(&th, NULL, later, NULL);
  T(poll(f, 1, -1));
  printf("woken: %x\n", f[0].revents);
  pthread_join(th, NULL);
  read(p[0], &c, 1);
  close(p[1]);
  T(poll(f, 1, 0));
  printf("writer closed: %x\n", f[0].revents);
  int q[2];
  pipe(q);
  close(q[0]);
  struct pollfd g = { q[1], POLLOUT, 0 };
  T(poll(&g, 1, 0));
  printf("reader closed: %x\n", g.revents);
  close(q[1]);
  int fd = open("file", O_RDWR | O_CREAT, 0600);
  struct pollfd h = { fd, POLLIN | POLLOUT, 0 };
  T(poll(&h, 1, -1));
  printf("regular file: %x\n", h.revents);
  int e = eventfd(0, EFD_NONBLOCK);
  struct pollfd ev = { e, POLLIN | POLLOUT, 0 };
  T(poll(&ev, 1, 0));
  printf("eventfd empty: %x\n", ev.revents);
  uint64_t one = 1;
  write(e, &one, 8);
  T(poll(&ev, 1, 0));
  printf("eventfd set: %x\n", ev.revents);
  /* select */
  pipe(q);
  fd_set r, w;
  FD_ZERO(&r); FD_ZERO(&w);
  FD_SET(q[0], &r); FD_SET(q[1], &w);
  struct timeval tv = { 0, 0 };
  T(select(q[1] + 1, &r, &w, NULL, &tv));
  printf("r=%d w=%d\n", FD_ISSET(q[0], &r), FD_ISSET(q[1], &w));
  write(q[1], "y", 1);
  FD_ZERO(&r); FD_SET(q[0], &r);
  tv.tv_usec = 1000;
  T(select(q[0] + 1, &r, NULL, NULL, &tv));
  printf("r=%d\n", FD_ISSET(q[0], &r));
  FD_ZERO(&r); FD_SET(500, &r);
  T(select(501, &r, NULL, NULL, &tv));
  T(select(-1, NULL, NULL, NULL, &tv));
  T(poll(NULL, 0, 10));
  scratch_end();
  return 0;
}
