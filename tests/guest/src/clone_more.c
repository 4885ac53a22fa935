/* clone beyond fork and threads (not in cases.json: qemu 7.2 rejects CLONE_VM without
   CLONE_THREAD and exit signals other than SIGCHLD with EINVAL, answers clone3 with ENOSYS,
   and forks for vfork; tests/process.test.ts checks Linux's documented behaviour):
   CLONE_VM processes share memory, vfork's parent waits and sees the child's writes,
   posix_spawn reports the exec error, clone exit signals (another signal, none, SIGCHLD again after execve) with
   __WCLONE/__WALL, CLONE_CHILD_CLEARTID in a CLONE_VM child, clone3's struct checks and
   CLONE_CLEAR_SIGHAND, and the leader's status when the main thread ends first. */
#include "pm.h"
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static volatile int shared_var, late_var;
static char stacks[4][65536] __attribute__((aligned(16)));
static volatile pid_t ctid = -1;

static int writer(void *arg) { (void)arg; shared_var = 42; return 3; }
static int slow_writer(void *arg) { (void)arg; usleep(50000); late_var = 1; _exit(0); }
static int plain(void *arg) { return (int)(long)arg; }

static long clone3(struct clone_args *a, size_t size) { return syscall(SYS_clone3, a, size); }

static void *late_thread(void *arg) { (void)arg; usleep(50000); syscall(SYS_exit, 9); return NULL; }

static int exec_self(void *arg) {
  (void)arg;
  char *av[] = {"clone_more", "exit5", NULL};
  execv("/proc/self/exe", av);
  _exit(99);
}

