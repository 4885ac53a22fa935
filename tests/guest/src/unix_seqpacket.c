/* AF_UNIX SOCK_SEQPACKET: listen/accept/connect by path, record boundaries with MSG_TRUNC
 * and MSG_EOR, MSG_PEEK, EOF (0) after the peer closes, shutdown(SHUT_WR) then reads of 0,
 * EPIPE after the peer is gone, getsockname/getpeername, SO_PEERCRED, SO_ACCEPTCONN, and
 * the backlog's EAGAIN for a nonblocking connect. */
#include "fsutil.h"
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

int main(void) {
  scratch_begin();
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strcpy(a.sun_path, "sp");
  int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  T(bind(l, (struct sockaddr *)&a, sizeof a));
  T(listen(l, 2));
  int v;
  socklen_t vl = sizeof v;
  T(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
  printf("acceptconn %d\n", v);
  int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  T(connect(c, (struct sockaddr *)&a, sizeof a));
  int s = accept(l, NULL, NULL);
  T(s >= 0);
  T(send(c, "first", 5, 0));
  T(send(c, "second", 6, MSG_EOR));
  char buf[64];
  T(recv(s, buf, 3, MSG_PEEK));
  struct msghdr mh = { 0 };
  struct iovec iv = { buf, 3 };
  mh.msg_iov = &iv;
  mh.msg_iovlen = 1;
  T(recvmsg(s, &mh, 0));
  printf("truncated flag: %d\n", (mh.msg_flags & MSG_TRUNC) != 0);
  T(recv(s, buf, sizeof buf, MSG_TRUNC));
  printf("%.6s\n", buf);
  struct ucred cr;
  socklen_t cl = sizeof cr;
  T(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl));
  printf("peercred pid=self:%d uid=me:%d\n", cr.pid == getpid(), cr.uid == getuid());
  struct sockaddr_un n;
  socklen_t nl = sizeof n;
  T(getsockname(s, (struct sockaddr *)&n, &nl));
  printf("sockname %s\n", n.sun_path);
  nl = sizeof n;
  T(getpeername(c, (struct sockaddr *)&n, &nl));
  printf("peername %s\n", n.sun_path);
  nl = sizeof n;
  T(getpeername(s, (struct sockaddr *)&n, &nl));
  printf("accepted peer len %d\n", (int)nl);
  T(shutdown(c, SHUT_WR));
  T(recv(s, buf, sizeof buf, 0));
  T(send(c, "x", 1, 0));
  T(send(s, "reply", 5, 0));
  T(recv(c, buf, sizeof buf, 0));
  close(s);
  T(recv(c, buf, sizeof buf, 0));
  /* a child talks through an accepted socket */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int k = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    connect(k, (struct sockaddr *)&a, sizeof a);
    send(k, "from child", 10, 0);
    recv(k, buf, sizeof buf, 0);
    _exit(buf[0] == 'o' ? 0 : 1);
  }
  s = accept(l, NULL, NULL);
  T(recv(s, buf, sizeof buf, 0));
  T(send(s, "ok", 2, 0));
  int st;
  waitpid(pid, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
  T(recv(s, buf, sizeof buf, 0));
  T(send(s, "late", 4, 0));
  /* errors */
  int x = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  T(send(x, "z", 1, 0));
  T(accept(x, NULL, NULL));
  T(connect(x, (struct sockaddr *)&a, 1));
  struct sockaddr_un bad = { .sun_family = AF_UNIX };
  strcpy(bad.sun_path, "nope");
  T(connect(x, (struct sockaddr *)&bad, sizeof bad));
  T(bind(x, (struct sockaddr *)&a, sizeof a));
  T(listen(c, 1));
  T(socket(AF_UNIX, SOCK_SEQPACKET, 5));
  scratch_end();
  return 0;
}
