/* sendmmsg and recvmmsg (net/socket.c) over unix sockets: several datagrams per call with their
 * msg_len, per-message addresses, MSG_DONTWAIT and EAGAIN, MSG_WAITFORONE (blocking for the
 * first only, woken by a thread), MSG_TRUNC and MSG_EOR in msg_flags, a stream socket, a fault
 * in a later message of sendmmsg (the count so far) and in the first (EFAULT), EFAULT/EBADF/
 * ENOTSOCK. Not here, because qemu-user does not pass them to the kernel (it loops over
 * recvmsg itself): recvmmsg's timeout (Linux checks it only after each datagram, so it never
 * bounds a wait; a zero timeout returns after the first datagram; EINVAL/EFAULT for a bad one)
 * and the error a failed later message leaves in the socket (sk_err, returned by the next
 * call). TEE OS follows Linux there. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s = -1 %s\n", what, strerrorname_np(errno));
  else printf("%s = %ld\n", what, r);
  fflush(stdout);
}
#define T(e) show(#e, (long)(e))

#define N 6
static struct mmsghdr mm[N];
static struct iovec iov[N];
static char bufs[N][16];
static struct sockaddr_un names[N];
static struct sockaddr_un sender;
static socklen_t sender_len;

static void prep_recv(int n, size_t len) {
  memset(mm, 0, sizeof mm);
  memset(bufs, 0, sizeof bufs);
  memset(names, 0, sizeof names);
  for (int i = 0; i < n; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = len;
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
    mm[i].msg_hdr.msg_name = &names[i];
    mm[i].msg_hdr.msg_namelen = sizeof names[i];
    mm[i].msg_len = 12345;
  }
}

static void show_recv(int n) {
  for (int i = 0; i < n; i++) {
    const struct msghdr *h = &mm[i].msg_hdr;
    printf("  [%d] len %u \"%.*s\" flags 0x%x", i, mm[i].msg_len, (int)(mm[i].msg_len < 16 ? mm[i].msg_len : 16), bufs[i], h->msg_flags);
    /* A name ends with the pid: only whether it is the sender's, whole. */
    if (h->msg_namelen > 2) printf(" name @%.5s... (the sender's: %d)", names[i].sun_path + 1, h->msg_namelen == sender_len && !memcmp(&names[i], &sender, sender_len));
    else printf(" namelen %u", h->msg_namelen);
    printf("\n");
  }
}

static void prep_send(int n, const char **msgs) {
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < n; i++) {
    iov[i].iov_base = (void *)msgs[i];
    iov[i].iov_len = strlen(msgs[i]);
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
    mm[i].msg_len = 12345;
  }
}

static void show_sent(int n) {
  printf("  msg_len:");
  for (int i = 0; i < n; i++) printf(" %u", mm[i].msg_len);
  printf("\n");
}

static int late_fd;
static void *late_sender(void *arg) {
  (void)arg;
  struct timespec ts = {0, 50000000};
  nanosleep(&ts, NULL);
  send(late_fd, "late", 4, 0);
  return NULL;
}

static socklen_t abstract(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(name);
  memcpy(a->sun_path + 1, name, n);
  return (socklen_t)(sizeof(sa_family_t) + 1 + n);
}

