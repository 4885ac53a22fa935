/* A blocking pipe between threads: the reader blocks first; 4 MiB pass with a checksum; writes > PIPE_BUF block and complete. */
#include "fsutil.h"
#include <pthread.h>

static int p[2];
#define TOTAL (4 << 20)

static void *writer(void *arg) {
  (void)arg;
  usleep(20000);
  static unsigned char buf[100000];
  unsigned x = 1;
  long sent = 0;
  while (sent < TOTAL) {
    int n = sizeof buf;
    if (n > TOTAL - sent) n = TOTAL - sent;
    for (int i = 0; i < n; i++) { x = x * 1103515245 + 12345; buf[i] = x >> 16; }
    long w = write(p[1], buf, n);
    if (w != n) { printf("short write %ld\n", w); break; }
    sent += w;
  }
  close(p[1]);
  return NULL;
}

int main(void) {
  T(pipe(p));
  pthread_t th;
  pthread_create(&th, NULL, writer, NULL);
  static unsigned char buf[65536];
  unsigned x = 1, bad = 0;
  long got = 0, reads = 0, r;
  while ((r = read(p[0], buf, sizeof buf)) > 0) {
    for (long i = 0; i < r; i++) { x = x * 1103515245 + 12345; if (buf[i] != (unsigned char)(x >> 16)) bad++; }
    got += r;
    reads++;
  }
  pthread_join(th, NULL);
  printf("got %ld bytes, %u bad, last read %ld, more than one read: %d\n", got, bad, r, reads > 1);
  close(p[0]);
  return 0;
}
