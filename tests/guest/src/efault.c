/* EFAULT for bad user pointers across the process-model syscalls (NULL-page, unmapped and
   kernel-half addresses), never a crash; write/read of a bad buffer; and calls where a NULL
   pointer is allowed. */
#include "pm.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BAD1 ((void *)8)
#define BAD2 ((void *)0x3000000000UL)
#define BAD3 ((void *)0xffffffff80000000UL)

int main(void) {
  void *bads[] = {BAD1, BAD2, BAD3};
  for (int i = 0; i < 3; i++) {
    void *b = bads[i];
    printf("-- pointer %d\n", i);
    ERR("uname", syscall(SYS_uname, b));
    ERR("clock_gettime", syscall(SYS_clock_gettime, CLOCK_REALTIME, b));
    ERR("gettimeofday", syscall(SYS_gettimeofday, b, NULL));
    ERR("getrusage", syscall(SYS_getrusage, 0, b));
    ERR("times", syscall(SYS_times, b));
    ERR("rt_sigaction act", syscall(SYS_rt_sigaction, SIGUSR1, b, NULL, 8));
    ERR("rt_sigprocmask set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, b, NULL, 8));
    ERR("rt_sigprocmask old", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, b, 8));
    ERR("rt_sigpending", syscall(SYS_rt_sigpending, b, 8));
    ERR("sigaltstack", syscall(SYS_sigaltstack, b, NULL));
    ERR("getresuid", syscall(SYS_getresuid, b, b, b));
    ERR("prlimit64 new", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, b, NULL));
    ERR("prlimit64 old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, b));
    ERR("getrandom", syscall(SYS_getrandom, b, 16, 0));
    ERR("sched_getaffinity", syscall(SYS_sched_getaffinity, 0, 128, b));
    ERR("futex wait", syscall(SYS_futex, b, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0));
    ERR("nanosleep", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, b, NULL));
    ERR("setitimer", syscall(SYS_setitimer, 0, b, NULL));
    ERR("timer_create", syscall(SYS_timer_create, CLOCK_MONOTONIC, b, NULL));
    ERR("execve path", syscall(SYS_execve, b, NULL, NULL));
    ERR("prctl name", syscall(SYS_prctl, 15 /* PR_SET_NAME */, b, 0, 0, 0));
    ERR("write buffer", write(1, b, 4));
    ERR("pipe2", syscall(SYS_pipe2, b, 0));
    ERR("set_tid_address ok", syscall(SYS_set_tid_address, b));
    ERR("wait4 status", ({ pid_t p = fork(); if (p == 0) _exit(0); long r = syscall(SYS_wait4, p, b, 0, NULL); if (r < 0) waitpid(p, NULL, 0); r; }));
  }
  int fds[2];
  pipe(fds);
  write(fds[1], "abcd", 4);
  ERR("read into bad buffer", read(fds[0], BAD2, 4));
  /* NULL where Linux allows it */
  ERR("sigaction NULL NULL", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 8));
  ERR("sigprocmask NULL NULL", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 8));
  ERR("sigaltstack NULL NULL", syscall(SYS_sigaltstack, NULL, NULL));
  ERR("getitimer ok", syscall(SYS_getitimer, 0, &(char[32]){0}));
  ERR("wait4 NULL status", ({ pid_t p = fork(); if (p == 0) _exit(0); syscall(SYS_wait4, p, NULL, 0, NULL); }));
  return 0;
}
