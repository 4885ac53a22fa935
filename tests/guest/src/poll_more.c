/* poll/ppoll details: negative descriptors ignored (revents 0), POLLNVAL for closed ones,
 * events 0 still reporting POLLHUP/POLLERR, POLLOUT on a full pipe only after it drains,
 * many entries for one descriptor, nfds 0 as a sleep, ppoll's timeout written back, the
 * sigmask letting a pending signal in (EINTR), and EINVAL/EFAULT. */
#include "fsutil.h"
#include <poll.h>
#include <signal.h>
#include <time.h>

static volatile int got;
static void on_usr1(int s) { (void)s; got = 1; }

int main(void) {
  int p[2];
  pipe2(p, O_NONBLOCK);
  struct pollfd f[5] = { { -1, POLLIN, 0 }, { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 }, { 77, POLLIN, 0 }, { p[0], 0, 0 } };
  T(poll(f, 5, 0));
  for (int i = 0; i < 5; i++) printf("[%d] %#x\n", i, f[i].revents);
  close(p[1]);
  f[2].fd = -1;
  T(poll(f, 5, 0));
  for (int i = 0; i < 5; i++) printf("[%d] %#x\n", i, f[i].revents);
  int q[2];
  pipe2(q, O_NONBLOCK);
  static char big[65536];
  write(q[1], big, sizeof big);
  struct pollfd w = { q[1], POLLOUT, 0 };
  T(poll(&w, 1, 0));
  read(q[0], big, 100);
  T(poll(&w, 1, 0));
  read(q[0], big, 4096);
  T(poll(&w, 1, 0));
  printf("revents %#x\n", w.revents);
  T(poll(NULL, 0, 10));
  struct timespec ts = { 0, 20000000 };
  T(ppoll(NULL, 0, &ts, NULL));
  printf("ts after timeout %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  ts = (struct timespec){ 5, 0 };
  struct pollfd r = { q[0], POLLIN, 0 };
  T(ppoll(&r, 1, &ts, NULL));
  printf("ts untouched-ish: %d\n", ts.tv_sec == 4 || ts.tv_sec == 5);
  signal(SIGUSR1, on_usr1);
  sigset_t b, e;
  sigemptyset(&b);
  sigaddset(&b, SIGUSR1);
  sigprocmask(SIG_BLOCK, &b, NULL);
  raise(SIGUSR1);
  sigemptyset(&e);
  struct pollfd none = { p[0], 0, 0 };
  ts = (struct timespec){ 1, 0 };
  close(p[0]);
  int z[2];
  pipe(z);
  none.fd = z[0];
  none.events = POLLIN;
  T(ppoll(&none, 1, &ts, &e));
  printf("handler ran %d\n", got);
  ts = (struct timespec){ 0, -1 };
  T(ppoll(&none, 1, &ts, NULL));
  T(poll((struct pollfd *)8, 1, 0));
  return 0;
}
