/* Descriptors: dup/dup2/dup3, shared offsets, F_GETFD/SETFD/GETFL/SETFL/DUPFD(_CLOEXEC), close_range, record locks, flock, EBADF. */
#include "fsutil.h"
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
  scratch_begin();
  put("f", "0123456789");
  int fd = open("f", O_RDWR);
  int d = dup(fd);
  char c;
  T(read(fd, &c, 1));
  T(lseek(d, 0, SEEK_CUR));
  T(dup2(fd, 50));
  T(dup2(fd, fd));
  T(dup3(fd, fd, 0));
  T(dup3(fd, 51, O_CLOEXEC));
  T(fcntl(51, F_GETFD));
  T(dup3(fd, 52, 0x4));
  T(dup2(fd, -1));
  T(dup2(999, 53));
  T(fcntl(fd, F_DUPFD, 40));
  T(fcntl(fd, F_DUPFD_CLOEXEC, 40));
  T(fcntl(41, F_GETFD));
  T(fcntl(fd, F_DUPFD, -1));
  T(fcntl(fd, F_SETFD, FD_CLOEXEC));
  T(fcntl(fd, F_GETFD));
  T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  T(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY));
  T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  T(fcntl(d, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  T(fcntl(fd, 9999));
  T(fcntl(998, F_GETFD));
  T(close(50));
  T(close(50));
  T(syscall(SYS_close_range, 40, 60, 0));
  T(fcntl(41, F_GETFD));
  T(syscall(SYS_close_range, 10, 5, 0));
  T(syscall(SYS_close_range, 3, 3, 0x1000));
  int e = dup(fd);
  T(syscall(SYS_close_range, e, e, 4));
  T(fcntl(e, F_GETFD));
  /* POSIX record locks: one process never conflicts with itself; a child sees the parent's lock */
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 4 };
  int w = open("f", O_RDWR);
  T(fcntl(w, F_SETLK, &fl));
  fl.l_type = F_RDLCK;
  T(fcntl(w, F_GETLK, &fl));
  printf("own lock: type=%s\n", fl.l_type == F_UNLCK ? "unlck" : "other");
  fl.l_type = 7;
  T(fcntl(w, F_SETLK, &fl));
  int ro = open("f", O_RDONLY);
  fl.l_type = F_WRLCK;
  T(fcntl(ro, F_SETLK, &fl));
  pid_t parent = getpid();
  pid_t ch = fork();
  if (ch == 0) {
    struct flock q = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    int r = fcntl(w, F_GETLK, &q);
    printf("child GETLK=%d type=%s start=%ld len=%ld pid_is_parent=%d\n", r, q.l_type == F_WRLCK ? "wr" : "?", (long)q.l_start, (long)q.l_len, q.l_pid == parent);
    q.l_type = F_WRLCK;
    r = fcntl(w, F_SETLK, &q);
    printf("child SETLK=%d %s\n", r, r ? strerrorname_np(errno) : "");
    q.l_start = 8; q.l_len = 2;
    r = fcntl(w, F_SETLK, &q);
    printf("child SETLK elsewhere=%d\n", r);
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(ch, &st, 0);
  /* flock: separate open file descriptions conflict */
  int a = open("f", O_RDONLY), b = open("f", O_RDONLY);
  T(flock(a, LOCK_EX));
  T(flock(b, LOCK_EX | LOCK_NB));
  T(flock(b, LOCK_SH | LOCK_NB));
  T(flock(a, LOCK_UN));
  T(flock(b, LOCK_SH | LOCK_NB));
  T(flock(a, LOCK_SH | LOCK_NB));
  T(flock(a, 0));
  scratch_end();
  return 0;
}
