/* Socket options and queries on AF_UNIX: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR,
 * SO_SNDBUF/SO_RCVBUF (set and read back doubled), SO_PASSCRED toggled, SO_ACCEPTCONN,
 * option lengths (EINVAL), unknown levels/options (ENOPROTOOPT), getsockopt on a non-socket
 * (ENOTSOCK), FIONREAD/SIOCINQ, socket(2) flags SOCK_NONBLOCK/SOCK_CLOEXEC, and families
 * not offered (EAFNOSUPPORT). */
#include "fsutil.h"
#include <sys/socket.h>

static void opt(int s, int level, int name, const char *what) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(s, level, name, &v, &l) < 0) { printf("%s: -1 %s\n", what, strerrorname_np(errno)); return; }
  printf("%s: %d (len %d)\n", what, v, (int)l);
}

int main(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  opt(sv[0], SOL_SOCKET, SO_TYPE, "SO_TYPE");
  opt(sv[0], SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");
  opt(sv[0], SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL");
  opt(sv[0], SOL_SOCKET, SO_ERROR, "SO_ERROR");
  opt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN");
  opt(sv[0], SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED");
  int on = 1;
  T(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  opt(sv[0], SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED after");
  int sz = 65536;
  T(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz));
  opt(sv[0], SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
  T(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz));
  opt(sv[0], SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
  T(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, 2));
  int v;
  socklen_t l = 2;
  T(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l));
  printf("short len %d\n", (int)l);
  T(getsockopt(sv[0], 12345, 1, &v, &l));
  l = sizeof v;
  T(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &l));
  T(getsockopt(0, SOL_SOCKET, SO_TYPE, &v, &l));
  T(getsockopt(99, SOL_SOCKET, SO_TYPE, &v, &l));
  T(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, (socklen_t *)8));
  write(sv[1], "hello", 5);
  int n = -1;
  T(ioctl(sv[0], FIONREAD, &n));
  printf("FIONREAD %d\n", n);
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  T(fcntl(s, F_GETFD));
  T(fcntl(s, F_GETFL) & O_NONBLOCK ? 1 : 0);
  char b;
  T(recv(s, &b, 1, 0));
  T(socket(AF_INET6 + 100, SOCK_STREAM, 0));
  /* (unknown type flags are EINVAL on Linux; qemu 7.2 masks them off, so not printed) */
  T(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8));
  T(shutdown(sv[0], 7));
  T(shutdown(0, SHUT_RD));
  return 0;
}
