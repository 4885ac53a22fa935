/* Descriptor table operations: dup (lowest free), dup2 onto itself and onto an open fd,
 * dup3 flags (O_CLOEXEC, EINVAL for others and for oldfd == newfd), F_DUPFD/F_DUPFD_CLOEXEC
 * minimums and EINVAL limits, FD_CLOEXEC through F_SETFD, shared offsets and status flags,
 * close_range (CLOEXEC flag, ranges, EINVAL), and EBADF for all of them. */
#include "fsutil.h"
#include <linux/close_range.h>
#include <sys/resource.h>

int main(void) {
  scratch_begin();
  put("f", "0123456789");
  int a = open("f", O_RDWR);
  T(a);
  T(dup(a));
  T(dup2(a, a));
  T(dup2(a, 10));
  T(dup2(a, 10));
  T(dup3(a, 11, O_CLOEXEC));
  T(fcntl(11, F_GETFD));
  T(dup3(a, 12, O_NONBLOCK));
  T(dup3(a, a, 0));
  T(dup3(a, a, O_CLOEXEC));
  T(fcntl(a, F_DUPFD, 20));
  T(fcntl(a, F_DUPFD, 20));
  T(fcntl(a, F_DUPFD_CLOEXEC, 0));
  T(fcntl(5, F_GETFD));
  T(fcntl(a, F_DUPFD, -1));
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  T(fcntl(a, F_DUPFD, (long)rl.rlim_cur));
  T(dup2(a, (int)rl.rlim_cur));
  T(dup2(a, -1));
  /* shared offset and flags */
  char c;
  read(a, &c, 1);
  T(lseek(10, 0, SEEK_CUR));
  T(fcntl(10, F_SETFL, O_APPEND | O_NONBLOCK));
  T(fcntl(a, F_GETFL) & (O_APPEND | O_NONBLOCK));
  T(fcntl(a, F_SETFD, FD_CLOEXEC));
  T(fcntl(10, F_GETFD));
  T(fcntl(a, F_GETFD));
  T(fcntl(a, F_SETFD, 0x100));
  T(fcntl(a, F_GETFD));
  /* close_range */
  T(close_range(20, 22, CLOSE_RANGE_CLOEXEC));
  T(fcntl(20, F_GETFD));
  T(close_range(20, ~0U, 0));
  T(fcntl(20, F_GETFD));
  T(close_range(12, 11, 0));
  T(close_range(3, 3, 0x80));
  T(close_range(100, 200, 0));
  T(fcntl(11, F_GETFD));
  T(close_range(11, 12, 0));
  T(fcntl(11, F_GETFD));
  T(fcntl(12, F_GETFD));
  /* EBADF */
  T(dup(99));
  T(dup2(99, 5));
  T(dup3(99, 5, 0));
  T(fcntl(99, F_DUPFD, 0));
  T(fcntl(99, F_SETFD, 1));
  T(close(99));
  int op = open("f", O_PATH);
  T(dup(op) >= 0);
  T(fcntl(op, F_GETFL) & O_PATH ? 1 : 0);
  T(fcntl(a, 9999));
  scratch_end();
  return 0;
}
