/* /proc/self in use: fd/ entries naming what is open (files, pipes, sockets, /dev/null,
 * "(deleted)"), fdinfo (pos, flags), comm written and read back, status fields (Name, State,
 * Pid/PPid relations, FDSize), stat's pid/comm/state/ppid, statm having 7 numbers, cmdline,
 * readlink of cwd after chdir, /proc/PID of a child, and errors (writing /proc/self/status,
 * a missing pid, ENOTDIR). */
#include "fsutil.h"
#include <sys/socket.h>
#include <sys/wait.h>

static void link_of(const char *p) {
  char l[256];
  ssize_t n = readlink(p, l, sizeof l - 1);
  if (n < 0) { printf("%s: -1 %s\n", p, strerrorname_np(errno)); return; }
  l[n] = 0;
  const char *show = strncmp(l, scratch, strlen(scratch)) == 0 ? l + strlen(scratch) : l;
  if (strncmp(l, "pipe:[", 6) == 0) show = "pipe:[N]";
  if (strncmp(l, "socket:[", 8) == 0) show = "socket:[N]";
  printf("%s -> %s\n", p + 14, show);
}

static char *field(const char *file, const char *key) {
  static char line[512];
  FILE *f = fopen(file, "r");
  while (f && fgets(line, sizeof line, f)) if (strncmp(line, key, strlen(key)) == 0) { fclose(f); line[strcspn(line, "\n")] = 0; return line + strlen(key); }
  if (f) fclose(f);
  return NULL;
}

int main(int argc, char **argv) {
  (void)argc; (void)argv;
  scratch_begin_keep_ids();
  put("file", "x");
  int a = open("file", O_RDWR);
  int p[2];
  pipe(p);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  int n = open("/dev/null", O_WRONLY | O_APPEND);
  put("gone", "y");
  int g = open("gone", O_RDONLY);
  unlink("gone");
  char path[64];
  for (int fd = 3; fd <= 8; fd++) { snprintf(path, sizeof path, "/proc/self/fd/%d", fd); link_of(path); }
  lseek(a, 1, SEEK_SET);
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", a);
  char *v = field(path, "pos:");
  printf("fdinfo pos:%s\n", v ? v : "?");
  v = field(path, "flags:");
  printf("fdinfo flags:%s\n", v ? v : "?");
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", n);
  v = field(path, "flags:");
  printf("fdinfo flags of /dev/null:%s\n", v ? v : "?");
  int c = open("/proc/self/comm", O_WRONLY);
  T(write(c, "renamed", 7));
  close(c);
  char buf[256] = {0};
  c = open("/proc/self/comm", O_RDONLY);
  T(read(c, buf, sizeof buf));
  printf("comm %s", buf);
  v = field("/proc/self/status", "Name:");
  printf("status Name:%s\n", v ? v : "?");
  v = field("/proc/self/status", "State:");
  printf("status State:%s\n", v ? v : "?");
  v = field("/proc/self/status", "Pid:");
  printf("status Pid matches: %d\n", v && atoi(v) == getpid());
  v = field("/proc/self/status", "PPid:");
  printf("status PPid matches: %d\n", v && atoi(v) == getppid());
  int st = open("/proc/self/stat", O_RDONLY);
  memset(buf, 0, sizeof buf);
  read(st, buf, sizeof buf - 1);
  int pid, ppid;
  char comm[64], state;
  sscanf(buf, "%d %63s %c %d", &pid, comm, &state, &ppid);
  printf("stat pid ok %d ppid ok %d\n", pid == getpid(), ppid == getppid()); /* (qemu emulates stat: its comm field stays the exe name) */
  FILE *sm = fopen("/proc/self/statm", "r");
  long x[8];
  int got = fscanf(sm, "%ld %ld %ld %ld %ld %ld %ld %ld", &x[0], &x[1], &x[2], &x[3], &x[4], &x[5], &x[6], &x[7]);
  printf("statm fields %d\n", got);
  mkdir("sub", 0755);
  chdir("sub");
  link_of("/proc/self/cwd");
  chdir("..");
  /* a child's directory */
  int q[2];
  pipe(q);
  fflush(stdout);
  pid_t ch = fork();
  if (ch == 0) { char b; close(q[1]); read(q[0], &b, 1); _exit(0); }
  snprintf(path, sizeof path, "/proc/%d/stat", ch);
  FILE *cf = fopen(path, "r");
  int cpid = 0, cppid = 0;
  if (cf) { fscanf(cf, "%d %63s %c %d", &cpid, comm, &state, &cppid); fclose(cf); }
  printf("child stat pid ok %d ppid ok %d\n", cpid == ch, cppid == getpid());
  write(q[1], "x", 1);
  waitpid(ch, NULL, 0);
  /* errors */
  T(open("/proc/999999/stat", O_RDONLY));
  T(open("/proc/self/stat/x", O_RDONLY));
  T(open("/proc/self/fd/99", O_RDONLY));
  close(g);
  scratch_end();
  return 0;
}
