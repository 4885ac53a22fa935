/* FIFOs: mkfifo, O_RDWR, O_NONBLOCK opens (ENXIO), a blocking open that waits for a writer (fork). */
#include "fsutil.h"
#include <sys/wait.h>

int main(void) {
  scratch_begin();
  char buf[64] = {0};
  T(mkfifo("f", 0600));
  T(mkfifo("f", 0600));
  struct stat st;
  T(stat("f", &st));
  printf("%s %o size=%ld\n", ftype(st.st_mode), st.st_mode & 0777, (long)st.st_size);
  T(open("f", O_WRONLY | O_NONBLOCK));
  int r = open("f", O_RDONLY | O_NONBLOCK);
  T(r >= 0);
  T(read(r, buf, 10));
  int w = open("f", O_WRONLY | O_NONBLOCK);
  T(w >= 0);
  T(write(w, "via fifo", 8));
  T(read(r, buf, sizeof buf));
  printf("read: %s\n", buf);
  close(w);
  T(read(r, buf, sizeof buf));
  close(r);
  int rw = open("f", O_RDWR);
  T(write(rw, "rw", 2));
  memset(buf, 0, sizeof buf);
  T(read(rw, buf, sizeof buf));
  close(rw);
  pid_t c = fork();
  if (c == 0) {
    int fd = open("f", O_WRONLY);
    write(fd, "from child", 10);
    close(fd);
    _exit(0);
  }
  int fd = open("f", O_RDONLY);
  T(fd >= 0);
  memset(buf, 0, sizeof buf);
  long n = 0, k;
  while ((k = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += k;
  printf("parent read: %s\n", buf);
  close(fd);
  int status;
  waitpid(c, &status, 0);
  T(lseek(open("f", O_RDWR), 0, SEEK_SET));
  scratch_end();
  return 0;
}
