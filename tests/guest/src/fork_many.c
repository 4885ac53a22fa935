/* 200 children alive at once (each blocked on a pipe), then released and reaped; the sum of
   their exit statuses shows every one was reaped exactly once. */
#include "pm.h"
#include <sys/wait.h>

int main(void) {
  int gate[2];
  pipe(gate);
  int n = 200;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) { printf("fork %d failed: %s\n", i, strerrorname_np(errno)); return 1; }
    if (p == 0) {
      close(gate[1]);
      char c;
      read(gate[0], &c, 1); /* EOF when the parent closes the write end */
      _exit(i % 7);
    }
  }
  close(gate[1]);
  long sum = 0;
  int reaped = 0, st;
  pid_t w;
  while ((w = wait(&st)) > 0) {
    reaped++;
    sum += WEXITSTATUS(st);
  }
  long want = 0;
  for (int i = 0; i < n; i++) want += i % 7;
  printf("reaped=%d sum_ok=%d then=%s\n", reaped, sum == want, strerrorname_np(errno));
  return 0;
}
