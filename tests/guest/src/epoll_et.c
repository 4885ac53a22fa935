/* epoll modes in detail: level-triggered reporting again and again, edge-triggered reporting
 * once per new arrival (not for data already there), EPOLLONESHOT disabling after one report
 * and EPOLL_CTL_MOD re-arming it, maxevents limiting and rotating, EPOLLOUT edges as a pipe
 * drains, EPOLLRDHUP/EPOLLHUP on a socket peer closing, and epoll_wait's EINVAL/EFAULT/EBADF. */
#include "fsutil.h"
#include <sys/epoll.h>
#include <sys/socket.h>

static void wait_show(int ep, const char *what, int max) {
  struct epoll_event ev[8];
  int n = epoll_wait(ep, ev, max, 0);
  printf("%s: %d", what, n);
  if (n < 0) printf(" %s", strerrorname_np(errno));
  for (int i = 0; i < n; i++) printf(" [%d %#x]", ev[i].data.fd, ev[i].events);
  printf("\n");
  fflush(stdout);
}

int main(void) {
  int lt[2], et[2], os[2];
  pipe(lt); pipe(et); pipe(os);
  int ep = epoll_create1(0);
  struct epoll_event e = { .events = EPOLLIN, .data.fd = 1 }; /* labels, not fd numbers */
  epoll_ctl(ep, EPOLL_CTL_ADD, lt[0], &e);
  e = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.fd = 2 };
  epoll_ctl(ep, EPOLL_CTL_ADD, et[0], &e);
  e = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.fd = 3 };
  epoll_ctl(ep, EPOLL_CTL_ADD, os[0], &e);
  wait_show(ep, "empty", 8);
  write(lt[1], "a", 1); write(et[1], "a", 1); write(os[1], "a", 1);
  wait_show(ep, "first", 8);
  wait_show(ep, "second", 8);
  write(et[1], "b", 1);
  wait_show(ep, "et new data", 8);
  write(os[1], "b", 1);
  wait_show(ep, "oneshot disabled", 8);
  e = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.fd = 3 };
  T(epoll_ctl(ep, EPOLL_CTL_MOD, os[0], &e));
  wait_show(ep, "oneshot rearmed", 8);
  char buf[100];
  read(lt[0], buf, sizeof buf);
  read(et[0], buf, sizeof buf);
  read(os[0], buf, sizeof buf);
  wait_show(ep, "drained", 8);
  /* maxevents 1 rotates through ready fds */
  int ep2 = epoll_create1(0);
  int q[3][2];
  for (int i = 0; i < 3; i++) {
    pipe(q[i]);
    write(q[i][1], "x", 1);
    e = (struct epoll_event){ .events = EPOLLIN, .data.fd = 10 + i };
    epoll_ctl(ep2, EPOLL_CTL_ADD, q[i][0], &e);
  }
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    struct epoll_event one;
    if (epoll_wait(ep2, &one, 1, 0) == 1) for (int j = 0; j < 3; j++) if (one.data.fd == 10 + j) seen |= 1 << j;
  }
  printf("rotation saw all three: %d\n", seen == 7);
  /* EPOLLOUT edges */
  int w[2];
  pipe2(w, O_NONBLOCK);
  int ep3 = epoll_create1(0);
  e = (struct epoll_event){ .events = EPOLLOUT | EPOLLET, .data.fd = 4 };
  epoll_ctl(ep3, EPOLL_CTL_ADD, w[1], &e);
  wait_show(ep3, "writable", 8);
  wait_show(ep3, "writable again (edge)", 8);
  static char big[65536];
  write(w[1], big, sizeof big);
  wait_show(ep3, "full", 8);
  read(w[0], big, 4096);
  wait_show(ep3, "room again", 8);
  /* socket peer closing */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  int ep4 = epoll_create1(0);
  e = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP, .data.fd = 5 };
  epoll_ctl(ep4, EPOLL_CTL_ADD, sv[0], &e);
  wait_show(ep4, "socket idle", 8);
  shutdown(sv[1], SHUT_WR);
  wait_show(ep4, "peer shut write", 8);
  close(sv[1]);
  wait_show(ep4, "peer closed", 8);
  /* errors */
  struct epoll_event ev[2];
  T(epoll_wait(ep, ev, 0, 0));
  T(epoll_wait(ep, ev, -1, 0));
  T(epoll_wait(ep, (struct epoll_event *)8, 2, 0) >= 0 ? 0 : -1);
  T(epoll_wait(99, ev, 2, 0));
  T(epoll_wait(lt[0], ev, 2, 0));
  return 0;
}
