/* A file and its locks shared by a parent and its child (on SGX the child is another enclave):
 * the child opens by path a file the parent made and blocks in F_SETLKW and flock(LOCK_EX)
 * until the parent unlocks; a signal interrupts a blocked flock (EINTR, no SA_RESTART); F_GETLK
 * names the child as the holder; the offset and O_APPEND of an inherited description are shared;
 * stat and access of the parent's file by path from the child;
 * a file the child creates in the inherited directory is the parent's; the child's locks go at
 * its exit. Parent and child take turns through pipes, so the output order is fixed. */
#include "fsutil.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

static void on_alarm(int s) { (void)s; }

static void step(int fd) { char c = 's'; if (write(fd, &c, 1) != 1) _exit(90); }
static void await(int fd) { char c; if (read(fd, &c, 1) != 1) _exit(91); }

static int lk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
  return fcntl(fd, cmd, &fl);
}

int main(void) {
  scratch_begin();
  put("f", "0123456789");
  int fd = open("f", O_RDWR);
  T(lk(fd, F_SETLK, F_WRLCK, 0, 0));
  T(flock(fd, LOCK_EX));
  T(lseek(fd, 2, SEEK_SET));
  int c2p[2], p2c[2];
  if (pipe(c2p) || pipe(p2c)) return 1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int g = open("f", O_RDWR);
    T(g >= 0);
    struct stat sb;
    T(stat("f", &sb));
    T(sb.st_size);
    T(access("f", R_OK | W_OK));
    T(access("missing", F_OK));
    T(lk(g, F_SETLK, F_RDLCK, 0, 1));
    step(c2p[1]);
    T(lk(g, F_SETLKW, F_WRLCK, 0, 0)); /* waits for the parent's unlock */
    step(c2p[1]);
    await(p2c[0]);
    /* a blocked flock interrupted by a signal whose handler has no SA_RESTART */
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    T(flock(g, LOCK_EX));
    step(c2p[1]);
    T(flock(g, LOCK_EX)); /* waits for the parent's flock(LOCK_UN) */
    /* the inherited description: the offset (2) the parent set before fork */
    char b[4] = {0};
    T(read(fd, b, 3));
    printf("child read %s\n", b);
    fflush(stdout);
    await(p2c[0]);
    /* O_APPEND, set by the parent after fork */
    T(write(fd, "AB", 2));
    put("new", "made by the child");
    step(c2p[1]);
    await(p2c[0]);
    _exit(0);
  }
  await(c2p[0]);
  usleep(100000);
  printf("parent unlocks the record\n");
  fflush(stdout);
  if (lk(fd, F_SETLK, F_UNLCK, 0, 0)) printf("unlock failed\n");
  await(c2p[0]);
  struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
  T(fcntl(fd, F_GETLK, &q));
  printf("holder: type=%s start=%ld len=%ld is_child=%d\n", q.l_type == F_WRLCK ? "wr" : "?", (long)q.l_start, (long)q.l_len, q.l_pid == pid);
  T(lk(fd, F_SETLK, F_RDLCK, 3, 1));
  step(p2c[1]);
  await(c2p[0]);
  usleep(100000);
  printf("parent unlocks the flock\n");
  fflush(stdout);
  if (flock(fd, LOCK_UN)) printf("flock unlock failed\n");
  if (fcntl(fd, F_SETFL, O_RDWR | O_APPEND)) printf("F_SETFL failed\n");
  step(p2c[1]);
  await(c2p[0]);
  T(fcntl(fd, F_GETFL) & O_APPEND);
  T(lseek(fd, 0, SEEK_CUR));
  char buf[32] = {0};
  T(pread(fd, buf, sizeof buf - 1, 0));
  printf("file: %s\n", buf);
  int n = open("new", O_RDONLY);
  memset(buf, 0, sizeof buf);
  T(read(n, buf, sizeof buf - 1));
  printf("new: %s\n", buf);
  close(n);
  T(lk(fd, F_SETLK, F_WRLCK, 0, 0)); /* the child holds it */
  step(p2c[1]);
  int st;
  waitpid(pid, &st, 0);
  printf("child exit %d\n", WEXITSTATUS(st));
  T(lk(fd, F_SETLK, F_WRLCK, 0, 0)); /* gone with the child */
  int h = open("f", O_RDONLY);
  T(flock(h, LOCK_EX | LOCK_NB));
  scratch_end();
  return 0;
}
