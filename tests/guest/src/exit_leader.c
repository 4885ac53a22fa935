/* The main thread ends with SYS_exit while another thread lives: the process stays (getpid,
   kill(pid, 0), its threads keep running), the parent's WNOHANG wait sees nothing until the
   last thread ends, and then it reports the exit status (every thread exits 7 here: qemu
   reports the last thread's code where Linux reports the leader's; tests/process.test.ts
   checks Linux's rule in the enclave). Also exit_group from a second thread while the main
   thread sleeps. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int gate[2], report[2];
static pid_t self;

static void *survivor(void *arg) {
  (void)arg;
  char c;
  read(gate[0], &c, 1); /* the parent says when */
  char msg[64];
  int n = snprintf(msg, sizeof msg, "getpid same %d, kill(self,0) %d\n", getpid() == self, kill(self, 0));
  write(report[1], msg, n);
  syscall(SYS_exit, 7);
  return NULL;
}

static void *grouper(void *arg) {
  (void)arg;
  usleep(50000);
  syscall(SYS_exit_group, 12);
  return NULL;
}

int main(int argc, char **argv) {
  (void)argc; (void)argv;
  pipe(gate);
  pipe(report);
  int st;
  pid_t p = fork();
  if (p == 0) {
    self = getpid();
    pthread_t t;
    pthread_create(&t, NULL, survivor, NULL);
    syscall(SYS_exit, 7); /* the main thread alone */
  }
  usleep(100000);
  printf("after the main thread's exit, WNOHANG: %d\n", waitpid(p, &st, WNOHANG));
  printf("kill(pid, 0): %d\n", kill(p, 0));
  write(gate[1], "x", 1);
  char buf[128];
  int n = read(report[0], buf, sizeof buf);
  printf("survivor says: %.*s", n, buf);
  pid_t r = waitpid(p, &st, 0);
  printf("reaped: pid ok %d exited %d code %d\n", r == p, WIFEXITED(st), WEXITSTATUS(st));

  /* exit_group from a second thread ends the main thread too */
  p = fork();
  if (p == 0) {
    pthread_t t;
    pthread_create(&t, NULL, grouper, NULL);
    for (;;) pause();
  }
  waitpid(p, &st, 0);
  printf("exit_group from a thread: exited %d code %d\n", WIFEXITED(st), WEXITSTATUS(st));

  /* a signal to a process whose leader is gone still finds a thread */
  p = fork();
  if (p == 0) {
    pthread_t t;
    pthread_create(&t, NULL, survivor, NULL);
    syscall(SYS_exit, 0);
  }
  usleep(50000);
  kill(p, SIGTERM);
  waitpid(p, &st, 0);
  printf("SIGTERM with the leader gone: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
  return 0;
}
