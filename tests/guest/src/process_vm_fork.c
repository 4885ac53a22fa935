/* process_vm_readv/process_vm_writev on a fork child (on sgx another enclave, reached through
   its kernel): reading the child's own copy of a buffer, writing into it (the child sees it),
   scatter/gather, a partial read stopping at the child's PROT_NONE page, a write to its
   read-only page EFAULT, EPERM once the child is not dumpable, ESRCH once it has exited. */
#include "pm.h"
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define R(expr) do { errno = 0; long r_ = (expr); printf("%-52s = %ld%s%s\n", #expr, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

static long rv(int pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn) {
  return syscall(SYS_process_vm_readv, pid, l, ln, r, rn, 0);
}
static long wv(int pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn) {
  return syscall(SYS_process_vm_writev, pid, l, ln, r, rn, 0);
}

static char buf[64] = "parent's words, before the fork";
static char big[3 * 4096];

int main(void) {
  pm_drop_root();
  prctl(PR_SET_DUMPABLE, 1); /* Linux makes a process that changed its uid non-dumpable */
  setvbuf(stdout, NULL, _IONBF, 0);
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(m, 'p', 3 * 4096);
  int to_child[2], to_parent[2];
  if (pipe(to_child) || pipe(to_parent)) return 1;
  pid_t c = fork();
  if (c == 0) {
    strcpy(buf, "the child's own words, changed");
    memset(m, 'c', 3 * 4096);
    mprotect(m + 4096, 4096, PROT_NONE);
    mprotect(m + 8192, 4096, PROT_READ);
    char x;
    write(to_parent[1], "r", 1);
    read(to_child[0], &x, 1); /* the parent has read and written */
    printf("child: buf=%s\n", buf);
    prctl(PR_SET_DUMPABLE, 0);
    write(to_parent[1], "d", 1);
    read(to_child[0], &x, 1);
    _exit(0);
  }
  char x;
  read(to_parent[0], &x, 1);
  char a[40] = {0}, b[40] = {0};
  struct iovec l[2] = {{a, 10}, {b, 30}}, r[2] = {{buf, 4}, {buf + 10, 36}};
  R(rv(c, l, 2, r, 2));
  printf("a=%s b=%s\n", a, b);
  printf("parent's buf: %s\n", buf);
  struct iovec lw = {"WRITTEN", 7}, rw = {buf + 4, 7};
  R(wv(c, &lw, 1, &rw, 1));
  /* the child's m: page 0 'c', page 1 PROT_NONE, page 2 read-only */
  struct iovec lb = {big, sizeof big}, rb = {m + 4096 - 300, 1000};
  R(rv(c, &lb, 1, &rb, 1));
  printf("read: %.5s\n", big);
  rb.iov_base = m + 4096;
  R(rv(c, &lb, 1, &rb, 1));
  rb.iov_base = m + 8192; rb.iov_len = 4096;
  R(rv(c, &lb, 1, &rb, 1));
  R(wv(c, &lb, 1, &rb, 1));
  rb.iov_base = m + 100; rb.iov_len = 50;
  R(wv(c, &lb, 1, &rb, 1));
  struct iovec lbad = {(void *)8, 16};
  R(wv(c, &lbad, 1, &rb, 1));
  R(rv(c, &lbad, 1, &rb, 1));
  write(to_child[1], "g", 1);
  read(to_parent[0], &x, 1); /* not dumpable now */
  R(rv(c, l, 2, r, 2));
  R(wv(c, &lw, 1, &rw, 1));
  write(to_child[1], "g", 1);
  int st;
  waitpid(c, &st, 0);
  R(rv(c, l, 2, r, 2));
  printf("parent's buf: %s\n", buf);
  return 0;
}
