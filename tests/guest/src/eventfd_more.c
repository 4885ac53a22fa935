/* eventfd in detail: initval, reads resetting the counter (and semaphore mode taking one),
 * the 0xfffffffffffffffe maximum (a write that would overflow is EAGAIN with EFD_NONBLOCK,
 * writing UINT64_MAX is EINVAL), poll readiness for reading and writing, short buffers
 * (EINVAL), flags (EINVAL), /proc/self/fdinfo's eventfd-count, and sharing across fork. */
#include "fsutil.h"
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

int main(void) {
  int e = eventfd(5, EFD_NONBLOCK);
  uint64_t v = 0;
  T(read(e, &v, 8));
  printf("v %llu\n", (unsigned long long)v);
  T(read(e, &v, 8));
  v = 0xfffffffffffffffeULL;
  T(write(e, &v, 8));
  struct pollfd p = { e, POLLIN | POLLOUT, 0 };
  T(poll(&p, 1, 0));
  printf("revents at max %#x\n", p.revents);
  v = 1;
  T(write(e, &v, 8));
  v = UINT64_MAX;
  T(write(e, &v, 8));
  T(read(e, &v, 8));
  printf("v %llx\n", (unsigned long long)v);
  p.revents = 0;
  T(poll(&p, 1, 0));
  printf("revents empty %#x\n", p.revents);
  T(read(e, &v, 4));
  T(write(e, &v, 4));
  /* (a 16-byte write writes 8 on Linux; qemu 7.2 answers EINVAL, so it is not printed) */
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", e);
  v = 7;
  write(e, &v, 8);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f)) if (strncmp(line, "eventfd-count:", 14) == 0) printf("%s", line);
  if (f) fclose(f);
  int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  T(read(s, &v, 8));
  printf("v %llu\n", (unsigned long long)v);
  T(read(s, &v, 8));
  T(read(s, &v, 8));
  T(eventfd(0, 0x10));
  T(eventfd(0, EFD_CLOEXEC) >= 0);
  /* shared across fork: the child's write wakes the parent's blocking read */
  int b = eventfd(0, 0);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) { usleep(50000); uint64_t one = 41; write(b, &one, 8); _exit(0); }
  T(read(b, &v, 8));
  printf("from child %llu\n", (unsigned long long)v);
  waitpid(c, NULL, 0);
  return 0;
}
