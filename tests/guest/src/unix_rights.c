/* SCM_RIGHTS and SCM_CREDENTIALS in detail: several descriptors in one message (they share
 * offsets with the sender's), descriptors sent over a datagram pair and a stream, the
 * received ones being new numbers with MSG_CMSG_CLOEXEC setting FD_CLOEXEC, a message whose
 * descriptors are never received (closed with the socket), SCM_CREDENTIALS with
 * SO_PASSCRED (pid/uid/gid of the sender), sending own credentials explicitly, and an
 * invalid cmsg (EINVAL) or a bad descriptor (EBADF). */
#include "fsutil.h"
#include <sys/socket.h>
#include <sys/un.h>

static int send_fds(int s, int *fds, int n, const char *data) {
  char ctl[CMSG_SPACE(sizeof(int) * 4)];
  memset(ctl, 0, sizeof ctl);
  struct iovec iv = { (void *)data, strlen(data) };
  struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  return sendmsg(s, &m, 0);
}

static int recv_fds(int s, int *out, int flags) {
  char buf[64], ctl[CMSG_SPACE(sizeof(int) * 4)];
  struct iovec iv = { buf, sizeof buf };
  struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
  int r = recvmsg(s, &m, flags);
  if (r < 0) return -1;
  int n = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_type == SCM_RIGHTS) { n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); memcpy(out, CMSG_DATA(c), n * sizeof(int)); }
  printf("received %d bytes, %d fds\n", r, n);
  return n;
}

int main(void) {
  scratch_begin();
  put("a", "AAAAAAAA");
  put("b", "BBBBBBBB");
  int fa = open("a", O_RDONLY), fb = open("b", O_RDONLY);
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  int fds[2] = { fa, fb };
  T(send_fds(sv[0], fds, 2, "two"));
  int got[4];
  int n = recv_fds(sv[1], got, MSG_CMSG_CLOEXEC);
  printf("new numbers: %d cloexec: %d %d\n", n == 2 && got[0] != fa && got[1] != fb, fcntl(got[0], F_GETFD), fcntl(got[1], F_GETFD));
  char c;
  read(got[0], &c, 1);
  printf("shared offset: %ld\n", (long)lseek(fa, 0, SEEK_CUR));
  /* a stream pair, a pipe end sent */
  int st[2], p[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, st);
  pipe(p);
  T(send_fds(st[0], &p[1], 1, "pipe"));
  n = recv_fds(st[1], got, 0);
  T(fcntl(got[0], F_GETFD));
  T(write(got[0], "via", 3));
  char buf[8] = {0};
  T(read(p[0], buf, sizeof buf));
  printf("%s\n", buf);
  /* never received: closed with the socket */
  int sv2[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv2);
  int q[2];
  pipe(q);
  T(send_fds(sv2[0], &q[1], 1, "lost"));
  close(q[1]);
  close(sv2[1]);
  close(sv2[0]);
  T(read(q[0], buf, 1));
  /* credentials */
  int cr[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, cr);
  int on = 1;
  T(setsockopt(cr[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  T(send(cr[0], "c", 1, 0));
  char ctl[CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iv = { buf, sizeof buf };
  struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
  T(recvmsg(cr[1], &m, 0));
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  if (cm && cm->cmsg_type == SCM_CREDENTIALS) {
    struct ucred u;
    memcpy(&u, CMSG_DATA(cm), sizeof u);
    printf("cred pid ok %d uid ok %d gid ok %d\n", u.pid == getpid(), u.uid == getuid(), u.gid == getgid());
  } else printf("no credentials\n");
  /* explicit own credentials */
  struct ucred me = { getpid(), getuid(), getgid() };
  m.msg_controllen = CMSG_SPACE(sizeof me);
  cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_CREDENTIALS;
  cm->cmsg_len = CMSG_LEN(sizeof me);
  memcpy(CMSG_DATA(cm), &me, sizeof me);
  iv.iov_len = 1;
  T(sendmsg(cr[0], &m, 0));
  me.pid = getpid() + 4242; /* someone else (the enclave's first process is pid 1 itself) */
  memcpy(CMSG_DATA(cm), &me, sizeof me);
  T(sendmsg(cr[0], &m, 0));
  /* bad control messages */
  int bad = 99;
  T(send_fds(sv[0], &bad, 1, "bad"));
  m.msg_controllen = CMSG_SPACE(sizeof me);
  cm->cmsg_type = 77;
  T(sendmsg(cr[0], &m, 0));
  scratch_end();
  return 0;
}