/* Linux's recvmmsg timeout and sk_err (argument "linux"; tests/process.test.ts asserts it). */
static void linux_only(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  const char *three[] = {"one", "two", "three"};
  prep_send(3, three);
  T(sendmmsg(sv[0], mm, 3, 0));
  struct timespec to = {0, 0};
  prep_recv(3, 16);
  T(recvmmsg(sv[1], mm, 3, 0, &to));
  printf("timeout left %ld.%09ld\n", (long)to.tv_sec, to.tv_nsec);
  to.tv_sec = 100;
  T(recvmmsg(sv[1], mm, 2, 0, &to));
  printf("timeout left below 100 s: %d, above 99 s: %d\n", to.tv_sec < 100, to.tv_sec >= 99);
  to.tv_nsec = 1000000000;
  T(recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, &to));
  to.tv_nsec = -1;
  T(recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, &to));
  to.tv_sec = -1;
  to.tv_nsec = 0;
  T(recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, &to));
  T(recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, (struct timespec *)1));
  prep_send(2, three);
  T(sendmmsg(sv[0], mm, 2, 0));
  prep_recv(3, 16);
  iov[1].iov_base = (void *)1;
  T(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
  prep_recv(3, 16);
  T(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
  T(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
  show_recv(1);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "linux")) {
    linux_only();
    return 0;
  }
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  const char *three[] = {"one", "two", "three"};

  printf("-- datagrams\n");
  prep_send(3, three);
  T(sendmmsg(sv[0], mm, 3, 0));
  show_sent(3);
  prep_recv(5, 16);
  T(recvmmsg(sv[1], mm, 5, MSG_DONTWAIT, NULL));
  show_recv(4);
  T(recvmmsg(sv[1], mm, 5, MSG_DONTWAIT, NULL));
  T(recvmmsg(sv[1], mm, 0, 0, NULL));
  T(sendmmsg(sv[0], mm, 0, 0));

  printf("-- truncation\n");
  prep_send(2, three + 1);
  T(sendmmsg(sv[0], mm, 2, 0));
  prep_recv(2, 3);
  T(recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, NULL));
  show_recv(2);
  prep_send(1, three + 2);
  T(sendmmsg(sv[0], mm, 1, 0));
  prep_recv(1, 2);
  T(recvmmsg(sv[1], mm, 1, MSG_DONTWAIT | MSG_TRUNC, NULL));
  show_recv(1);

  printf("-- MSG_WAITFORONE\n");
  prep_send(2, three);
  T(sendmmsg(sv[0], mm, 2, 0));
  prep_recv(5, 16);
  T(recvmmsg(sv[1], mm, 5, MSG_WAITFORONE, NULL));
  show_recv(2);
  late_fd = sv[0];
  pthread_t th;
  pthread_create(&th, NULL, late_sender, NULL);
  prep_recv(5, 16);
  T(recvmmsg(sv[1], mm, 5, MSG_WAITFORONE, NULL));
  show_recv(1);
  pthread_join(th, NULL);

  printf("-- errors\n");
  T(sendmmsg(-1, mm, 1, 0));
  T(recvmmsg(-1, mm, 1, 0, NULL));
  int pp[2];
  pipe(pp);
  T(sendmmsg(pp[1], mm, 1, 0));
  T(recvmmsg(pp[0], mm, 1, 0, NULL));
  T(sendmmsg(sv[0], (struct mmsghdr *)1, 1, 0));
  T(recvmmsg(sv[1], (struct mmsghdr *)1, 1, MSG_DONTWAIT, NULL));
  prep_send(3, three);
  mm[1].msg_hdr.msg_iov = (struct iovec *)1;
  T(sendmmsg(sv[0], mm, 3, 0));
  show_sent(3);
  prep_recv(3, 16);
  T(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
  show_recv(1);
  close(sv[0]);
  close(sv[1]);

  printf("-- addresses\n");
  int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un an, bn, sn;
  char tag[32];
  snprintf(tag, sizeof tag, "mmsgA%d", getpid());
  socklen_t al = abstract(&an, tag);
  snprintf(tag, sizeof tag, "mmsgB%d", getpid());
  socklen_t bl = abstract(&bn, tag);
  snprintf(tag, sizeof tag, "mmsgS%d", getpid());
  socklen_t sl = abstract(&sn, tag);
  T(bind(a, (struct sockaddr *)&an, al));
  T(bind(b, (struct sockaddr *)&bn, bl));
  T(bind(s, (struct sockaddr *)&sn, sl));
  sender = sn;
  sender_len = sl;
  prep_send(3, three);
  mm[0].msg_hdr.msg_name = &an; mm[0].msg_hdr.msg_namelen = al;
  mm[1].msg_hdr.msg_name = &bn; mm[1].msg_hdr.msg_namelen = bl;
  mm[2].msg_hdr.msg_name = &an; mm[2].msg_hdr.msg_namelen = al;
  T(sendmmsg(s, mm, 3, 0));
  show_sent(3);
  prep_recv(3, 16);
  T(recvmmsg(a, mm, 3, MSG_DONTWAIT, NULL));
  show_recv(2);
  prep_recv(3, 16);
  T(recvmmsg(b, mm, 3, MSG_DONTWAIT, NULL));
  show_recv(1);
  prep_send(2, three);
  T(sendmmsg(s, mm, 2, 0));
  close(a);
  close(b);
  close(s);

  printf("-- seqpacket and stream\n");
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  prep_send(3, three);
  T(sendmmsg(sv[0], mm, 3, 0));
  show_sent(3);
  prep_recv(4, 16);
  for (int i = 0; i < 4; i++) mm[i].msg_hdr.msg_name = NULL, mm[i].msg_hdr.msg_namelen = 0;
  T(recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, NULL));
  show_recv(3);
  close(sv[0]);
  close(sv[1]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  prep_send(3, three);
  T(sendmmsg(sv[0], mm, 3, 0));
  show_sent(3);
  prep_recv(3, 6);
  for (int i = 0; i < 3; i++) mm[i].msg_hdr.msg_name = NULL, mm[i].msg_hdr.msg_namelen = 0;
  T(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
  show_recv(2);
  close(sv[1]);
  prep_send(1, three);
  T(sendmmsg(sv[0], mm, 1, MSG_NOSIGNAL));
  close(sv[0]);
  return 0;
}
