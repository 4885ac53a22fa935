/* MAP_SHARED anonymous memory a child writes and its parent reads after a write(2) in between:
   the parent reads exactly what the child wrote, as on Linux. (On TEE OS's SGX model this memory
   is shared across enclaves only as untrusted shared memory; tests/sgx-ushm.test.ts runs it with
   a hostile host that reads the secret and flips a bit of it: that host is allowed to.) */
#include "pm.h"
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) { perror("mmap"); return 1; }
  pid_t p = fork();
  if (p == 0) {
    strcpy(m, "a secret the child wrote");
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  write(1, "child done\n", 11);
  printf("parent reads: %s\n", m);
  return WEXITSTATUS(st);
}
