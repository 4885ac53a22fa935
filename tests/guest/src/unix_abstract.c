/* Abstract AF_UNIX names: bind with a leading NUL (no file created), names that differ only
 * after an embedded NUL, the exact address length given back by getsockname, EADDRINUSE on a
 * second bind, the name freed when the socket closes, connect to a missing name
 * (ECONNREFUSED), autobind (an empty bind picks a 5-hex-digit name), and a stream pair over
 * an abstract listener. */
#include "fsutil.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static socklen_t abs_addr(struct sockaddr_un *a, const char *name, size_t len) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  memcpy(a->sun_path + 1, name, len);
  return offsetof(struct sockaddr_un, sun_path) + 1 + len;
}

int main(void) {
  scratch_begin();
  struct sockaddr_un a, b, got;
  socklen_t la = abs_addr(&a, "teeos-abs-1", 11);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  T(bind(l, (struct sockaddr *)&a, la));
  T(access("teeos-abs-1", F_OK));
  socklen_t gl = sizeof got;
  T(getsockname(l, (struct sockaddr *)&got, &gl));
  printf("len %d first byte %d name %.11s\n", (int)gl, got.sun_path[0], got.sun_path + 1);
  int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
  T(bind(l2, (struct sockaddr *)&a, la));
  socklen_t lb = abs_addr(&b, "teeos-abs-1\0x", 13);
  T(bind(l2, (struct sockaddr *)&b, lb));
  T(listen(l, 4));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  T(connect(c, (struct sockaddr *)&a, la));
  int s = accept(l, NULL, NULL);
  T(write(c, "hi", 2));
  char buf[8] = {0};
  T(read(s, buf, sizeof buf));
  printf("%s\n", buf);
  gl = sizeof got;
  T(getpeername(c, (struct sockaddr *)&got, &gl));
  printf("peer len %d\n", (int)gl);
  int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
  T(connect(c2, (struct sockaddr *)&b, lb - 1));
  close(l);
  close(s);
  int l3 = socket(AF_UNIX, SOCK_DGRAM, 0);
  T(bind(l3, (struct sockaddr *)&a, la));
  /* autobind */
  int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un empty = { .sun_family = AF_UNIX };
  T(bind(ab, (struct sockaddr *)&empty, sizeof(sa_family_t)));
  gl = sizeof got;
  T(getsockname(ab, (struct sockaddr *)&got, &gl));
  int hex = 1;
  for (int i = 1; i < 6; i++) hex &= (got.sun_path[i] >= '0' && got.sun_path[i] <= '9') || (got.sun_path[i] >= 'a' && got.sun_path[i] <= 'f');
  printf("autobind len %d abstract %d hex %d\n", (int)gl, got.sun_path[0] == 0, hex);
  T(bind(ab, (struct sockaddr *)&b, lb));
  scratch_end();
  return 0;
}
