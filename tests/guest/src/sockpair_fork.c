/* Socket pairs made before fork and used across it (on SGX the child is another enclave: the
   pair moves onto two sealed host channels at fork, boundaries kept). Stream: bytes queued
   before fork reach the child, replies in several writes, end of file after shutdown and after
   close, EPIPE once the child is gone. Seqpacket: message boundaries, MSG_PEEK, MSG_TRUNC.
   Datagram: one datagram per recv. SO_PEERCRED is the creator's. Also a pipe written in three
   writes by a child before the parent reads (tests/sgx-fork.test.ts drops the middle record). */
#include "fsutil.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void readall(const char *label, int fd) {
  char buf[256];
  long n = 0, r;
  while (n < (long)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  buf[n] = 0;
  if (r < 0) printf("%s: %ld bytes [%s], then -1 %s\n", label, n, buf, strerrorname_np(errno));
  else printf("%s: %ld bytes [%s], then %ld\n", label, n, buf, r);
  fflush(stdout);
}

int main(void) {
  int p[2], sv[2], st;
  signal(SIGPIPE, SIG_IGN);

  /* A pipe: three records queued before the parent reads. */
  if (pipe(p)) return 1;
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    write(p[1], "one\n", 4);
    write(p[1], "two\n", 4);
    write(p[1], "three\n", 6);
    _exit(0);
  }
  close(p[1]);
  waitpid(c, &st, 0);
  readall("pipe", p[0]);
  close(p[0]);

  /* Stream. */
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 1;
  T(write(sv[0], "before fork", 11));
  pid_t parent = getpid();
  fflush(stdout);
  c = fork();
  if (c == 0) {
    close(sv[0]);
    char buf[64] = {0};
    T(read(sv[1], buf, sizeof buf - 1));
    printf("child got [%s]\n", buf);
    struct ucred cr;
    socklen_t len = sizeof cr;
    T(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cr, &len));
    printf("child: peer pid is the parent %d\n", cr.pid == parent);
    int type = 0;
    len = sizeof type;
    T(getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &type, &len));
    printf("child: type %d\n", type);
    T(write(sv[1], "abc", 3));
    T(write(sv[1], "def", 3));
    T(write(sv[1], "ghi", 3));
    int sh = shutdown(sv[1], SHUT_WR); /* printed after: the parent's reading races with it */
    readall("child reads the parent's reply", sv[1]);
    printf("child's shutdown(SHUT_WR) = %d\n", sh);
    fflush(stdout);
    _exit(3);
  }
  close(sv[1]);
  readall("parent reads the stream", sv[0]);
  long w = write(sv[0], "bye", 3);
  int sh = shutdown(sv[0], SHUT_WR);
  waitpid(c, &st, 0);
  printf("parent wrote %ld, shutdown %d\n", w, sh);
  printf("child exit %d\n", WEXITSTATUS(st));
  T(write(sv[0], "x", 1));
  char b1[8];
  T(read(sv[0], b1, sizeof b1));
  close(sv[0]);

  /* Seqpacket: boundaries, MSG_PEEK, MSG_TRUNC. */
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) return 1;
  T(send(sv[0], "first message", 13, 0));
  T(send(sv[0], "2nd", 3, 0));
  T(send(sv[0], "third one", 9, 0));
  fflush(stdout);
  c = fork();
  if (c == 0) {
    close(sv[0]);
    char buf[64];
    T(recv(sv[1], buf, sizeof buf, MSG_PEEK));
    T(recv(sv[1], buf, 5, 0));
    T(recv(sv[1], buf, sizeof buf, 0));
    T(recv(sv[1], buf, 2, MSG_TRUNC));
    T(send(sv[1], "a", 1, 0));
    T(send(sv[1], "bcdef", 5, 0));
    T(send(sv[1], "gh", 2, 0));
    _exit(0);
  }
  close(sv[1]);
  waitpid(c, &st, 0);
  char buf[64];
  for (int i = 0; i < 4; i++) {
    long r = recv(sv[0], buf, sizeof buf, 0);
    printf("parent seqpacket recv %d: %ld%s%.*s\n", i, r, r > 0 ? " " : "", r > 0 ? (int)r : 0, buf);
  }
  close(sv[0]);

  /* Datagram. */
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) return 1;
  fflush(stdout);
  c = fork();
  if (c == 0) {
    T(send(sv[1], "dgram one", 9, 0));
    T(send(sv[1], "two", 3, 0));
    T(send(sv[1], "", 0, 0));
    T(send(sv[1], "four!", 5, 0));
    _exit(0);
  }
  waitpid(c, &st, 0);
  for (int i = 0; i < 4; i++) {
    long r = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
    printf("parent dgram recv %d: %ld%s%.*s\n", i, r, r > 0 ? " " : "", r > 0 ? (int)r : 0, buf);
  }
  long r = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
  printf("then: %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  close(sv[0]);
  close(sv[1]);
  return 0;
}
