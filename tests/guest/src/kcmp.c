/* kcmp (kernel/kcmp.c): whether two processes or threads share an open file description, an
 * address space, a descriptor table, fs information and signal handlers. Only "same" (0) or
 * "different" is printed: Linux orders different objects by obfuscated addresses. EBADF, ESRCH,
 * EINVAL. With the argument "child", descriptions shared with a fork child, compared by the
 * parent and by the child (on SGX the child is another enclave: each asks the other for its
 * descriptions' family-wide identities). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KCMP_FILE 0
#define KCMP_VM 1
#define KCMP_FILES 2
#define KCMP_FS 3
#define KCMP_SIGHAND 4

static void k(const char *what, pid_t a, pid_t b, int type, long i1, long i2) {
  long r = syscall(SYS_kcmp, a, b, type, i1, i2);
  if (r < 0) printf("%s: -1 %s\n", what, strerrorname_np(errno));
  else printf("%s: %s\n", what, r == 0 ? "same" : "different");
  fflush(stdout);
}

static volatile pid_t tid;
static int go[2];
static void *thread_fn(void *arg) {
  (void)arg;
  tid = gettid();
  char c;
  if (read(go[0], &c, 1) != 1) return NULL;
  return NULL;
}

int main(int argc, char **argv) {
  pid_t me = getpid();
  int fd = open("/dev/null", O_RDONLY);
  int d = dup(fd);
  int other = open("/dev/null", O_RDONLY);
  int p[2];
  pipe(p);
  if (argc > 1 && !strcmp(argv[1], "child")) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
      char ch;
      if (read(p[0], &ch, 1) != 1) _exit(1);
      /* The other way: the child compares with its parent, which waits for it. */
      k("child: its descriptor and the parent's", getpid(), getppid(), KCMP_FILE, fd, fd);
      k("child: its descriptor and the parent's dup", getpid(), getppid(), KCMP_FILE, fd, d);
      k("child: vm with the parent", getpid(), getppid(), KCMP_VM, 0, 0);
      _exit(0);
    }
    k("file shared with the child", me, c, KCMP_FILE, fd, fd);
    k("dup in the parent, original in the child", me, c, KCMP_FILE, d, fd);
    k("another open in the child", me, c, KCMP_FILE, fd, other);
    k("a number the child does not have", me, c, KCMP_FILE, fd, 999);
    write(p[1], "x", 1);
    waitpid(c, NULL, 0);
    return 0;
  }
  k("file with itself", me, me, KCMP_FILE, fd, fd);
  k("file and its dup", me, me, KCMP_FILE, fd, d);
  k("two opens of /dev/null", me, me, KCMP_FILE, fd, other);
  k("a closed number", me, me, KCMP_FILE, fd, 999);
  k("vm with itself", me, me, KCMP_VM, 0, 0);
  k("type 8", me, me, 8, 0, 0);
  k("type -1", me, me, -1, 0, 0);
  k("no such pid", me, 4000000, KCMP_VM, 0, 0);
  pipe(go);
  pthread_t th;
  pthread_create(&th, NULL, thread_fn, NULL);
  while (!tid) sched_yield();
  k("vm with a thread", me, tid, KCMP_VM, 0, 0);
  k("files with a thread", me, tid, KCMP_FILES, 0, 0);
  k("fs with a thread", me, tid, KCMP_FS, 0, 0);
  k("sighand with a thread", me, tid, KCMP_SIGHAND, 0, 0);
  k("file through a thread", me, tid, KCMP_FILE, fd, d);
  write(go[1], "x", 1);
  pthread_join(th, NULL);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    char ch;
    if (read(p[0], &ch, 1) != 1) _exit(1);
    _exit(0);
  }
  k("vm with a fork child", me, c, KCMP_VM, 0, 0);
  k("files with a fork child", me, c, KCMP_FILES, 0, 0);
  k("fs with a fork child", me, c, KCMP_FS, 0, 0);
  k("sighand with a fork child", me, c, KCMP_SIGHAND, 0, 0);
  write(p[1], "x", 1);
  waitpid(c, NULL, 0);
  k("a reaped child", me, c, KCMP_VM, 0, 0);
  return 0;
}
