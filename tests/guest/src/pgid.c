/* setpgid/setsid rules (kernel/sys.c): group leaders, sessions, EPERM/ESRCH/EINVAL, and
   kill to a process group. Everything that creates a session runs in a child, since the
   top process may or may not be a group leader depending on who started it. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int st;
  pid_t p = fork();
  if (p == 0) {
    pid_t me = getpid();
    printf("child: leader=%d\n", getpgid(0) == me);
    pid_t s = setsid();
    printf("setsid: ret_is_pid=%d sid=%d pgid=%d\n", s == me, getsid(0) == me, getpgid(0) == me);
    ERR("setsid again", setsid());
    ERR("setpgid in own session as leader", setpgid(0, 0));
    /* a grandchild in the new session */
    pid_t g = fork();
    if (g == 0) {
      ERR("grandchild setpgid to own", setpgid(0, 0));
      ERR("grandchild setpgid back", setpgid(0, me));
      ERR("grandchild setpgid to missing group", setpgid(0, 0x3ffffff0));
      ERR("grandchild setsid", setsid());
      ERR("now leader: setpgid", setpgid(0, me));
      _exit(0);
    }
    waitpid(g, &st, 0);
    ERR("setpgid negative", setpgid(0, -1));
    ERR("setpgid not a child", setpgid(getppid(), 0));
    ERR("setpgid missing pid", setpgid(0x3ffffff0, 0));
    _exit(0);
  }
  waitpid(p, &st, 0);
  /* parent moves a child into its own group, then signals the group */
  int gate[2];
  pipe(gate);
  pid_t kids[3];
  for (int i = 0; i < 3; i++) {
    kids[i] = fork();
    if (kids[i] == 0) { char c; close(gate[1]); read(gate[0], &c, 1); _exit(0); }
  }
  ERR("setpgid child to itself", setpgid(kids[0], kids[0]));
  ERR("setpgid child into that group", setpgid(kids[1], kids[0]));
  printf("pgids: %d %d %d\n", getpgid(kids[0]) == kids[0], getpgid(kids[1]) == kids[0], getpgid(kids[2]) == getpgrp());
  ERR("kill group", kill(-kids[0], SIGTERM));
  ERR("killpg", killpg(kids[0], 0));
  for (int i = 0; i < 2; i++) {
    pid_t w = waitpid(kids[i], &st, 0);
    printf("group member %d: %d sig=%d\n", i, w == kids[i], WTERMSIG(st));
  }
  close(gate[1]);
  waitpid(kids[2], &st, 0);
  printf("other: exited=%d\n", WIFEXITED(st));
  ERR("kill empty group", kill(-kids[0], SIGTERM));
  ERR("getpgid(child gone)", getpgid(kids[0]));
  return 0;
}
