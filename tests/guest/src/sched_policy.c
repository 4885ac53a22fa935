/* Scheduling policy and nice for the unprivileged user: sched_get_priority_min/max,
   sched_getscheduler/getparam, sched_setscheduler (SCHED_BATCH and SCHED_IDLE allowed,
   real-time EPERM without RLIMIT_RTPRIO, leaving SCHED_IDLE EPERM, bad values EINVAL,
   ESRCH), SCHED_RESET_ON_FORK, getpriority/setpriority/nice (raising nice allowed, lowering
   EACCES, clamping, PRIO_PGRP/PRIO_USER, a fork child and a thread inherit it),
   sched_setaffinity (empty mask EINVAL), getcpu, sched_rr_get_interval. */
#include "pm.h"
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static const char *pol(int p) {
  switch (p & ~SCHED_RESET_ON_FORK) {
  case SCHED_OTHER: return "OTHER";
  case SCHED_FIFO: return "FIFO";
  case SCHED_RR: return "RR";
  case SCHED_BATCH: return "BATCH";
  case SCHED_IDLE: return "IDLE";
  default: return "?";
  }
}

static void *thread_nice(void *arg) {
  (void)arg;
  errno = 0;
  return (void *)(long)getpriority(PRIO_PROCESS, 0);
}

