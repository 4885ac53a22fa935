/* eventfd2: counter and semaphore modes, EAGAIN, EINVAL, blocking read woken by another thread. */
#include "fsutil.h"
#include <pthread.h>
#include <sys/eventfd.h>

static int efd;
static void *poster(void *a) { (void)a; usleep(20000); uint64_t v = 5; write(efd, &v, 8); return NULL; }

int main(void) {
  uint64_t v = 0;
  int e = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
  T(e >= 0);
  T(fcntl(e, F_GETFD));
  T(read(e, &v, 8));
  printf("value=%lu\n", (unsigned long)v);
  T(read(e, &v, 8));
  v = 7;
  T(write(e, &v, 8));
  T(write(e, &v, 8));
  T(read(e, &v, 8));
  printf("value=%lu\n", (unsigned long)v);
  T(read(e, &v, 4));
  T(write(e, &v, 4));
  v = ~0ULL;
  T(write(e, &v, 8));
  v = ~0ULL - 1;
  T(write(e, &v, 8));
  v = 1;
  T(write(e, &v, 8));
  T(read(e, &v, 8));
  close(e);
  int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  T(read(s, &v, 8));
  printf("sem=%lu\n", (unsigned long)v);
  T(read(s, &v, 8));
  T(read(s, &v, 8));
  close(s);
  T(eventfd(0, 0x10));
  struct stat st;
  efd = eventfd(0, 0);
  T(fstat(efd, &st));
  printf("type bits=%o\n", st.st_mode & S_IFMT);
  pthread_t th;
  pthread_create(&th, NULL, poster, NULL);
  T(read(efd, &v, 8));
  printf("woken with %lu\n", (unsigned long)v);
  pthread_join(th, NULL);
  return 0;
}
