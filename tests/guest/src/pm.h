/* Shared helpers of the process-model programs (issue 4): each prints only deterministic
   facts (no pids, addresses or times), so the output is the same under qemu-riscv64 and
   in the enclave. */
#ifndef PM_H
#define PM_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
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

/* The state letter in a /proc stat file: `fmt` names it with one %d (a pid, or a tid under
   /proc/self/task); '?' when it cannot be read. */
static inline char pm_state(const char *fmt, int id) {
  char path[64], buf[512];
  snprintf(path, sizeof path, fmt, id);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return '?';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] ? p[2] : '?';
}
/* Waits until that process or thread sleeps: programs order themselves by this, never by sleeping. */
static inline void pm_wait_sleeping(const char *fmt, int id) { while (pm_state(fmt, id) != 'S') sched_yield(); }
#endif
