/* clone() for a thread with every thread flag: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|
   SETTLS|PARENT_SETTID|CHILD_SETTID|CHILD_CLEARTID; what the child shares, the TID words, and
   the futex wake on thread exit that pthread_join relies on. */
#include "pm.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static volatile pid_t ptid, ctid;
static volatile long child_tid, child_pid, child_tp, seen_ctid;
static volatile int child_fd = -1;
static void on_usr2(int s) { (void)s; }

static int child(void *arg) {
  (void)arg;
  long tp;
  __asm__ volatile("mv %0, tp" : "=r"(tp));
  child_tp = tp;
  child_tid = syscall(SYS_gettid);
  child_pid = syscall(SYS_getpid);
  seen_ctid = ctid;
  child_fd = open("/dev/null", O_RDONLY);   /* CLONE_FILES: the parent sees it */
  umask(077);                                 /* CLONE_FS: the parent sees it */
  signal(SIGUSR2, on_usr2);                   /* CLONE_SIGHAND: the parent sees it */
  return 0;                                   /* glibc's clone calls SYS_exit */
}

int main(void) {
  size_t sz = 256 * 1024;
  char *stack = malloc(sz);
  long tp;
  __asm__ volatile("mv %0, tp" : "=r"(tp));
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
              CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
  mode_t old = umask(022);
  int tid = clone(child, stack + sz, flags, NULL, &ptid, (void *)tp, &ctid);
  printf("clone: ok=%d ptid_is_tid=%d\n", tid > 0, ptid == tid);
  /* wait for CLONE_CHILD_CLEARTID: the kernel zeroes ctid and does FUTEX_WAKE on it */
  while (ctid != 0) syscall(SYS_futex, &ctid, FUTEX_WAIT, tid, NULL, NULL, 0);
  printf("child: tid_ok=%d same_pid=%d tid_ne_pid=%d tls_ok=%d ctid_was_tid=%d\n",
         child_tid == tid, child_pid == getpid(), child_tid != child_pid, child_tp == tp, seen_ctid == tid);
  printf("shared files: %d\n", child_fd >= 0 && fcntl(child_fd, F_GETFD) == 0);
  mode_t now = umask(old);
  printf("shared fs: umask=%03o\n", (unsigned)now);
  struct sigaction sa;
  sigaction(SIGUSR2, NULL, &sa);
  printf("shared sighand: %d\n", sa.sa_handler == on_usr2);
  printf("ctid cleared: %d\n", ctid == 0);

  /* a thread without CLONE_CHILD_CLEARTID leaves the word alone */
  ctid = 77;
  flags &= ~CLONE_CHILD_CLEARTID;
  flags &= ~CLONE_CHILD_SETTID;
  child_tid = 0;
  tid = clone(child, stack + sz, flags, NULL, &ptid, (void *)tp, &ctid);
  while (child_tid == 0) sched_yield();
  for (int i = 0; i < 100; i++) sched_yield();
  printf("no cleartid: ctid=%d\n", ctid);
  return 0;
}
