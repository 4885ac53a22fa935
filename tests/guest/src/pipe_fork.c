/* Pipes across fork: parent writes, child reads until EOF; a child killed by SIGPIPE; wait statuses. */
#include "fsutil.h"
#include <sys/wait.h>

int main(void) {
  int p[2], st;
  T(pipe(p));
  pid_t c = fork();
  if (c == 0) {
    close(p[1]);
    char buf[256];
    long total = 0, r;
    while ((r = read(p[0], buf, sizeof buf)) > 0) total += r;
    printf("child read %ld bytes, then %ld\n", total, r);
    _exit(7);
  }
  close(p[0]);
  char data[10000];
  memset(data, 'z', sizeof data);
  T(write(p[1], data, sizeof data));
  close(p[1]);
  T(waitpid(c, &st, 0) == c);
  printf("child exit %d\n", WEXITSTATUS(st));
  /* the child writes to a pipe nobody reads: SIGPIPE kills it. It writes once the parent has
     closed its ends (told through a second pipe), not after a fixed sleep: on the SGX model the
     child is another enclave, and under load 10 ms did not always cover the parent's close. */
  int go[2];
  T(pipe(p));
  T(pipe(go));
  c = fork();
  if (c == 0) {
    close(p[0]);
    close(go[1]);
    char g;
    read(go[0], &g, 1);
    write(p[1], "x", 1);
    _exit(0);
  }
  close(p[0]);
  close(p[1]);
  close(go[0]);
  if (c > 0) T(write(go[1], "g", 1)); /* (a fork an SGX host made fail has no child to tell) */
  close(go[1]);
  waitpid(c, &st, 0);
  printf("signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  /* dup2 onto stdout in the child: its output comes through the pipe */
  T(pipe(p));
  c = fork();
  if (c == 0) {
    dup2(p[1], 1);
    close(p[0]);
    close(p[1]);
    printf("through the pipe\n");
    fflush(stdout);
    _exit(0);
  }
  close(p[1]);
  char buf[64] = {0};
  long n = 0, r;
  while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0) n += r;
  waitpid(c, &st, 0);
  printf("parent got: %s", buf);
  return 0;
}
