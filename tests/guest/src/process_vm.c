/* process_vm_readv/process_vm_writev (mm/process_vm_access.c) within the caller's own process
   and to one of its threads by id: scatter/gather across local and remote iovecs, zero-length
   work is 0 before the pid is looked at, flags EINVAL, UIO_MAXIOV and negative lengths
   EINVAL, bad iovec arrays EFAULT, missing pids ESRCH, partial transfers (the bytes done up to
   the first page that faults, remote or local; nothing done: EFAULT), a read-only remote page
   for writev. */
#include "pm.h"
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define R(expr) do { errno = 0; long r_ = (expr); printf("%-62s = %ld%s%s\n", #expr, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static long rv(int pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn, unsigned long fl) {
  return syscall(SYS_process_vm_readv, pid, l, ln, r, rn, fl);
}
static long wv(int pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn, unsigned long fl) {
  return syscall(SYS_process_vm_writev, pid, l, ln, r, rn, fl);
}

static char src[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
static volatile int thread_tid, thread_done;
static char thread_buf[32] = "thread's own words";
static void *thr(void *arg) {
  (void)arg;
  thread_tid = syscall(SYS_gettid);
  while (!thread_done) sched_yield();
  return NULL;
}

int main(void) {
  pm_drop_root();
  int me = getpid();
  char a[16], b[16], c[40];
  memset(a, '.', sizeof a); memset(b, '.', sizeof b); memset(c, '.', sizeof c);
  struct iovec l[2] = {{a, 10}, {b, 12}};
  struct iovec r[3] = {{src, 5}, {src + 20, 0}, {src + 30, 20}};
  R(rv(me, l, 2, r, 3, 0));
  printf("a=%.16s b=%.16s\n", a, b);
  strcpy(c, "-----------------------------------");
  struct iovec lw[2] = {{"HELLO", 5}, {"world!", 6}};
  struct iovec rw[2] = {{c + 2, 3}, {c + 10, 8}};
  R(wv(me, lw, 2, rw, 2, 0));
  printf("c=%s\n", c);
  /* local longer than remote, and the other way */
  struct iovec l1 = {c, 30}, r1 = {src, 4};
  R(rv(me, &l1, 1, &r1, 1, 0));
  l1.iov_len = 3; r1.iov_len = 30;
  R(rv(me, &l1, 1, &r1, 1, 0));

  /* zero work is 0 before anything else is looked at */
  R(rv(999999, l, 0, r, 3, 0));
  R(rv(999999, NULL, 0, (struct iovec *)8, 3, 0));
  struct iovec r0 = {src, 0};
  R(rv(999999, l, 2, &r0, 1, 0));
  R(rv(999999, l, 2, r, 0, 0));
  R(wv(999999, l, 0, r, 3, 0));
  /* arguments */
  R(rv(me, l, 2, r, 3, 1));
  R(wv(me, l, 2, r, 3, 1));
  R(rv(me, l, 1025, r, 3, 0));
  R(rv(me, l, 2, r, 1025, 0));
  R(rv(me, (struct iovec *)8, 2, r, 3, 0));
  R(rv(me, l, 2, (struct iovec *)8, 3, 0));
  struct iovec neg = {a, (size_t)-1};
  R(rv(me, &neg, 1, r, 3, 0));
  R(rv(me, l, 2, &neg, 1, 0));
  R(rv(999999, l, 2, r, 3, 0));
  R(rv(0, l, 2, r, 3, 0));
  R(rv(-1, l, 2, r, 3, 0));
  R(wv(999999, l, 2, r, 3, 0));

  /* partial transfers: page 0 readable and writable, page 1 PROT_NONE, page 2 read-only */
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(m, 'm', 3 * 4096);
  mprotect(m + 4096, 4096, PROT_NONE);
  mprotect(m + 8192, 4096, PROT_READ);
  static char big[8192];
  struct iovec lb = {big, sizeof big}, rb[2] = {{m + 4096 - 100, 200}, {src, 10}};
  R(rv(me, &lb, 1, rb, 2, 0));
  rb[0].iov_base = m + 4096;
  R(rv(me, &lb, 1, rb, 2, 0));
  rb[0].iov_base = m + 8192 - 64; rb[0].iov_len = 128;
  R(rv(me, &lb, 1, rb, 2, 0));
  struct iovec rbad = {(void *)8, 16};
  R(rv(me, &lb, 1, &rbad, 1, 0));
  /* local side faulting: the bytes before the bad local page */
  struct iovec ll = {m + 4096 - 48, 100}, rs = {src, 60};
  R(rv(me, &ll, 1, &rs, 1, 0));
  printf("m tail: %.48s\n", m + 4096 - 48);
  ll.iov_base = m + 8192 - 16; ll.iov_len = 40; /* local read-only page as the destination */
  R(rv(me, &ll, 1, &rs, 1, 0));
  struct iovec lbad = {(void *)8, 16};
  R(rv(me, &lbad, 1, &rs, 1, 0));
  /* writev: remote PROT_NONE and read-only pages */
  struct iovec lsrc = {src, 60}, rdst = {m + 4096 - 20, 60};
  R(wv(me, &lsrc, 1, &rdst, 1, 0));
  printf("m: %.20s\n", m + 4096 - 20);
  rdst.iov_base = m + 8192;
  R(wv(me, &lsrc, 1, &rdst, 1, 0));
  rdst.iov_base = m + 8192 - 16;
  R(wv(me, &lsrc, 1, &rdst, 1, 0));
  struct iovec lsb = {(void *)8, 16};
  rdst.iov_base = m; rdst.iov_len = 16;
  R(wv(me, &lsb, 1, &rdst, 1, 0));

  /* another thread of this process, by its id; a non-dumpable process may still read itself */
  pthread_t th;
  pthread_create(&th, NULL, thr, NULL);
  while (!thread_tid) sched_yield();
  char tb[32] = {0};
  struct iovec lt = {tb, 18}, rt = {thread_buf, 18};
  R(rv(thread_tid, &lt, 1, &rt, 1, 0));
  printf("via thread: %s\n", tb);
  prctl(PR_SET_DUMPABLE, 0);
  R(rv(me, &lt, 1, &rt, 1, 0));
  thread_done = 1;
  pthread_join(th, NULL);
  R(rv(thread_tid, &lt, 1, &rt, 1, 0) < 0 ? -1 : 0);
  return 0;
}
