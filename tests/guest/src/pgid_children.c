/* What a parent sees of the process groups and sessions its children choose themselves
   (kernel/sys.c setsid, setpgid), and a child joining a sibling's group. On SGX each child is
   another enclave: the parent's view of a child that moved itself, and a group that exists only
   in a sibling's enclave, must still be Linux's. */
#include "pm.h"
#include <signal.h>
#include <sys/wait.h>

static int go[2], ready[2];

/* A child that runs `what`, tells the parent, and waits for a byte (or a signal). */
static pid_t child(int (*what)(void)) {
  pid_t p = fork();
  if (p == 0) {
    char c = what() == 0 ? 'y' : 'n';
    write(ready[1], &c, 1);
    read(go[0], &c, 1);
    _exit(0);
  }
  char c;
  read(ready[0], &c, 1);
  printf("child's own call: %s\n", c == 'y' ? "ok" : "failed");
  return p;
}

static int do_setsid(void) { return setsid() == getpid() ? 0 : -1; }
static int do_own_group(void) { return setpgid(0, 0); }
static pid_t sibling;
static int do_join_sibling(void) { return setpgid(0, sibling); }

static void reap(const char *what, pid_t p) {
  int st;
  pid_t w = waitpid(p, &st, 0);
  printf("%s: reaped=%d signaled=%d sig=%d\n", what, w == p, WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pipe(go);
  pipe(ready);
  pid_t me = getpid();

  pid_t a = child(do_setsid);
  printf("after setsid: getsid(child)=child %d, getpgid(child)=child %d, same session as me %d\n",
         getsid(a) == a, getpgid(a) == a, getsid(a) == getsid(0));
  ERR("setpgid of a child in another session", setpgid(a, a));
  ERR("kill(-child, 0)", kill(-a, 0));
  ERR("kill(-child, SIGTERM)", kill(-a, SIGTERM));
  reap("setsid child", a);

  pid_t b = child(do_own_group);
  printf("after setpgid(0,0): getpgid(child)=child %d, getsid(child)=mine %d\n", getpgid(b) == b, getsid(b) == getsid(0));
  sibling = b;
  pid_t c = child(do_join_sibling);
  printf("sibling joined: getpgid=first child %d\n", getpgid(c) == b);
  ERR("setpgid of the second child back to my group", setpgid(c, getpgrp()));
  printf("moved back: getpgid=mine %d\n", getpgid(c) == getpgrp());
  ERR("setpgid of the second child into the first's group again", setpgid(c, b));
  ERR("kill(-first child, SIGTERM)", kill(-b, SIGTERM));
  reap("first child", b);
  reap("second child", c);
  ERR("kill(-first child, 0) with the group gone", kill(-b, 0));
  (void)me;
  return 0;
}
