/* AF_UNIX datagrams: message boundaries, MSG_TRUNC (returns the real length), MSG_PEEK,
 * sendto/recvfrom with path and abstract names (sender address reported), connect() to
 * fix a peer and EISCONN/ENOTCONN cases, a full receive queue (EAGAIN), zero-length
 * datagrams, ECONNREFUSED after the receiver closes, EMSGSIZE, and SO_TYPE. */
#include "fsutil.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static socklen_t mk(struct sockaddr_un *a, const char *path, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (abstract) { memcpy(a->sun_path + 1, path, strlen(path)); return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path); }
  strcpy(a->sun_path, path);
  return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

int main(void) {
  scratch_begin();
  int sv[2];
  T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  char buf[100];
  T(send(sv[0], "one", 3, 0));
  T(send(sv[0], "two!", 4, 0));
  T(send(sv[0], "", 0, 0));
  T(recv(sv[1], buf, 2, MSG_PEEK));
  T(recv(sv[1], buf, 2, 0));
  T(recv(sv[1], buf, 2, MSG_TRUNC));
  T(recv(sv[1], buf, 10, 0));
  T(recv(sv[1], buf, 10, MSG_DONTWAIT));
  /* named sockets */
  struct sockaddr_un a, b, from;
  socklen_t la = mk(&a, "srv", 0), lb = mk(&b, "teeos-dgram-cli", 1);
  int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
  T(bind(s, (struct sockaddr *)&a, la));
  T(bind(c, (struct sockaddr *)&b, lb));
  T(sendto(c, "hi", 2, 0, (struct sockaddr *)&a, la));
  socklen_t fl = sizeof from;
  T(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
  printf("from len=%d abstract=%d name=%.*s\n", (int)fl, from.sun_path[0] == 0, (int)(fl - offsetof(struct sockaddr_un, sun_path) - 1), from.sun_path + 1);
  T(sendto(s, "back", 4, 0, (struct sockaddr *)&from, fl));
  T(recv(c, buf, sizeof buf, 0));
  /* an unbound sender: the receiver sees an empty address */
  int u = socket(AF_UNIX, SOCK_DGRAM, 0);
  T(sendto(u, "anon", 4, 0, (struct sockaddr *)&a, la));
  fl = sizeof from;
  T(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
  printf("anon from len=%d\n", (int)fl);
  /* connect */
  T(send(u, "x", 1, 0));
  T(connect(u, (struct sockaddr *)&a, la));
  T(send(u, "connected", 9, 0));
  T(recv(s, buf, sizeof buf, 0));
  T(sendto(u, "y", 1, 0, (struct sockaddr *)&b, lb));
  struct sockaddr_un peer;
  socklen_t pl = sizeof peer;
  T(getpeername(u, (struct sockaddr *)&peer, &pl));
  printf("peer %s\n", peer.sun_path);
  /* filling the receiver */
  int n = 0;
  fcntl(c, F_SETFL, O_NONBLOCK);
  int r;
  while ((r = sendto(c, buf, 100, MSG_DONTWAIT, (struct sockaddr *)&a, la)) == 100 && n < 100000) n++;
  printf("queued some: %d, then %s\n", n > 5, strerrorname_np(errno));
  /* errors */
  T(sendto(c, "z", 1, 0, (struct sockaddr *)&from, 0));
  struct sockaddr_un none;
  socklen_t ln = mk(&none, "nobody", 0);
  T(sendto(c, "z", 1, 0, (struct sockaddr *)&none, ln));
  static char huge[300000];
  T(send(sv[0], huge, sizeof huge, 0));
  int t = socket(AF_UNIX, SOCK_DGRAM, 0);
  T(send(t, "z", 1, 0));
  T(bind(t, (struct sockaddr *)&a, la));
  close(s);
  T(send(u, "gone", 4, 0));
  int ty;
  socklen_t tl = sizeof ty;
  T(getsockopt(c, SOL_SOCKET, SO_TYPE, &ty, &tl));
  printf("SO_TYPE %d\n", ty);
  T(listen(c, 1));
  T(accept(c, NULL, NULL));
  scratch_end();
  return 0;
}