int main(int ac, char **av) {
  if (ac > 1 && strcmp(av[1], "exit5") == 0) _exit(5);
  int st;
  /* CLONE_VM without CLONE_THREAD */
  pid_t p = clone(writer, stacks[0] + sizeof stacks[0], CLONE_VM | SIGCHLD, NULL);
  pid_t r = waitpid(p, &st, 0);
  printf("CLONE_VM child: reaped %d exit %d, its write seen %d\n", r == p, WEXITSTATUS(st), shared_var == 42);
  /* CLONE_VM|CLONE_VFORK: the parent resumes only when the child exits */
  p = clone(slow_writer, stacks[1] + sizeof stacks[1], CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
  printf("CLONE_VFORK: child done before the parent resumed %d\n", late_var == 1);
  waitpid(p, &st, 0);
  /* vfork(): memory shared until _exit */
  shared_var = 0;
  p = vfork();
  if (p == 0) { shared_var = 5; _exit(0); }
  waitpid(p, &st, 0);
  printf("vfork: the child's write seen %d\n", shared_var == 5);
  /* posix_spawn: the exec error comes back through the shared memory */
  char *argv[] = {"nope", NULL};
  pid_t sp;
  int e = posix_spawn(&sp, "/nonexistent/program", NULL, NULL, argv, NULL);
  printf("posix_spawn of a missing file: %s\n", e ? strerrorname_np(e) : "0");
  /* exit signal SIGUSR1: a "clone" child */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  p = clone(plain, stacks[2] + sizeof stacks[2], SIGUSR1, (void *)6);
  siginfo_t si;
  int s = sigwaitinfo(&set, &si);
  printf("exit signal: %s code %d status %d pid ok %d\n", sigabbrev_np(s), si.si_code, si.si_status, si.si_pid == p);
  errno = 0;
  printf("waitpid without __WCLONE: %d %s\n", waitpid(p, &st, WNOHANG), strerrorname_np(errno));
  r = waitpid(p, &st, __WCLONE);
  printf("waitpid __WCLONE: %d exit %d\n", r == p, WEXITSTATUS(st));
  /* exit signal 0: nothing is sent; __WALL reaps it */
  p = clone(plain, stacks[2] + sizeof stacks[2], 0, (void *)8);
  struct timespec ts = {0, 100000000};
  errno = 0;
  s = sigtimedwait(&set, &si, &ts);
  printf("exit signal 0: %d %s\n", s, strerrorname_np(errno));
  r = waitpid(-1, &st, __WALL);
  printf("waitpid __WALL: %d exit %d\n", r == p, WEXITSTATUS(st));
  /* a normal child is not a __WCLONE child */
  p = fork();
  if (p == 0) _exit(1);
  sigwaitinfo(&set, &si);
  errno = 0;
  printf("__WCLONE with a fork child: %d %s\n", waitpid(-1, &st, __WCLONE), strerrorname_np(errno));
  printf("__WALL: %d\n", waitpid(-1, &st, __WALL) == p);
  /* execve makes the exit signal SIGCHLD again (fs/exec.c de_thread) */
  p = clone(exec_self, stacks[2] + sizeof stacks[2], SIGUSR1, NULL);
  s = sigwaitinfo(&set, &si);
  r = waitpid(p, &st, 0);
  printf("exit signal USR1, then execve: %s, waitpid without __WCLONE %d exit %d\n", sigabbrev_np(s), r == p, WEXITSTATUS(st));
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  /* CLONE_CHILD_CLEARTID in a CLONE_VM child: the word is zeroed and waiters woken */
  p = clone(plain, stacks[3] + sizeof stacks[3], CLONE_VM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, (void *)0, NULL, NULL, &ctid);
  for (pid_t v; (v = ctid) != 0;) syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
  printf("CLONE_CHILD_CLEARTID: cleared\n");
  waitpid(p, &st, 0);

  /* clone3 checks */
  struct { struct clone_args a; uint64_t extra[2]; } big;
  struct clone_args a;
#define C3(label, size) do { errno = 0; long _r = clone3(&a, (size)); if (_r == 0) _exit(0); \
    printf("clone3 %s: %s\n", label, _r < 0 ? strerrorname_np(errno) : "created"); if (_r > 0) waitpid(_r, NULL, __WALL); } while (0)
  memset(&a, 0, sizeof a);
  a.exit_signal = SIGCHLD;
  C3("size 63", 63);
  C3("size 4097", 4097);
  memset(&big, 0, sizeof big);
  big.a.exit_signal = SIGCHLD;
  big.extra[1] = 1;
  errno = 0;
  long lr = clone3(&big.a, sizeof big);
  if (lr == 0) _exit(0);
  printf("clone3 larger struct, nonzero tail: %s\n", lr < 0 ? strerrorname_np(errno) : "created");
  big.extra[1] = 0;
  lr = clone3(&big.a, sizeof big);
  if (lr == 0) _exit(0);
  printf("clone3 larger struct, zero tail: %s\n", lr < 0 ? strerrorname_np(errno) : "created");
  if (lr > 0) waitpid(lr, NULL, 0);
  a.exit_signal = 65;
  C3("exit_signal 65", sizeof a);
  a.exit_signal = SIGCHLD;
  a.flags = SIGCHLD;
  C3("CSIGNAL bits in flags", sizeof a);
  a.flags = CLONE_DETACHED;
  C3("CLONE_DETACHED", sizeof a);
  a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
  C3("CLONE_THREAD with an exit signal", sizeof a);
  a.flags = 0;
  a.stack = (uint64_t)(uintptr_t)stacks[0];
  C3("stack without size", sizeof a);
  a.stack = 0;
  a.stack_size = 4096;
  C3("size without stack", sizeof a);
  a.stack_size = 0;
  pid_t want = 99999;
  a.set_tid = (uint64_t)(uintptr_t)&want;
  C3("set_tid without size", sizeof a);
  a.set_tid_size = 1;
  C3("set_tid", sizeof a);
  a.set_tid_size = 33;
  C3("set_tid_size 33", sizeof a);
  a.set_tid = 0;
  a.set_tid_size = 1;
  C3("set_tid_size without set_tid", sizeof a);
  a.set_tid_size = 0;
  a.flags = CLONE_SIGHAND | CLONE_VM | CLONE_CLEAR_SIGHAND;
  C3("CLONE_SIGHAND|CLONE_CLEAR_SIGHAND", sizeof a);
  a.flags = CLONE_INTO_CGROUP;
  C3("CLONE_INTO_CGROUP, v0 size", 64);
  a.flags = 1ULL << 40;
  C3("unknown high flag", sizeof a);
  /* CLONE_CLEAR_SIGHAND: handlers reset, ignored signals stay ignored */
  signal(SIGUSR1, (void (*)(int))_exit);
  signal(SIGUSR2, SIG_IGN);
  memset(&a, 0, sizeof a);
  a.flags = CLONE_CLEAR_SIGHAND;
  a.exit_signal = SIGCHLD;
  lr = clone3(&a, sizeof a);
  if (lr == 0) { raise(SIGUSR2); raise(SIGUSR1); _exit(0); }
  waitpid(lr, &st, 0);
  printf("CLONE_CLEAR_SIGHAND: killed by %s\n", WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "nothing");
  signal(SIGUSR1, SIG_DFL);
  signal(SIGUSR2, SIG_DFL);
  /* clone3 with a parent tid and a fork-like child */
  pid_t ptid = 0;
  memset(&a, 0, sizeof a);
  a.flags = CLONE_PARENT_SETTID;
  a.parent_tid = (uint64_t)(uintptr_t)&ptid;
  a.exit_signal = SIGCHLD;
  lr = clone3(&a, sizeof a);
  if (lr == 0) _exit(4);
  waitpid(lr, &st, 0);
  printf("clone3 fork-like: parent_tid ok %d exit %d\n", ptid == lr, WEXITSTATUS(st));

  /* the leader's status wins when the main thread ends first (Linux; qemu gives the last thread's) */
  p = fork();
  if (p == 0) {
    pthread_t t;
    pthread_create(&t, NULL, late_thread, NULL);
    syscall(SYS_exit, 7);
  }
  waitpid(p, &st, 0);
  printf("leader exit 7, last thread exit 9: status %d\n", WEXITSTATUS(st));
  return 0;
}
