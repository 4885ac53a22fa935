/* process_madvise (mm/madvise.c, Linux 6.18): flags, the iovec import (UIO_MAXIOV, negative
   lengths, EFAULT), pidfds (EBADF; PIDFD_SELF is not a pidfd here in 6.18), advice on one's own memory through a pidfd (any
   madvise advice: DONTNEED zeroes private pages; the bytes advised; a hole, an unaligned range
   or bad advice ending the walk with the bytes done before it), locked memory (COLD/PAGEOUT/
   DONTNEED EINVAL), another process's memory (only COLD/PAGEOUT/WILLNEED/COLLAPSE, then
   CAP_SYS_NICE: EPERM as a user), a non-dumpable process (EACCES), a zombie and a reaped
   process (ESRCH). Not a qemu case: qemu 7.2 answers ENOSYS. The expected output
   (tests/guest/linux/process_madvise.stdout) is what Linux 6.18 (x86-64) printed for this source
   built natively, as uid 1000 (pm_drop_root). MADV_COLLAPSE on one's own memory is not printed
   (it depends on THP). */
#include "pm.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#define MADV_COLLAPSE_ 25
#define PIDFD_SELF_THREAD_GROUP_ (-20000)

static long pmadv(int fd, const struct iovec *v, size_t n, int adv, unsigned flags) {
  return syscall(440, fd, v, n, adv, flags);
}
static int pidfd_open_(pid_t pid) { return (int)syscall(434, pid, 0); }
#define PG 4096

