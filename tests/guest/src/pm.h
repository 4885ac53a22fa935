/* Shared helpers of the process-model programs (issue 4): each prints only deterministic
   facts (no pids, addresses or times), so the output is the same under qemu-riscv64 and
   in the enclave. */
#ifndef PM_H
#define PM_H
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "label: ret errno-name" for a call returning -1/errno (or a negative pointer-like value). */
#define SHOW(label, expr) do { errno = 0; long _r = (long)(expr); \
  printf("%s: %ld %s\n", (label), _r, _r == -1 ? strerrorname_np(errno) : "ok"); } while (0)
/* Only whether it failed and with which errno (for calls whose success value varies). */
#define ERR(label, expr) do { errno = 0; long _r = (long)(expr); \
  printf("%s: %s\n", (label), _r == -1 ? strerrorname_np(errno) : "ok"); } while (0)

/* The enclave runs as one configured user (uid 1000); qemu-user runs as whoever records the
   expected output (root here). Root bypasses RLIMIT_NPROC and permission checks, so drop
   to 1000 first when we are root; the output then means the same in both. */
static inline void pm_drop_root(void) {
  if (getuid() != 0) return;
  if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) {
    printf("could not drop root\n");
    exit(1);
  }
}
#endif