int main(void) {
  pm_drop_root();
  struct rlimit z = {0, 0};
  setrlimit(RLIMIT_RTPRIO, &z);
  setrlimit(RLIMIT_NICE, &z);
  int ps[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE, 4, 42};
  for (int i = 0; i < 8; i++) {
    errno = 0;
    int mx = sched_get_priority_max(ps[i]), e1 = errno;
    int mn = sched_get_priority_min(ps[i]);
    printf("policy %d: max %d min %d %s\n", ps[i], mx, mn, mx < 0 ? strerrorname_np(e1) : "");
  }
  printf("getscheduler: %s\n", pol(sched_getscheduler(0)));
  struct sched_param sp = {.sched_priority = 7};
  SHOW("getparam", sched_getparam(0, &sp));
  printf("priority %d\n", sp.sched_priority);
  ERR("getscheduler -1", sched_getscheduler(-1));
  ERR("getscheduler no such pid", sched_getscheduler(0x3ffffff0));
  ERR("getparam NULL", syscall(SYS_sched_getparam, 0, NULL));
  ERR("getparam bad ptr", syscall(SYS_sched_getparam, 0, (void *)8));
  sp.sched_priority = 10;
  ERR("setscheduler FIFO 10", sched_setscheduler(0, SCHED_FIFO, &sp));
  ERR("setscheduler RR 10", sched_setscheduler(0, SCHED_RR, &sp));
  sp.sched_priority = 100;
  ERR("setscheduler FIFO 100", sched_setscheduler(0, SCHED_FIFO, &sp));
  sp.sched_priority = 0;
  ERR("setscheduler FIFO 0", sched_setscheduler(0, SCHED_FIFO, &sp));
  sp.sched_priority = 1;
  ERR("setscheduler OTHER 1", sched_setscheduler(0, SCHED_OTHER, &sp));
  sp.sched_priority = 0;
  ERR("setscheduler policy 42", sched_setscheduler(0, 42, &sp));
  ERR("setscheduler policy -1", sched_setscheduler(0, -1, &sp));
  ERR("setscheduler DEADLINE", sched_setscheduler(0, SCHED_DEADLINE, &sp));
  ERR("setscheduler NULL", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
  ERR("setscheduler bad ptr", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)8));
  ERR("setscheduler no such pid", sched_setscheduler(0x3ffffff0, SCHED_OTHER, &sp));
  SHOW("setscheduler BATCH", sched_setscheduler(0, SCHED_BATCH, &sp));
  printf("now: %s\n", pol(sched_getscheduler(0)));
  SHOW("setscheduler OTHER|RESET_ON_FORK", sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp));
  int g = sched_getscheduler(0);
  printf("now: %s reset-on-fork %d\n", pol(g), (g & SCHED_RESET_ON_FORK) != 0);
  ERR("clear RESET_ON_FORK", sched_setscheduler(0, SCHED_OTHER, &sp));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(sched_getscheduler(0) & SCHED_RESET_ON_FORK ? 1 : 0);
  int st;
  waitpid(c, &st, 0);
  printf("fork child keeps reset-on-fork: %d\n", WEXITSTATUS(st));
  fflush(stdout);
  c = fork();
  if (c == 0) {
    printf("child: setscheduler IDLE %d, then %s\n", sched_setscheduler(0, SCHED_IDLE, &sp), pol(sched_getscheduler(0)));
    errno = 0;
    int r = sched_setscheduler(0, SCHED_OTHER, &sp);
    printf("child: leave IDLE: %d %s\n", r, r ? strerrorname_np(errno) : "ok");
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, &st, 0);
  ERR("setparam 5", sched_setparam(0, &(struct sched_param){.sched_priority = 5}));
  SHOW("setparam 0", sched_setparam(0, &(struct sched_param){.sched_priority = 0}));

  /* nice */
  errno = 0;
  printf("getpriority: %d %s\n", getpriority(PRIO_PROCESS, 0), errno ? strerrorname_np(errno) : "");
  SHOW("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
  printf("getpriority: %d\n", getpriority(PRIO_PROCESS, 0));
  ERR("setpriority 4 (lower)", setpriority(PRIO_PROCESS, 0, 4));
  SHOW("setpriority 100 (clamped)", setpriority(PRIO_PROCESS, 0, 100));
  printf("getpriority: %d\n", getpriority(PRIO_PROCESS, 0));
  errno = 0;
  int n = nice(-1);
  printf("nice(-1): %d %s\n", n, errno ? strerrorname_np(errno) : "ok");
  fflush(stdout);
  c = fork();
  if (c == 0) {
    /* a group of its own (the parent's group under qemu holds the test runner) */
    setpgid(0, 0);
    setpriority(PRIO_PROCESS, 0, 10);
    SHOW("child: setpriority PRIO_PGRP 0 12", setpriority(PRIO_PGRP, 0, 12));
    printf("child: getpriority PRIO_PGRP: %d\n", getpriority(PRIO_PGRP, 0));
    printf("child: getpriority self: %d\n", getpriority(PRIO_PROCESS, 0));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, &st, 0);
  ERR("setpriority PRIO_USER of another user", setpriority(PRIO_USER, 4242, 19));
  ERR("getpriority bad which", getpriority(7, 0));
  ERR("getpriority no such pid", getpriority(PRIO_PROCESS, 0x3ffffff0));
  ERR("setpriority no such pid", setpriority(PRIO_PROCESS, 0x3ffffff0, 19));
  fflush(stdout);
  c = fork();
  if (c == 0) _exit(getpriority(PRIO_PROCESS, 0));
  waitpid(c, &st, 0);
  printf("fork child's nice: %d\n", WEXITSTATUS(st));
  pthread_t th;
  void *tr;
  pthread_create(&th, NULL, thread_nice, NULL);
  pthread_join(th, &tr);
  printf("thread's nice: %ld\n", (long)tr);

  /* affinity, getcpu, rr interval */
  cpu_set_t set;
  CPU_ZERO(&set);
  ERR("setaffinity empty", sched_setaffinity(0, sizeof set, &set));
  CPU_SET(0, &set);
  SHOW("setaffinity cpu0", sched_setaffinity(0, sizeof set, &set));
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  printf("getaffinity: count %d cpu0 %d\n", CPU_COUNT(&set), CPU_ISSET(0, &set));
  ERR("setaffinity bad ptr", syscall(SYS_sched_setaffinity, 0, sizeof set, (void *)8));
  ERR("setaffinity no such pid", sched_setaffinity(0x3ffffff0, sizeof set, &set));
  unsigned cpu = 99, node = 99;
  SHOW("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
  printf("cpu %u node %u\n", cpu, node);
  struct timespec ts;
  SHOW("sched_rr_get_interval", sched_rr_get_interval(0, &ts));
  ERR("sched_rr_get_interval -1", sched_rr_get_interval(-1, &ts));
  ERR("sched_rr_get_interval bad ptr", syscall(SYS_sched_rr_get_interval, 0, (void *)8));
  return 0;
}
