/* select and pselect6: readiness of pipes, regular files, eventfd, sockets; the fd_sets
 * rewritten to what is ready; timeouts (zero, expiring, and the remaining time written
 * back by select), nfds limits (EINVAL), EBADF for a closed descriptor in a set, EFAULT,
 * pselect's signal mask letting a blocked signal interrupt (EINTR), and a thread waking a
 * blocked select. */
#include "fsutil.h"
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>

static int wp;
static void *writer(void *a) { (void)a; usleep(50000); write(wp, "x", 1); return NULL; }
static volatile int got;
static void on_usr1(int s) { (void)s; got = 1; }

static void show_sets(const char *what, int r, int n, fd_set *rd, fd_set *wr) {
  printf("%s = %d", what, r);
  if (r < 0) printf(" %s", strerrorname_np(errno));
  else {
    printf(" rd:");
    for (int i = 0; i < n; i++) if (rd && FD_ISSET(i, rd)) printf(" %d", i);
    printf(" wr:");
    for (int i = 0; i < n; i++) if (wr && FD_ISSET(i, wr)) printf(" %d", i);
  }
  printf("\n");
  fflush(stdout);
}

int main(void) {
  scratch_begin();
  int p[2];
  pipe(p); /* 3, 4 */
  put("f", "data");
  int f = open("f", O_RDONLY); /* 5 */
  int e = eventfd(0, 0); /* 6 */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv); /* 7, 8 */
  fd_set rd, wr;
  struct timeval tv = { 0, 0 };
  FD_ZERO(&rd); FD_ZERO(&wr);
  FD_SET(p[0], &rd); FD_SET(p[1], &wr); FD_SET(f, &rd); FD_SET(f, &wr); FD_SET(e, &rd); FD_SET(e, &wr); FD_SET(sv[0], &rd); FD_SET(sv[0], &wr);
  show_sets("initial", select(9, &rd, &wr, NULL, &tv), 9, &rd, &wr);
  write(p[1], "a", 1);
  eventfd_write(e, 1);
  write(sv[1], "s", 1);
  FD_ZERO(&rd); FD_ZERO(&wr);
  FD_SET(p[0], &rd); FD_SET(e, &rd); FD_SET(sv[0], &rd);
  tv = (struct timeval){ 0, 0 };
  show_sets("after writes", select(9, &rd, &wr, NULL, &tv), 9, &rd, NULL);
  /* timeouts */
  char c;
  read(p[0], &c, 1);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  tv = (struct timeval){ 0, 100000 };
  show_sets("timeout", select(p[0] + 1, &rd, NULL, NULL, &tv), 9, &rd, NULL);
  printf("remaining after timeout: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
  /* a thread wakes a blocked select; the remaining time shrinks but stays positive */
  wp = p[1];
  pthread_t th;
  pthread_create(&th, NULL, writer, NULL);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  tv = (struct timeval){ 5, 0 };
  show_sets("woken", select(p[0] + 1, &rd, NULL, NULL, &tv), 9, &rd, NULL);
  printf("remaining in (0,5): %d\n", tv.tv_sec < 5 && (tv.tv_sec > 0 || tv.tv_usec > 0));
  pthread_join(th, NULL);
  read(p[0], &c, 1);
  /* errors */
  FD_ZERO(&rd);
  FD_SET(20, &rd);
  tv = (struct timeval){ 0, 0 };
  T(select(21, &rd, NULL, NULL, &tv));
  T(select(-1, NULL, NULL, NULL, &tv));
  tv = (struct timeval){ 0, -1 };
  T(select(1, NULL, NULL, NULL, &tv));
  tv = (struct timeval){ 0, 0 };
  T(select(9, (fd_set *)8, NULL, NULL, &tv));
  T(select(0, NULL, NULL, NULL, &tv));
  /* exceptfds: nothing exceptional on a pipe */
  fd_set ex;
  FD_ZERO(&ex);
  FD_SET(p[0], &ex);
  show_sets("exceptfds", select(p[0] + 1, NULL, NULL, &ex, &tv), 9, &ex, NULL);
  /* pselect: the mask lets SIGUSR1 in while it waits */
  signal(SIGUSR1, on_usr1);
  sigset_t block, empty;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGUSR1);
  printf("pending, not delivered: %d\n", got);
  sigemptyset(&empty);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  struct timespec ts = { 5, 0 };
  T(pselect(p[0] + 1, &rd, NULL, NULL, &ts, &empty));
  printf("delivered in pselect: %d\n", got);
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  printf("mask restored: %d\n", sigismember(&now, SIGUSR1));
  ts = (struct timespec){ 0, 1000000000 };
  T(pselect(1, NULL, NULL, NULL, &ts, NULL));
  ts = (struct timespec){ 0, 0 };
  write(p[1], "z", 1);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  show_sets("pselect ready", pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL), 9, &rd, NULL);
  /* a pipe whose writer closed is readable (EOF); one whose reader closed is writable (EPIPE) */
  read(p[0], &c, 1);
  close(p[1]);
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  show_sets("hangup readable", select(p[0] + 1, &rd, NULL, NULL, &tv), 9, &rd, NULL);
  int q[2];
  pipe(q);
  close(q[0]);
  FD_ZERO(&wr);
  FD_SET(q[1], &wr);
  show_sets("no reader writable", select(q[1] + 1, NULL, &wr, NULL, &tv), 9, NULL, &wr);
  scratch_end();
  return 0;
}
