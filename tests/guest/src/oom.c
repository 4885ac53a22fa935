/* Memory exhaustion in a small enclave (tests/process.test.ts runs it with --memory 16M; it
   is not a qemu case, since the host has gigabytes): mmap of more than exists is ENOMEM
   without MAP_NORESERVE; malloc returns NULL; a child that touches pages past the end is
   killed (SIGKILL, as Linux's OOM killer does) and its parent carries on; the memory
   comes back. */
#include "pm.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static int child_touch(size_t bytes) {
  pid_t p = fork();
  if (p == 0) {
    char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) _exit(2);
    for (size_t i = 0; i < bytes; i += 4096) m[i] = 1;
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  return st;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  void *big = mmap(NULL, (size_t)64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 64M: %s\n", big == MAP_FAILED ? strerrorname_np(errno) : "mapped");
  printf("malloc 64M: %s\n", malloc((size_t)64 << 20) ? "got it" : "NULL");
  /* a child growing its heap in small steps until the memory is gone: killed */
  pid_t p = fork();
  if (p == 0) {
    for (;;) { char *b = malloc(64 * 1024); if (!b) _exit(3); memset(b, 1, 64 * 1024); }
  }
  int st;
  waitpid(p, &st, 0);
  printf("child filling the heap: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  st = child_touch((size_t)64 << 20);
  printf("child touching 64M: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  st = child_touch((size_t)2 << 20);
  printf("child touching 2M after: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  /* fork until memory (or the process limit) runs out, in a child: whichever process the
     OOM killer picks, the enclave and this parent carry on */
  p = fork();
  if (p == 0) {
    int gate[2];
    pipe(gate);
    for (int i = 0; i < 2000; i++) {
      pid_t c = fork();
      if (c == 0) { char ch; close(gate[1]); read(gate[0], &ch, 1); _exit(0); }
      if (c < 0) break;
    }
    close(gate[1]);
    while (wait(NULL) > 0) {}
    _exit(0);
  }
  waitpid(p, &st, 0);
  while (wait(NULL) > 0) {} /* its orphans come to us in the enclave, where we are init */
  printf("fork loop over\n");
  st = child_touch((size_t)2 << 20);
  printf("still works: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return 0;
}
