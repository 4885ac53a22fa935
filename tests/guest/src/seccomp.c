/*
 * seccomp: strict mode, BPF filters (errno, trace without a tracer, trap with its siginfo, log,
 * kill thread and process, argument checks, precedence between stacked filters, inheritance by
 * fork and by threads through TSYNC), the no_new_privs rule, the checks on a new filter, and
 * SECCOMP_GET_ACTION_AVAIL. Enclave-only (tests/process.test.ts): qemu-user does not run seccomp.
 * Prints nothing architecture-specific, so the same source built natively gives the reference.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH AUDIT_ARCH_RISCV64
#endif

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

#define LOAD(f) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, f))
#define ON(nr, ret) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (ret))

static long sc(unsigned op, unsigned flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }

static void result(const char *what, long r) {
  const char *name = r < 0 ? strerrorname_np(errno) : NULL;
  if (r < 0 && name) printf("%s: -1 %s\n", what, name);
  else if (r < 0) printf("%s: -1 errno %d\n", what, errno);
  else printf("%s: %ld\n", what, r);
}

static int install(struct sock_filter *f, unsigned short n, unsigned flags) {
  struct sock_fprog p = { .len = n, .filter = f };
  return (int)sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

static volatile sig_atomic_t trapped;
static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  printf("SIGSYS %d: code %d (SYS_SECCOMP %d), syscall is getgid %s, arch %s, errno field %d, call address %s\n",
         sig == SIGSYS, si->si_code, si->si_code == SYS_SECCOMP, si->si_syscall == SYS_getgid ? "yes" : "no",
         si->si_arch == ARCH ? "ours" : "other", si->si_errno, si->si_call_addr ? "set" : "null");
  trapped = 1;
}

static void status(const char *who, int st) {
  if (WIFEXITED(st)) printf("%s exited %d\n", who, WEXITSTATUS(st));
  else printf("%s killed by %s\n", who, sigabbrev_np(WTERMSIG(st)));
}

static int pipefd[2];
static void *sleeper(void *arg) {
  (void)arg;
  char c;
  if (read(pipefd[0], &c, 1) != 1) return NULL;
  errno = 0;
  long r = syscall(SYS_getpid);
  printf("thread after TSYNC: getpid %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (getuid() == 0 && (setgid(1000) != 0 || setuid(1000) != 0)) { perror("drop to uid 1000"); return 1; }
  result("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  result("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  result("filter without no_new_privs", install(allow, 1, 0));
  result("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
  result("PR_SET_NO_NEW_PRIVS 1 with arg3", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
  result("PR_SET_NO_NEW_PRIVS 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  result("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  result("PR_GET_NO_NEW_PRIVS with arg2", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));

  unsigned acts[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, 0x12340000 };
  for (unsigned i = 0; i < sizeof acts / sizeof acts[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "GET_ACTION_AVAIL %#x", acts[i]);
    result(what, sc(SECCOMP_GET_ACTION_AVAIL, 0, &acts[i]));
  }
  result("GET_ACTION_AVAIL flags 1", sc(SECCOMP_GET_ACTION_AVAIL, 1, &acts[0]));
  result("GET_ACTION_AVAIL bad pointer", sc(SECCOMP_GET_ACTION_AVAIL, 0, (void *)8));
  result("unknown operation", sc(99, 0, NULL));
  result("STRICT with flags", sc(SECCOMP_SET_MODE_STRICT, 1, NULL));

  struct sock_filter noret[] = { LOAD(nr) };
  struct sock_filter farjump[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_filter past[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_filter odd[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_filter byte[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_filter unset[] = { BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_filter scratch[] = { BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  result("empty filter", install(allow, 0, 0));
  result("no RET at the end", install(noret, 1, 0));
  result("jump past the end", install(farjump, 2, 0));
  result("load past seccomp_data", install(past, 2, 0));
  result("misaligned load", install(odd, 2, 0));
  result("byte load", install(byte, 2, 0));
  result("division by constant 0", install(div0, 2, 0));
  result("read of an unset scratch cell", install(unset, 2, 0));
  result("scratch cell 16", install(scratch, 2, 0));
  result("unknown flag", install(allow, 1, 1u << 10));
  result("filter at a bad address", install((struct sock_filter *)8, 1, 0));
  result("program header at a bad address", sc(SECCOMP_SET_MODE_FILTER, 0, (void *)8));
  result("PR_GET_SECCOMP, nothing installed", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));

  /* Strict mode in a child: read and write work; getpid kills it with SIGKILL. */
  pid_t c = fork();
  if (c == 0) {
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0) _exit(1);
    static const char msg[] = "strict child: write still works\n";
    syscall(SYS_write, 1, msg, sizeof msg - 1);
    syscall(SYS_getpid);
    syscall(SYS_exit, 0);
  }
  int st;
  waitpid(c, &st, 0);
  status("strict child", st);

  /* A filter in a child: every rule's action, then what fork and threads inherit. */
  c = fork();
  if (c == 0) {
    struct sock_filter f[] = {
      LOAD(arch),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      LOAD(nr),
      ON(SYS_getpid, SECCOMP_RET_ERRNO | 42),
      ON(SYS_getuid, SECCOMP_RET_TRACE),
      ON(SYS_getgid, SECCOMP_RET_TRAP | 7),
      ON(SYS_getpgid, SECCOMP_RET_LOG),
      ON(SYS_getsid, SECCOMP_RET_ERRNO | 3),
      ON(SYS_umask, SECCOMP_RET_ERRNO | 5000),
      ON(SYS_uname, SECCOMP_RET_KILL_PROCESS),
      ON(SYS_sethostname, SECCOMP_RET_KILL_THREAD),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 0, 3),
      LOAD(args[0]),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 100, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EBADF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    result("install the filter", install(f, sizeof f / sizeof f[0], 0));
    result("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    result("STRICT after a filter", sc(SECCOMP_SET_MODE_STRICT, 0, NULL));
    result("getpid (ERRNO 42)", syscall(SYS_getpid));
    result("getuid (TRACE, no tracer)", syscall(SYS_getuid));
    struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
    sigaction(SIGSYS, &sa, NULL);
    long r = syscall(SYS_getgid);
    (void)r; /* the first argument again (riscv64) or the number (x86-64): syscall_rollback */
    printf("getgid (TRAP): handler ran %d\n", (int)trapped);
    result("getpgid(0) (LOG)", syscall(SYS_getpgid, 0) > 0);
    result("getsid (ERRNO 3)", syscall(SYS_getsid, 0));
    result("umask (ERRNO 5000, capped)", syscall(SYS_umask, 022));
    result("dup(100) (ERRNO EBADF by argument)", syscall(SYS_dup, 100));
    long d = syscall(SYS_dup, 1);
    printf("dup(1) (allowed): %s\n", d > 2 ? "a new descriptor" : "failed");
    struct sock_filter g[] = { LOAD(nr), ON(SYS_getsid, SECCOMP_RET_ERRNO | 5), ON(SYS_getpid, SECCOMP_RET_ALLOW), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    result("a second filter (TSYNC_ESRCH alone is accepted)", install(g, sizeof g / sizeof g[0], SECCOMP_FILTER_FLAG_TSYNC_ESRCH));
    result("getsid (both ERRNO: the newer filter's 5)", syscall(SYS_getsid, 0));
    result("getpid (older ERRNO beats newer ALLOW)", syscall(SYS_getpid));
    pid_t gc = fork();
    if (gc == 0) {
      result("grandchild getpid (inherited)", syscall(SYS_getpid));
      syscall(SYS_uname, NULL);
      _exit(0);
    }
    waitpid(gc, &st, 0);
    status("grandchild after uname (KILL_PROCESS)", st);
    gc = fork();
    if (gc == 0) {
      syscall(SYS_sethostname, "x", 1);
      _exit(0);
    }
    waitpid(gc, &st, 0);
    status("grandchild after sethostname (KILL_THREAD, its only thread)", st);
    _exit(0);
  }
  waitpid(c, &st, 0);
  status("filtered child", st);

  /* TSYNC: a filter installed by one thread reaches the other. */
  c = fork();
  if (c == 0) {
    pthread_t th;
    if (pipe(pipefd) != 0 || pthread_create(&th, NULL, sleeper, NULL) != 0) _exit(1);
    struct sock_filter f[] = { LOAD(nr), ON(SYS_getpid, SECCOMP_RET_ERRNO | EPERM), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    result("TSYNC filter", install(f, sizeof f / sizeof f[0], SECCOMP_FILTER_FLAG_TSYNC));
    if (write(pipefd[1], "g", 1) != 1) _exit(1);
    pthread_join(th, NULL);
    _exit(0);
  }
  waitpid(c, &st, 0);
  status("TSYNC child", st);
  return 0;
}
