/* ioprio_get/ioprio_set (block/ioprio.c) as an unprivileged user: the value derived from the
 * nice value while no class is set (best-effort, (nice + 20) / 5; idle under SCHED_IDLE),
 * classes and levels, EPERM for the real-time class, EINVAL for bad classes, levels and
 * "which", ESRCH, other processes and threads (per thread), inheritance by fork and threads,
 * IOPRIO_WHO_PGRP (the best of the group; the program makes its own group). Not here:
 * IOPRIO_WHO_USER (on the recording host it sees every process of uid 1000) and ioprio_set with
 * IOPRIO_WHO_PGRP (qemu-user's own helper thread keeps uid 0 after setuid: EPERM there). */
#define _GNU_SOURCE
#include "fsutil.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sched.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#define PRIO(c, l) (((c) << 13) | (l))
static long get(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long set(int which, int who, int prio) { return syscall(SYS_ioprio_set, which, who, prio); }

static volatile int th_tid;
static int go[2];
static void *thread_fn(void *arg) {
  (void)arg;
  printf("thread inherits: %ld\n", get(IOPRIO_WHO_PROCESS, 0));
  fflush(stdout);
  th_tid = gettid();
  char c;
  if (read(go[0], &c, 1) != 1) return NULL;
  return NULL;
}

int main(void) {
  become_user();
  setpgid(0, 0); /* a group of its own: IOPRIO_WHO_PGRP sees only this program's processes */
  T(get(IOPRIO_WHO_PROCESS, 0));
  T(get(IOPRIO_WHO_PROCESS, getpid()));
  T(get(0, 0));
  T(get(4, 0));
  T(get(IOPRIO_WHO_PROCESS, 4000000));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(1, 0)));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(4, 0)));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(7, 0)));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(0, 1)));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(2, 7)));
  T(get(IOPRIO_WHO_PROCESS, 0));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(2, 8)));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(3, 0)));
  T(get(IOPRIO_WHO_PROCESS, 0));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(3, 5)));
  T(get(IOPRIO_WHO_PROCESS, 0));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(0, 0)));
  T(get(IOPRIO_WHO_PROCESS, 0));
  T(setpriority(PRIO_PROCESS, 0, 7));
  T(get(IOPRIO_WHO_PROCESS, 0));
  T(set(5, 0, PRIO(2, 1)));
  T(set(IOPRIO_WHO_PROCESS, 4000000, PRIO(2, 1)));
  T(set(IOPRIO_WHO_PROCESS, 0, PRIO(2, 2)));
  fflush(stdout);
  int ready[2];
  pipe(ready);
  pid_t c = fork();
  if (c == 0) {
    printf("child inherits: %ld\n", get(IOPRIO_WHO_PROCESS, 0));
    fflush(stdout);
    write(ready[1], "r", 1);
    pause();
    _exit(0);
  }
  char r;
  read(ready[0], &r, 1);
  T(get(IOPRIO_WHO_PROCESS, c));
  T(set(IOPRIO_WHO_PROCESS, c, PRIO(2, 6)));
  T(get(IOPRIO_WHO_PROCESS, c));
  T(get(IOPRIO_WHO_PGRP, 0));
  T(get(IOPRIO_WHO_PGRP, getpgrp()));
  T(get(IOPRIO_WHO_PROCESS, c));
  T(get(IOPRIO_WHO_PGRP, 0));
  T(get(IOPRIO_WHO_PGRP, 4000000));
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  pipe(go);
  pthread_t th;
  pthread_create(&th, NULL, thread_fn, NULL);
  while (!th_tid) sched_yield();
  T(set(IOPRIO_WHO_PROCESS, th_tid, PRIO(3, 0)));
  T(get(IOPRIO_WHO_PROCESS, th_tid));
  T(get(IOPRIO_WHO_PROCESS, 0));
  write(go[1], "x", 1);
  pthread_join(th, NULL);
  return 0;
}
