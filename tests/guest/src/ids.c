/* getpid/getppid/gettid relations in processes and threads, getpgid/getsid/getpgrp, and
   ESRCH for ids that do not exist. */
#include "pm.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long ttid, tpid;
static void *th(void *a) { (void)a; ttid = syscall(SYS_gettid); tpid = getpid(); return NULL; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t me = getpid();
  printf("main: tid==pid %d pgrp==getpgid(0) %d getpgid(self)==getpgid(0) %d getsid(self)==getsid(0) %d\n",
         syscall(SYS_gettid) == me, getpgrp() == getpgid(0), getpgid(me) == getpgid(0), getsid(me) == getsid(0));
  pthread_t t;
  pthread_create(&t, NULL, th, NULL);
  pthread_join(t, NULL);
  printf("thread: tid!=pid %d pid same %d\n", ttid != me, tpid == me);
  pid_t p = fork();
  if (p == 0) {
    printf("child: ppid==parent %d pid!=parent %d tid==pid %d pgid inherited %d sid inherited %d\n",
           getppid() == me, getpid() != me, syscall(SYS_gettid) == getpid(), getpgid(0) == getpgid(me), getsid(0) == getsid(me));
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  ERR("getpgid(reaped)", getpgid(p));
  ERR("getsid(reaped)", getsid(p));
  ERR("getpgid(huge)", getpgid(0x3ffffff0));
  ERR("getsid(huge)", getsid(0x3ffffff0));
  ERR("getpgid(-1)", getpgid(-1));
  /* orphan: a grandchild whose parent exited is reparented (its ppid changes) */
  int pfd[2], ready[2];
  pipe(pfd);
  pipe(ready);
  p = fork();
  if (p == 0) {
    pid_t g = fork();
    if (g == 0) {
      pid_t before = getppid();
      write(ready[1], "r", 1);
      char c;
      read(pfd[0], &c, 1);  /* wait until the middle process is gone */
      usleep(20000);
      char r = getppid() != before ? 'y' : 'n';
      write(pfd[1], &r, 1);
      _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    _exit(0);
  }
  waitpid(p, &st, 0);
  write(pfd[1], "g", 1);
  usleep(100000);
  char r = '?';
  read(pfd[0], &r, 1);
  printf("orphan reparented: %c\n", r);
  return 0;
}
