/* Unix domain sockets: socketpair (stream, dgram, seqpacket), MSG_PEEK/MSG_DONTWAIT/MSG_TRUNC,
 * shutdown and EPIPE, socket options (SO_TYPE, SO_ERROR, SO_PEERCRED, SO_ACCEPTCONN), bind to
 * a path and to an abstract name, listen/accept/connect across fork, getsockname/getpeername,
 * SCM_RIGHTS (a pipe passed over a socket) and SCM_CREDENTIALS, socket nodes, error paths. */
#include "fsutil.h"
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t mkaddr(struct sockaddr_un *a, const char *path, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (abstract) {
    strcpy(a->sun_path + 1, path);
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
  }
  strcpy(a->sun_path, path);
  return sizeof *a;
}

static void pairs(void) {
  int sv[2];
  char b[64];
  T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  T(write(sv[0], "hello", 5));
  T(write(sv[0], " world", 6));
  T(recv(sv[1], b, sizeof b, MSG_PEEK));
  T(recv(sv[1], b, 3, 0));
  b[3] = 0; printf("got %s\n", b);
  T(read(sv[1], b, sizeof b));
  T(recv(sv[1], b, sizeof b, MSG_DONTWAIT));
  int v; socklen_t l = sizeof v;
  T(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l)); printf("SO_TYPE %d len %d\n", v, (int)l);
  T(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &l)); printf("SO_ERROR %d\n", v);
  T(getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &l)); printf("SO_ACCEPTCONN %d\n", v);
  struct ucred uc; l = sizeof uc;
  T(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &l));
  printf("peercred pid==getpid %d uid==getuid %d gid==getgid %d len %d\n", uc.pid == getpid(), uc.uid == getuid(), uc.gid == getgid(), (int)l);
  T(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &l));
  T(getsockopt(sv[0], 6 /* SOL_TCP */, 1, &v, &l));
  /* shutdown: the peer reads EOF; writing after SHUT_WR is EPIPE (SIGPIPE ignored here). */
  T(shutdown(sv[0], SHUT_WR));
  T(read(sv[1], b, sizeof b));
  T(send(sv[0], "x", 1, MSG_NOSIGNAL));
  T(write(sv[1], "back", 4));
  T(read(sv[0], b, sizeof b));
  T(shutdown(sv[0], 7));
  close(sv[1]);
  T(write(sv[0], "x", 1));
  close(sv[0]);

  T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  T(send(sv[0], "one", 3, 0));
  T(send(sv[0], "second", 6, 0));
  T(send(sv[0], "", 0, 0));
  T(recv(sv[1], b, 2, 0));
  T(recv(sv[1], b, 2, MSG_TRUNC));
  T(recv(sv[1], b, sizeof b, 0));
  T(recv(sv[1], b, sizeof b, MSG_DONTWAIT));
  struct msghdr m = {0};
  struct iovec io = { b, 2 };
  m.msg_iov = &io; m.msg_iovlen = 1;
  T(send(sv[0], "truncated", 9, 0));
  T(recvmsg(sv[1], &m, 0));
  printf("msg_flags MSG_TRUNC %d\n", !!(m.msg_flags & MSG_TRUNC));
  close(sv[0]); close(sv[1]);

  T(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
  T(write(sv[0], "abc", 3));
  T(write(sv[0], "defgh", 5));
  T(read(sv[1], b, sizeof b));
  T(read(sv[1], b, 2));
  close(sv[0]);
  T(read(sv[1], b, sizeof b));
  close(sv[1]);

  T(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
  T(fcntl(sv[0], F_GETFD));
  T(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  T(read(sv[0], b, 1));
  close(sv[0]); close(sv[1]);
  T(socketpair(AF_INET, SOCK_STREAM, 0, sv));
  T(socketpair(AF_UNIX, 9, 0, sv));
  T(socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
  int plain = open("plain", O_CREAT | O_RDWR, 0644);
  T(shutdown(plain, SHUT_RD));
  close(plain);
  unlink("plain");
  T(shutdown(99, SHUT_RD));
}

static void named(void) {
  struct sockaddr_un a, got;
  socklen_t al = mkaddr(&a, "srv.sock", 0), gl;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  OK(s);
  T(connect(s, (struct sockaddr *)&a, al));
  T(bind(s, (struct sockaddr *)&a, al));
  T(bind(s, (struct sockaddr *)&a, al));
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  T(bind(s2, (struct sockaddr *)&a, al));
  close(s2);
  struct stat st;
  T(lstat("srv.sock", &st));
  printf("S_ISSOCK %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 0777);
  T(open("srv.sock", O_RDONLY));
  gl = sizeof got;
  T(getsockname(s, (struct sockaddr *)&got, &gl));
  printf("name %s len %d\n", got.sun_path, (int)gl);
  T(accept(s, NULL, NULL));
  T(listen(s, 5));
  int v; socklen_t l = sizeof v;
  T(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &l)); printf("SO_ACCEPTCONN %d\n", v);
  fcntl(s, F_SETFL, O_NONBLOCK);
  T(accept(s, NULL, NULL));
  fcntl(s, F_SETFL, 0);
  pid_t c = fork();
  if (c == 0) {
    int cs = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(cs, (struct sockaddr *)&a, al)) { printf("child connect: %s\n", strerrorname_np(errno)); _exit(1); }
    struct sockaddr_un p; socklen_t pl = sizeof p;
    getpeername(cs, (struct sockaddr *)&p, &pl);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "peer=%s,%d", p.sun_path, (int)pl);
    write(cs, buf, n);
    n = read(cs, buf, sizeof buf);
    _exit(n == 4 && !memcmp(buf, "pong", 4) ? 7 : 1);
  }
  struct sockaddr_un peer; socklen_t pl = sizeof peer;
  memset(&peer, 0x55, sizeof peer);
  int as = accept4(s, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
  OK(as);
  printf("accepted peer len %d family %d cloexec %d\n", (int)pl, peer.sun_family, fcntl(as, F_GETFD));
  char b[64] = {0};
  T(read(as, b, sizeof b - 1));
  printf("child said %s\n", b);
  struct ucred uc; l = sizeof uc;
  T(getsockopt(as, SOL_SOCKET, SO_PEERCRED, &uc, &l));
  printf("peer pid is the child %d\n", uc.pid == c);
  T(write(as, "pong", 4));
  int status;
  waitpid(c, &status, 0);
  printf("child status %d\n", WEXITSTATUS(status));
  T(read(as, b, sizeof b));
  close(as);
  close(s);
  /* The node stays; nobody listens: ECONNREFUSED. A missing path: ENOENT. */
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  T(connect(s, (struct sockaddr *)&a, al));
  al = mkaddr(&a, "missing.sock", 0);
  T(connect(s, (struct sockaddr *)&a, al));
  al = mkaddr(&a, "plainfile", 0);
  close(open("plainfile", O_CREAT | O_WRONLY, 0644));
  T(connect(s, (struct sockaddr *)&a, al));
  close(s);
  T(unlink("srv.sock"));
  T(unlink("plainfile"));
}

static void abstract_and_dgram(void) {
  struct sockaddr_un a, from;
  socklen_t al = mkaddr(&a, "teeos-test-abstract", 1), fl;
  int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
  T(bind(srv, (struct sockaddr *)&a, al));
  int other = socket(AF_UNIX, SOCK_DGRAM, 0);
  T(bind(other, (struct sockaddr *)&a, al));
  struct sockaddr_un ca;
  socklen_t cal = mkaddr(&ca, "client.sock", 0);
  T(bind(other, (struct sockaddr *)&ca, cal));
  T(sendto(other, "dgram", 5, 0, (struct sockaddr *)&a, al));
  char b[64];
  fl = sizeof from;
  memset(&from, 0, sizeof from);
  T(recvfrom(srv, b, sizeof b, 0, (struct sockaddr *)&from, &fl));
  printf("from %s len %d\n", from.sun_path, (int)fl);
  T(sendto(srv, "reply", 5, 0, (struct sockaddr *)&from, fl));
  T(recv(other, b, sizeof b, 0));
  struct sockaddr_un g; socklen_t gl = sizeof g;
  T(getsockname(srv, (struct sockaddr *)&g, &gl));
  printf("abstract name len %d first byte %d rest %s\n", (int)gl, g.sun_path[0], g.sun_path + 1);
  T(connect(other, (struct sockaddr *)&a, al));
  T(send(other, "connected", 9, 0));
  T(recv(srv, b, sizeof b, 0));
  close(srv);
  T(send(other, "gone", 4, 0));
  close(other);
  T(unlink("client.sock"));
  /* A stream socket may not connect to a datagram one. */
  srv = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(srv, (struct sockaddr *)&a, al);
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  T(connect(st, (struct sockaddr *)&a, al));
  close(st);
  close(srv);
  /* autobind: binding with only the family gives a 5-character abstract name. */
  int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un x = { .sun_family = AF_UNIX };
  T(bind(ab, (struct sockaddr *)&x, sizeof(sa_family_t)));
  gl = sizeof g;
  T(getsockname(ab, (struct sockaddr *)&g, &gl));
  printf("autobind len %d abstract %d\n", (int)gl, g.sun_path[0] == 0);
  close(ab);
}

static void rights(void) {
  int sv[2], p[2];
  T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  T(pipe(p));
  char data[] = "fd";
  struct iovec io = { data, 2 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(2 * sizeof(int))]; } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = CMSG_SPACE(2 * sizeof(int)) };
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  int two[2] = { p[0], p[1] };
  memcpy(CMSG_DATA(c), two, sizeof two);
  T(sendmsg(sv[0], &m, 0));
  close(p[0]); close(p[1]);
  char rb[8];
  struct iovec rio = { rb, sizeof rb };
  union { struct cmsghdr h; char buf[256]; } ru;
  struct msghdr rm = { .msg_iov = &rio, .msg_iovlen = 1, .msg_control = ru.buf, .msg_controllen = sizeof ru.buf };
  T(recvmsg(sv[1], &rm, MSG_CMSG_CLOEXEC));
  struct cmsghdr *rc = CMSG_FIRSTHDR(&rm);
  printf("cmsg level %d type %d len %d controllen %d flags %d\n", rc->cmsg_level, rc->cmsg_type, (int)rc->cmsg_len, (int)rm.msg_controllen, rm.msg_flags);
  int got[2];
  memcpy(got, CMSG_DATA(rc), sizeof got);
  printf("received fds are new %d cloexec %d\n", got[0] > sv[1] && got[1] > sv[1], fcntl(got[0], F_GETFD));
  T(write(got[1], "through", 7));
  char b[16] = {0};
  T(read(got[0], b, sizeof b));
  printf("pipe says %s\n", b);
  close(got[0]); close(got[1]);
  /* Too little control room: MSG_CTRUNC, the descriptors that do not fit are closed. */
  T(pipe(p));
  memcpy(CMSG_DATA(c), (int[]){ p[0], p[1] }, 2 * sizeof(int));
  T(sendmsg(sv[0], &m, 0));
  close(p[0]); close(p[1]);
  rm.msg_controllen = CMSG_SPACE(sizeof(int));
  T(recvmsg(sv[1], &rm, 0));
  printf("ctrunc %d controllen %d\n", !!(rm.msg_flags & MSG_CTRUNC), (int)rm.msg_controllen);
  memcpy(got, CMSG_DATA(CMSG_FIRSTHDR(&rm)), sizeof(int));
  close(got[0]);
  /* A bad descriptor: EBADF, nothing sent. */
  memcpy(CMSG_DATA(c), (int[]){ 999, 998 }, 2 * sizeof(int));
  T(sendmsg(sv[0], &m, 0));
  T(recv(sv[1], b, sizeof b, MSG_DONTWAIT));
  /* SCM_CREDENTIALS: the receiver asks with SO_PASSCRED. */
  int on = 1;
  T(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  T(send(sv[0], "cred", 4, 0));
  rm.msg_controllen = sizeof ru.buf;
  T(recvmsg(sv[1], &rm, 0));
  rc = CMSG_FIRSTHDR(&rm);
  struct ucred uc;
  memcpy(&uc, CMSG_DATA(rc), sizeof uc);
  printf("cred cmsg type %d pid==getpid %d uid==getuid %d\n", rc->cmsg_type, uc.pid == getpid(), uc.uid == getuid());
  /* Sending credentials that are not one's own: EPERM. */
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(struct ucred))]; } cu;
  memset(&cu, 0, sizeof cu);
  struct msghdr cm = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cu.buf, .msg_controllen = sizeof cu.buf };
  struct cmsghdr *cc = CMSG_FIRSTHDR(&cm);
  cc->cmsg_level = SOL_SOCKET; cc->cmsg_type = SCM_CREDENTIALS; cc->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred mine = { getpid(), getuid(), getgid() };
  memcpy(CMSG_DATA(cc), &mine, sizeof mine);
  T(sendmsg(sv[0], &cm, 0));
  mine.pid = getpid() + 1;
  memcpy(CMSG_DATA(cc), &mine, sizeof mine);
  T(sendmsg(sv[0], &cm, 0));
  close(sv[0]); close(sv[1]);
  T(send(0, "x", 1, 0));
}

int main(void) {
  scratch_begin();
  signal(SIGPIPE, SIG_IGN);
  pairs();
  named();
  abstract_and_dgram();
  rights();
  scratch_end();
  return 0;
}
