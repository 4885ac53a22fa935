/* Resource limits as the unprivileged user: setrlimit lowers and raises the soft limit
   within the hard one, raising the hard limit is EPERM, cur > max and a bad resource are
   EINVAL, a bad pointer EFAULT; RTPRIO and NICE start at 0/0; prlimit reads and sets another
   process's limits (a child's), fork inherits them; RLIMIT_NOFILE: open beyond it is EMFILE, dup2 to a descriptor at or
   above it is EBADF, F_DUPFD above it EINVAL. */
#include "pm.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void show(const char *label, int res) {
  struct rlimit r;
  getrlimit(res, &r);
  printf("%s: cur %lld max %lld\n", label, r.rlim_cur == RLIM_INFINITY ? -1LL : (long long)r.rlim_cur,
         r.rlim_max == RLIM_INFINITY ? -1LL : (long long)r.rlim_max);
}

int main(void) {
  pm_drop_root();
  struct rlimit r = {64, 128};
  SHOW("setrlimit NOFILE 64/128", setrlimit(RLIMIT_NOFILE, &r));
  show("NOFILE", RLIMIT_NOFILE);
  r.rlim_cur = 100;
  SHOW("raise soft to 100", setrlimit(RLIMIT_NOFILE, &r));
  r.rlim_max = 200;
  ERR("raise hard to 200", setrlimit(RLIMIT_NOFILE, &r));
  r.rlim_cur = 150; r.rlim_max = 128;
  ERR("cur > max", setrlimit(RLIMIT_NOFILE, &r));
  r.rlim_cur = RLIM_INFINITY; r.rlim_max = 128;
  ERR("cur infinite, max 128", setrlimit(RLIMIT_NOFILE, &r));
  ERR("bad resource", setrlimit(99, &r));
  ERR("bad pointer", setrlimit(RLIMIT_NOFILE, (struct rlimit *)8));
  ERR("getrlimit bad pointer", getrlimit(RLIMIT_NOFILE, (struct rlimit *)8));
  r.rlim_cur = 0; r.rlim_max = 0;
  SHOW("CORE 0/0", setrlimit(RLIMIT_CORE, &r));
  r.rlim_max = 1;
  ERR("CORE hard back up", setrlimit(RLIMIT_CORE, &r));
  r.rlim_cur = 5; r.rlim_max = 5;
  SHOW("NPROC 5/5", setrlimit(RLIMIT_NPROC, &r));
  show("NPROC", RLIMIT_NPROC);
  show("RTPRIO (Linux's default 0/0)", RLIMIT_RTPRIO);
  show("NICE (Linux's default 0/0)", RLIMIT_NICE);

  /* a child's limits through prlimit */
  int gate[2], back[2];
  pipe(gate);
  pipe(back);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    char x;
    read(gate[0], &x, 1);
    struct rlimit cr;
    getrlimit(RLIMIT_NOFILE, &cr);
    char msg[64];
    int n = snprintf(msg, sizeof msg, "child sees NOFILE %lld/%lld\n", (long long)cr.rlim_cur, (long long)cr.rlim_max);
    write(back[1], msg, n);
    _exit(0);
  }
  struct rlimit old, nw = {32, 100};
  SHOW("prlimit child NOFILE 32/100", prlimit(c, RLIMIT_NOFILE, &nw, &old));
  printf("child's old NOFILE (inherited): %lld/%lld\n", (long long)old.rlim_cur, (long long)old.rlim_max);
  nw.rlim_max = 110;
  ERR("prlimit child raise hard", prlimit(c, RLIMIT_NOFILE, &nw, NULL));
  ERR("prlimit no such pid", prlimit(0x3ffffff0, RLIMIT_NOFILE, NULL, &old));
  write(gate[1], "x", 1);
  char buf[64];
  int n = read(back[0], buf, sizeof buf);
  printf("%.*s", n, buf);
  waitpid(c, NULL, 0);
  show("own NOFILE unchanged", RLIMIT_NOFILE);

  /* RLIMIT_NOFILE at work */
  r.rlim_cur = 16; r.rlim_max = 128;
  setrlimit(RLIMIT_NOFILE, &r);
  int opened = 0, fd, last = -1;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0) { opened++; last = fd; }
  printf("opened until %s, highest fd %d\n", strerrorname_np(errno), last);
  ERR("dup2 to 16", dup2(0, 16));
  ERR("dup2 to 15", dup2(0, 15));
  ERR("F_DUPFD 16", fcntl(0, F_DUPFD, 16));
  r.rlim_cur = 8;
  SHOW("lower below open descriptors", setrlimit(RLIMIT_NOFILE, &r));
  ERR("open now", open("/dev/null", O_RDONLY));
  (void)opened;
  return 0;
}
