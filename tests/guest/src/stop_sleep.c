/* Sleeps and timers across a stop: a nanosleep that spans a stop completes (no EINTR) once
   the child is continued, an alarm that expires while stopped is delivered after SIGCONT,
   and a read blocked on a pipe with a SIGALRM handler (SA_RESTART) keeps waiting. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int out;
static void on_alrm(int s) { (void)s; write(out, "A", 1); }

int main(void) {
  int pp[2], st;
  pipe(pp);
  pid_t c = fork();
  if (c == 0) {
    double t0 = now();
    struct timespec ts = {0, 200000000};
    int r = nanosleep(&ts, NULL);
    char msg[64];
    int n = snprintf(msg, sizeof msg, "nanosleep %d, lasted past the stop %d\n", r, now() - t0 >= 0.35);
    write(pp[1], msg, n);
    _exit(0);
  }
  usleep(50000);
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  usleep(400000);
  kill(c, SIGCONT);
  waitpid(c, &st, 0);
  char buf[80];
  int n = read(pp[0], buf, sizeof buf);
  printf("%.*s", n, buf);

  int data[2];
  pipe(data);
  c = fork();
  if (c == 0) {
    out = pp[1];
    struct sigaction sa = {0};
    sa.sa_handler = on_alrm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    char x;
    int r = read(data[0], &x, 1); /* restarted after the handler */
    char msg[32];
    int k = snprintf(msg, sizeof msg, "|read %d %c", r, x);
    write(pp[1], msg, k);
    _exit(0);
  }
  usleep(100000);
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  usleep(1500000); /* the alarm expires now */
  fd_set fds;
  FD_ZERO(&fds);
  FD_SET(pp[0], &fds);
  struct timeval tv = {0, 0};
  printf("handler ran while stopped: %s\n", select(pp[0] + 1, &fds, NULL, NULL, &tv) > 0 ? "yes" : "no");
  kill(c, SIGCONT);
  n = read(pp[0], buf, 1);
  printf("after SIGCONT: %.*s\n", n, buf);
  write(data[1], "d", 1);
  waitpid(c, &st, 0);
  n = read(pp[0], buf, sizeof buf);
  printf("then %.*s, exit %d\n", n, buf, WEXITSTATUS(st));
  return 0;
}