int main(void) {
  pm_drop_root();
  prctl(PR_SET_DUMPABLE, 1); /* dropping root made this process non-dumpable */
  setvbuf(stdout, NULL, _IONBF, 0);
  int self = pidfd_open_(getpid());
  char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + 2 * PG, PG); /* a hole at page 2 */
  memset(m, 'x', 2 * PG);
  m[3 * PG] = 'y';
  struct iovec one = { m, PG };
  struct iovec two[2] = { { m, PG }, { m + PG, 100 } };

  /* checks before the pidfd */
  SHOW("flags 1", pmadv(self, &one, 1, MADV_COLD, 1));
  SHOW("flags 1, bad fd", pmadv(-1, &one, 1, MADV_COLD, 1));
  SHOW("vlen 1025", pmadv(self, &one, 1025, MADV_COLD, 0));
  SHOW("vlen 1025, bad fd", pmadv(-1, &one, 1025, MADV_COLD, 0));
  SHOW("iovec EFAULT", pmadv(self, (struct iovec *)8, 1, MADV_COLD, 0));
  struct iovec neg = { m, (size_t)-1 };
  SHOW("negative length", pmadv(self, &neg, 1, MADV_COLD, 0));
  SHOW("vlen 0", pmadv(self, &one, 0, MADV_COLD, 0));
  SHOW("vlen 0, bad fd", pmadv(-1, &one, 0, MADV_COLD, 0));
  SHOW("bad fd", pmadv(-1, &one, 1, MADV_COLD, 0));
  SHOW("not a pidfd", pmadv(0, &one, 1, MADV_COLD, 0));
  SHOW("closed fd", pmadv(99, &one, 1, MADV_COLD, 0));

  /* one's own memory */
  SHOW("self COLD", pmadv(self, two, 2, MADV_COLD, 0));
  SHOW("self PAGEOUT", pmadv(self, two, 2, MADV_PAGEOUT, 0));
  SHOW("self WILLNEED", pmadv(self, two, 2, MADV_WILLNEED, 0));
  SHOW("self PIDFD_SELF COLD", pmadv(PIDFD_SELF_THREAD_GROUP_, two, 2, MADV_COLD, 0));
  SHOW("self bad advice", pmadv(self, two, 2, 999, 0));
  SHOW("self DONTNEED", pmadv(self, two, 2, MADV_DONTNEED, 0));
  printf("after DONTNEED: %d %d %d\n", m[0], m[PG], m[3 * PG]);
  memset(m, 'x', 2 * PG);
  struct iovec hole[2] = { { m, PG }, { m + PG, 3 * PG } };
  SHOW("hole in second", pmadv(self, hole, 2, MADV_DONTNEED, 0));
  printf("after: %d %d %d\n", m[0], m[PG], m[3 * PG]);
  struct iovec hole1[2] = { { m + 2 * PG, PG }, { m, PG } };
  SHOW("hole first", pmadv(self, hole1, 2, MADV_COLD, 0));
  struct iovec unal[3] = { { m, PG }, { m + 1, PG }, { m, PG } };
  SHOW("unaligned second", pmadv(self, unal, 3, MADV_COLD, 0));
  struct iovec zero[2] = { { m + 1, 0 }, { m, PG } };
  SHOW("unaligned empty first", pmadv(self, zero, 2, MADV_COLD, 0));
  struct iovec empty[2] = { { m, 0 }, { m, PG } };
  SHOW("empty first", pmadv(self, empty, 2, MADV_COLD, 0));
  struct iovec far = { (void *)(uintptr_t)0x100000, PG };
  SHOW("unmapped", pmadv(self, &far, 1, MADV_WILLNEED, 0));
  SHOW("self FREE", pmadv(self, &one, 1, MADV_FREE, 0));
  char *lk = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  struct iovec lkv[2] = { { m, PG }, { lk, PG } };
  SHOW("locked COLD", pmadv(self, lkv, 2, MADV_COLD, 0));
  SHOW("locked PAGEOUT", pmadv(self, lkv + 1, 1, MADV_PAGEOUT, 0));
  SHOW("locked DONTNEED", pmadv(self, lkv + 1, 1, MADV_DONTNEED, 0));
  SHOW("locked WILLNEED", pmadv(self, lkv + 1, 1, MADV_WILLNEED, 0));
  char *sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  sh[0] = 's';
  struct iovec shv = { sh, PG };
  SHOW("shared FREE", pmadv(self, &shv, 1, MADV_FREE, 0));
  SHOW("shared PAGEOUT", pmadv(self, &shv, 1, MADV_PAGEOUT, 0));
  printf("shared after: %c\n", sh[0]);

  /* another process */
  int p2c[2], c2p[2];
  if (pipe(p2c) || pipe(c2p)) return 1;
  pid_t c = fork();
  if (c == 0) {
    char b;
    m[0] = 'c';
    if (write(c2p[1], "r", 1) != 1) _exit(2);
    if (read(p2c[0], &b, 1) != 1) _exit(2);
    prctl(PR_SET_DUMPABLE, 0);
    if (write(c2p[1], "d", 1) != 1) _exit(2);
    if (read(p2c[0], &b, 1) != 1) _exit(2);
    _exit(m[0] == 'c' ? 0 : 3);
  }
  char b;
  if (read(c2p[0], &b, 1) != 1) return 1;
  int cfd = pidfd_open_(c);
  SHOW("child COLD", pmadv(cfd, &one, 1, MADV_COLD, 0));
  SHOW("child PAGEOUT", pmadv(cfd, &one, 1, MADV_PAGEOUT, 0));
  SHOW("child WILLNEED", pmadv(cfd, &one, 1, MADV_WILLNEED, 0));
  SHOW("child COLLAPSE", pmadv(cfd, &one, 1, MADV_COLLAPSE_, 0));
  SHOW("child DONTNEED", pmadv(cfd, &one, 1, MADV_DONTNEED, 0));
  SHOW("child bad advice", pmadv(cfd, &one, 1, 999, 0));
  SHOW("child vlen 0", pmadv(cfd, &one, 0, MADV_DONTNEED, 0));
  if (write(p2c[1], "g", 1) != 1) return 1;
  if (read(c2p[0], &b, 1) != 1) return 1;
  SHOW("non-dumpable COLD", pmadv(cfd, &one, 1, MADV_COLD, 0));
  SHOW("non-dumpable DONTNEED", pmadv(cfd, &one, 1, MADV_DONTNEED, 0));
  if (write(p2c[1], "g", 1) != 1) return 1;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  SHOW("zombie COLD", pmadv(cfd, &one, 1, MADV_COLD, 0));
  SHOW("zombie DONTNEED", pmadv(cfd, &one, 1, MADV_DONTNEED, 0));
  int st;
  waitpid(c, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
  SHOW("reaped COLD", pmadv(cfd, &one, 1, MADV_COLD, 0));
  SHOW("reaped, flags 1", pmadv(cfd, &one, 1, MADV_COLD, 1));
  return 0;
}
