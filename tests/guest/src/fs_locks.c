/* Record locks: open-file-description locks (F_OFD_SETLK/GETLK: per description, l_pid -1,
 * conflicts between two opens in one process, inherited by dup and fork), POSIX locks
 * (per process: merged, split, released by any close), mixing the two, F_GETLK reports,
 * EINVAL/EBADF, and a blocked F_OFD_SETLKW woken by another thread's unlock. */
#include "fsutil.h"
#include <pthread.h>
#include <sys/wait.h>

static void getlk(const char *what, int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
  if (fcntl(fd, cmd, &fl) < 0) { printf("%s: -1 %s\n", what, strerrorname_np(errno)); return; }
  printf("%s: type=%s start=%ld len=%ld pid=%s\n", what, fl.l_type == F_UNLCK ? "UNLCK" : fl.l_type == F_RDLCK ? "RDLCK" : "WRLCK",
         (long)fl.l_start, (long)fl.l_len, fl.l_pid == -1 ? "-1" : fl.l_pid == getpid() ? "self" : fl.l_pid == 0 ? "0" : "other");
}
static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
  return fcntl(fd, cmd, &fl);
}
static int a;
static void *unlocker(void *arg) {
  (void)arg;
  usleep(100000);
  printf("thread unlocks\n");
  fflush(stdout);
  setlk(a, F_OFD_SETLK, F_UNLCK, 0, 0);
  return NULL;
}

int main(void) {
  scratch_begin();
  put("f", "0123456789");
  a = open("f", O_RDWR);
  int b = open("f", O_RDWR);
  T(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 5));
  T(setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1));
  T(setlk(b, F_OFD_SETLK, F_RDLCK, 5, 5));
  getlk("b asks 0..10", b, F_OFD_GETLK, F_WRLCK, 0, 10);
  getlk("b asks 5..", b, F_OFD_GETLK, F_WRLCK, 5, 0);
  getlk("a asks 5..", a, F_OFD_GETLK, F_RDLCK, 5, 0);
  getlk("a asks 5.. write", a, F_OFD_GETLK, F_WRLCK, 5, 0);
  /* POSIX locks of this process do not conflict with each other, but do with OFD locks */
  int c = open("f", O_RDWR);
  T(setlk(c, F_SETLK, F_WRLCK, 0, 1));
  T(setlk(c, F_SETLK, F_WRLCK, 8, 2));
  getlk("posix asks 0..10", c, F_GETLK, F_WRLCK, 0, 10);
  /* dup shares the description's OFD locks */
  int a2 = dup(a);
  T(setlk(a2, F_OFD_SETLK, F_UNLCK, 0, 2));
  getlk("b after partial unlock", b, F_OFD_GETLK, F_WRLCK, 0, 5);
  close(a2);
  getlk("b after closing a dup", b, F_OFD_GETLK, F_WRLCK, 0, 5);
  /* fork: the child shares the description; POSIX locks stay the parent's */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    T(setlk(a, F_OFD_SETLK, F_WRLCK, 2, 3));
    T(setlk(b, F_OFD_SETLK, F_WRLCK, 2, 1));
    int d = open("f", O_RDWR);
    getlk("child fresh open", d, F_OFD_GETLK, F_WRLCK, 0, 0);
    getlk("child posix", d, F_GETLK, F_WRLCK, 9, 1);
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  /* errors */
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1 };
  T(fcntl(a, F_OFD_SETLK, &fl));
  fl.l_pid = 0;
  fl.l_type = 7;
  T(fcntl(a, F_OFD_SETLK, &fl));
  fl.l_type = F_WRLCK;
  fl.l_whence = 9;
  T(fcntl(a, F_SETLK, &fl));
  fl.l_whence = SEEK_SET;
  fl.l_start = -1;
  T(fcntl(a, F_SETLK, &fl));
  int ro = open("f", O_RDONLY);
  T(setlk(ro, F_OFD_SETLK, F_WRLCK, 0, 1));
  T(setlk(ro, F_SETLK, F_WRLCK, 0, 1));
  int wo = open("f", O_WRONLY);
  T(setlk(wo, F_OFD_SETLK, F_RDLCK, 0, 1));
  T(setlk(99, F_OFD_SETLK, F_RDLCK, 0, 1));
  T(fcntl(a, F_OFD_GETLK, NULL));
  /* a blocking wait, woken by the unlock of another thread */
  T(setlk(b, F_OFD_SETLK, F_UNLCK, 0, 0));
  T(setlk(c, F_SETLK, F_UNLCK, 0, 0));
  T(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 0));
  pthread_t th;
  pthread_create(&th, NULL, unlocker, NULL);
  T(setlk(b, F_OFD_SETLKW, F_WRLCK, 0, 0));
  printf("b got the lock\n");
  pthread_join(th, NULL);
  getlk("a asks", a, F_OFD_GETLK, F_RDLCK, 0, 0);
  scratch_end();
  return 0;
}
