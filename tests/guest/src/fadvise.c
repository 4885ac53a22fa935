/* posix_fadvise and readahead: accepted advice, EINVAL (advice, negative length, not a
 * regular file), ESPIPE for pipes, EBADF (closed, write-only for readahead, O_PATH). */
#include "fsutil.h"

static void adv(const char *what, int r) { printf("%s = %s\n", what, r ? strerrorname_np(r) : "0"); }

int main(void) {
  scratch_begin();
  put("f", "some data");
  int fd = open("f", O_RDONLY);
  for (int a = 0; a <= 6; a++) { char w[32]; snprintf(w, sizeof w, "advice %d", a); adv(w, posix_fadvise(fd, 0, 0, a)); }
  adv("negative len", posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL));
  adv("negative off", posix_fadvise(fd, -5, 10, POSIX_FADV_NORMAL));
  adv("closed fd", posix_fadvise(99, 0, 0, POSIX_FADV_NORMAL));
  int p[2];
  pipe(p);
  adv("pipe", posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL));
  int d = open(".", O_RDONLY);
  adv("directory", posix_fadvise(d, 0, 0, POSIX_FADV_WILLNEED));
  int op = open("f", O_PATH);
  adv("O_PATH", posix_fadvise(op, 0, 0, POSIX_FADV_NORMAL));
  int wo = open("f", O_WRONLY);
  adv("write-only", posix_fadvise(wo, 0, 0, POSIX_FADV_DONTNEED));
  T(readahead(fd, 0, 4096));
  T(readahead(fd, 1 << 20, 4096));
  T(readahead(wo, 0, 10));
  T(readahead(d, 0, 10));
  T(readahead(p[0], 0, 10));
  T(readahead(op, 0, 10));
  T(readahead(99, 0, 10));
  int dn = open("/dev/null", O_RDONLY);
  T(readahead(dn, 0, 10));
  scratch_end();
  return 0;
}
