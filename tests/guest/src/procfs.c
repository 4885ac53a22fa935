/* /proc: self, cmdline, exe, fd/ links, cwd, status (Pid/Uid), stat, maps [stack], environ, sys/kernel. Only values
 * qemu-user and Linux agree on are printed (qemu emulates some of /proc/self and passes the rest through). */
#include "fsutil.h"

static long slurp(const char *p, char *buf, long n) {
  int fd = open(p, O_RDONLY);
  if (fd < 0) return -1;
  long t = 0, r;
  while (t < n - 1 && (r = read(fd, buf + t, n - 1 - t)) > 0) t += r;
  buf[t] = 0;
  close(fd);
  return t;
}

int main(int argc, char **argv) {
  (void)argc;
  scratch_begin_keep_ids(); /* setuid would make /proc/self root-only (not dumpable) under qemu */
  static char buf[65536];
  char path[256], want[256];
  long n = slurp("/proc/self/cmdline", buf, sizeof buf);
  printf("cmdline bytes=%ld args:", n);
  for (long i = 0; i < n; i += strlen(buf + i) + 1) printf(" [%s]", buf + i);
  printf("\n");
  snprintf(path, sizeof path, "/proc/%d", getpid());
  struct stat a, b;
  T(stat(path, &a));
  T(stat("/proc/self", &b));
  printf("self is pid dir: %d\n", a.st_ino == b.st_ino);
  put("file", "x");
  int fd = open("file", O_RDONLY);
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  n = readlink(path, buf, sizeof buf);
  buf[n > 0 ? n : 0] = 0;
  snprintf(want, sizeof want, "%s/file", scratch);
  printf("fd link is the file: %d\n", strcmp(buf, want) == 0);
  unlink("file");
  n = readlink(path, buf, sizeof buf);
  buf[n > 0 ? n : 0] = 0;
  snprintf(want, sizeof want, "%s/file (deleted)", scratch);
  printf("after unlink: %d\n", strcmp(buf, want) == 0);
  int fd2 = open(path, O_RDONLY);
  T(read(fd2, buf, 10));
  close(fd2);
  close(fd);
  n = readlink("/proc/self/cwd", buf, sizeof buf);
  buf[n > 0 ? n : 0] = 0;
  printf("cwd link is scratch: %d\n", strcmp(buf, scratch) == 0);
  mkdir("sub", 0755);
  T(chdir("/proc/self/cwd/sub"));
  chdir(scratch);
  slurp("/proc/self/status", buf, sizeof buf);
  char *pid = strstr(buf, "\nPid:");
  int pidv = pid ? atoi(pid + 5) : -1;
  printf("status Pid matches: %d\n", pidv == getpid());
  char *uid = strstr(buf, "\nUid:");
  printf("status Uid matches: %d\n", uid ? atoi(uid + 5) == (int)getuid() : -1);
  slurp("/proc/self/stat", buf, sizeof buf);
  int spid = 0; char comm[64] = {0}, state = 0;
  sscanf(buf, "%d (%63[^)]) %c", &spid, comm, &state);
  printf("stat pid matches: %d comm=%s\n", spid == getpid(), comm);
  slurp("/proc/self/maps", buf, sizeof buf);
  printf("maps has [stack]: %d\n", strstr(buf, "[stack]") != NULL);
  unsigned long lo, hi; char perms[5];
  int ok = sscanf(buf, "%lx-%lx %4s", &lo, &hi, perms) == 3;
  printf("maps first line parses: %d\n", ok);
  slurp("/proc/self/environ", buf, sizeof buf);
  printf("environ has LANG=C: %d\n", memmem(buf, sizeof buf, "LANG=C", 7) != NULL);
  slurp("/proc/sys/kernel/ostype", buf, sizeof buf);
  printf("ostype: %s", buf);
  T(slurp("/proc/meminfo", buf, sizeof buf) > 0);
  printf("meminfo has MemTotal: %d\n", strncmp(buf, "MemTotal:", 9) == 0);
  T(slurp("/proc/cpuinfo", buf, sizeof buf) > 0);
  double up = -1;
  slurp("/proc/uptime", buf, sizeof buf);
  sscanf(buf, "%lf", &up);
  printf("uptime positive: %d\n", up > 0);
  T(slurp("/proc/self/mounts", buf, sizeof buf) > 0);
  printf("mounts has proc: %d\n", strstr(buf, " /proc proc ") != NULL);
  T(open("/proc/self/nonexistent", O_RDONLY));
  scratch_end();
  (void)argv;
  return 0;
}
