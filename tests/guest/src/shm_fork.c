/* MAP_SHARED anonymous memory across fork: several children and a grandchild update shared
   counters with atomics; MAP_PRIVATE stays private; munmap in a child leaves the parent's. */
#include "pm.h"
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
  long *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  long *pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int n = 6;
  for (int i = 0; i < n; i++) {
    if (fork() == 0) {
      for (int j = 0; j < 1000; j++) __atomic_fetch_add(&sh[0], 1, __ATOMIC_SEQ_CST);
      pv[0] += 1000;
      if (i == 0 && fork() == 0) { __atomic_fetch_add(&sh[1], 5, __ATOMIC_SEQ_CST); _exit(0); }
      while (wait(NULL) > 0) {}
      munmap(sh, 4096);
      _exit(0);
    }
  }
  while (wait(NULL) > 0) {}
  printf("shared counter=%ld grandchild=%ld private=%ld\n", sh[0], sh[1], pv[0]);
  /* ping-pong through shared memory with sched_yield */
  volatile int *flag = (volatile int *)&sh[2];
  pid_t p = fork();
  if (p == 0) {
    for (int i = 0; i < 50; i++) { while (*flag != 2 * i + 1) { sched_yield(); } *flag = 2 * i + 2; }
    _exit(0);
  }
  for (int i = 0; i < 50; i++) { *flag = 2 * i + 1; while (*flag != 2 * i + 2) sched_yield(); }
  waitpid(p, NULL, 0);
  printf("ping-pong: %d\n", *flag);
  return 0;
}
