/* One pipe buffer across fork: bytes the parent has not read yet are there for a child forked
   later (busybox sh: `cmd | while read l; do ...; xargs; done` reads a line, then xargs, a new
   child, reads the rest). On SGX the parent's enclave may have fetched them from the host
   channel already: at fork they go back in front of the channel. */
#include "fsutil.h"
#include <sys/wait.h>

int main(void) {
  int p[2], st;
  if (pipe(p)) return 1;
  pid_t w = fork();
  if (w == 0) {
    close(p[0]);
    const char *s = "first\nsecond\nthird\n";
    if (write(p[1], s, strlen(s)) != (ssize_t)strlen(s)) _exit(1);
    _exit(0);
  }
  close(p[1]);
  if (waitpid(w, &st, 0) != w) return 1;
  char c, line[32];
  int n = 0;
  while (read(p[0], &c, 1) == 1 && c != '\n') line[n++] = c; /* one byte at a time, as sh's read */
  line[n] = 0;
  printf("parent read line [%s]\n", line);
  fflush(stdout);
  pid_t r = fork();
  if (r == 0) {
    char buf[64];
    long got = 0, k;
    while ((k = read(p[0], buf + got, sizeof buf - 1 - got)) > 0) got += k;
    buf[got] = 0;
    printf("child read %ld bytes [%s], then %ld\n", got, buf, k);
    fflush(stdout);
    _exit(0);
  }
  close(p[0]);
  if (waitpid(r, &st, 0) != r) return 1;
  printf("child exit %d\n", WEXITSTATUS(st));
  return 0;
}
