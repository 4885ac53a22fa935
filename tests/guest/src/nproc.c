/* RLIMIT_NPROC: fork fails with EAGAIN once the user has too many processes. With the
   argument "bomb", a fork bomb under the limit must end (with EAGAIN) instead of taking the
   system down: tests/process.test.ts runs that in the enclave only, because qemu-user itself
   aborts (a TCG assertion) when its forks start failing. */
#include "pm.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  struct rlimit lim = {12, 12};
  ERR("setrlimit NPROC", setrlimit(RLIMIT_NPROC, &lim));
  struct rlimit got;
  getrlimit(RLIMIT_NPROC, &got);
  printf("getrlimit: %ld %ld\n", (long)got.rlim_cur, (long)got.rlim_max);
  lim.rlim_max = 100;
  ERR("raise hard limit", setrlimit(RLIMIT_NPROC, &lim));
  int gate[2];
  pipe(gate);
  int n = 0, err = 0;
  for (int i = 0; i < 40; i++) {
    pid_t p = fork();
    if (p == 0) { char c; close(gate[1]); read(gate[0], &c, 1); _exit(0); }
    if (p < 0) { err = errno; break; }
    n++;
  }
  printf("forks stopped: errno=%s within_limit=%d some=%d\n", strerrorname_np(err), n < 12, n > 0);
  close(gate[1]);
  while (wait(NULL) > 0) {}
  if (argc < 2 || strcmp(argv[1], "bomb") != 0) return 0;
  /* a fork bomb: every process forks as long as it can; leaves exit after */
  pid_t bomb = fork();
  if (bomb == 0) {
    int failed = 0;
    for (int round = 0; round < 64; round++) {
      pid_t p = fork();
      if (p < 0) { failed = errno == EAGAIN; break; }
      if (p == 0) continue; /* the child forks too */
      int st;
      waitpid(p, &st, 0);
      failed |= WEXITSTATUS(st);
      break;
    }
    _exit(failed);
  }
  int st;
  waitpid(bomb, &st, 0);
  printf("fork bomb: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  return 0;
}
