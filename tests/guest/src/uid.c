/* The uid/gid family for one unprivileged user: every id equal, changing to one's own id
   allowed, anything else EPERM, EFAULT for bad pointers, no supplementary groups. */
#include "pm.h"
#include <sys/fsuid.h>
#include <sys/syscall.h>

int main(void) {
  pm_drop_root();
  uid_t u = getuid();
  gid_t g = getgid();
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  gid_t gr, ge, gs;
  getresgid(&gr, &ge, &gs);
  printf("uid: euid==uid %d res equal %d nonroot %d\n", geteuid() == u, r == u && e == u && s == u, u != 0);
  printf("gid: egid==gid %d res equal %d\n", getegid() == g, gr == g && ge == g && gs == g);
  ERR("setuid(self)", setuid(u));
  ERR("setuid(0)", setuid(0));
  ERR("setuid(other)", setuid(u + 1));
  ERR("setgid(self)", setgid(g));
  ERR("setgid(0)", setgid(0));
  ERR("setreuid(-1,-1)", setreuid(-1, -1));
  ERR("setreuid(self,self)", setreuid(u, u));
  ERR("setreuid(0,-1)", setreuid(0, -1));
  ERR("setresuid(-1,self,-1)", setresuid(-1, u, -1));
  ERR("setresuid(0,0,0)", setresuid(0, 0, 0));
  ERR("setresgid(self x3)", setresgid(g, g, g));
  ERR("setresgid(0,-1,-1)", setresgid(0, -1, -1));
  printf("setfsuid(0) returns old==uid: %d then still uid: %d\n", setfsuid(0) == (int)u, setfsuid(-1) == (int)u);
  printf("setfsgid(0) returns old==gid: %d\n", setfsgid(0) == (int)g);
  printf("getgroups: %d\n", getgroups(0, NULL));
  volatile int neg = -1;
  ERR("getgroups(-1)", getgroups(neg, NULL));
  gid_t one = g;
  ERR("setgroups", setgroups(1, &one));
  ERR("getresuid bad ptr", syscall(SYS_getresuid, (void *)8, &e, &s));
  ERR("getresgid bad ptr", syscall(SYS_getresgid, &gr, &ge, (void *)8));
  return 0;
}
