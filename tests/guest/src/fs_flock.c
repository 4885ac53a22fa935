/* flock(2): shared and exclusive locks per open file description, conversion, LOCK_NB
 * (EWOULDBLOCK), unlocking, dup and fork sharing the lock, closing the last descriptor
 * releasing it, flock and fcntl locks independent, EINVAL/EBADF, a blocking flock woken
 * by the holder's child closing. */
#include "fsutil.h"
#include <sys/file.h>
#include <sys/wait.h>

int main(void) {
  scratch_begin();
  put("f", "x");
  int a = open("f", O_RDONLY), b = open("f", O_RDONLY), c = open("f", O_WRONLY);
  T(flock(a, LOCK_SH));
  T(flock(b, LOCK_SH | LOCK_NB));
  T(flock(c, LOCK_EX | LOCK_NB));
  T(flock(b, LOCK_UN));
  T(flock(a, LOCK_EX | LOCK_NB));
  T(flock(b, LOCK_SH | LOCK_NB));
  T(flock(a, LOCK_SH));
  T(flock(b, LOCK_SH | LOCK_NB));
  T(flock(a, LOCK_UN));
  T(flock(b, LOCK_UN));
  T(flock(c, LOCK_EX | LOCK_NB));
  /* fcntl locks do not see flock locks */
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  T(fcntl(c, F_SETLK, &fl));
  int a2 = dup(c);
  T(flock(a2, LOCK_UN));
  T(flock(a, LOCK_EX | LOCK_NB));
  T(flock(a, LOCK_UN));
  T(flock(c, LOCK_EX));
  close(a2);
  T(flock(a, LOCK_EX | LOCK_NB));
  close(c);
  T(flock(a, LOCK_EX | LOCK_NB));
  /* fork: the child's copy of the descriptor holds the same lock */
  T(flock(a, LOCK_UN));
  int d = open("f", O_RDONLY);
  T(flock(d, LOCK_EX));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(d); /* the parent still has it: the lock stays */
    int e = open("f", O_RDONLY);
    T(flock(e, LOCK_SH | LOCK_NB));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    usleep(100000);
    printf("child unlocks the shared description\n");
    fflush(stdout);
    flock(d, LOCK_UN);
    _exit(0);
  }
  T(flock(b, LOCK_EX));
  printf("parent got it\n");
  waitpid(pid, &st, 0);
  /* errors */
  T(flock(b, 0));
  T(flock(b, LOCK_SH | LOCK_EX));
  T(flock(b, 99));
  T(flock(99, LOCK_SH));
  int op = open("f", O_PATH);
  T(flock(op, LOCK_SH));
  int dir = open(".", O_RDONLY);
  T(flock(dir, LOCK_EX | LOCK_NB));
  int p[2];
  pipe(p);
  T(flock(p[0], LOCK_EX | LOCK_NB));
  scratch_end();
  return 0;
}
