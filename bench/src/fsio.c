/* File and pipe throughput, measured inside the guest (CLOCK_MONOTONIC): tmpfs write and
 * read (64 KiB calls), a pipe between two processes, small-file create+stat+unlink, and a
 * MAP_SHARED file written through the mapping. Prints one "name value unit" line per
 * measurement and a checksum line (the same on every side). Used by bench/fs.ts. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long mb = argc > 1 ? atol(argv[1]) : 16;
  long files = argc > 2 ? atol(argv[2]) : 1000;
  char dir[] = "/tmp/teeos-fsio-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir)) { perror("scratch"); return 1; }
  static char buf[65536];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7);
  unsigned long sum = 0;
  long total = mb << 20;

  int fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
  double t0 = now();
  for (long done = 0; done < total; done += sizeof buf) if (write(fd, buf, sizeof buf) != sizeof buf) { perror("write"); return 1; }
  double t1 = now();
  lseek(fd, 0, SEEK_SET);
  long got = 0, n;
  while ((n = read(fd, buf, sizeof buf)) > 0) { got += n; sum += (unsigned char)buf[n - 1]; }
  double t2 = now();
  printf("tmpfs_write %.1f MB/s\n", mb / (t1 - t0));
  printf("tmpfs_read %.1f MB/s\n", mb / (t2 - t1));
  sum += got;

  char *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  double t3 = now();
  for (long off = 0; off < total; off += 4096) m[off] = (char)off;
  msync(m, total, MS_SYNC);
  double t4 = now();
  munmap(m, total);
  printf("mmap_shared_touch %.1f MB/s\n", mb / (t4 - t3));
  close(fd);
  unlink("big");

  int p[2];
  if (pipe(p)) { perror("pipe"); return 1; }
  double t5 = now();
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    for (long done = 0; done < total; done += sizeof buf) if (write(p[1], buf, sizeof buf) != sizeof buf) _exit(1);
    _exit(0);
  }
  close(p[1]);
  got = 0;
  while ((n = read(p[0], buf, sizeof buf)) > 0) got += n;
  int st;
  waitpid(c, &st, 0);
  double t6 = now();
  printf("pipe %.1f MB/s\n", mb / (t6 - t5));
  sum += got;

  char name[32];
  struct stat sb;
  double t7 = now();
  for (long i = 0; i < files; i++) {
    snprintf(name, sizeof name, "f%ld", i);
    int f = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (f < 0 || write(f, "x", 1) != 1) { perror("create"); return 1; }
    close(f);
  }
  for (long i = 0; i < files; i++) { snprintf(name, sizeof name, "f%ld", i); if (stat(name, &sb)) return 1; sum += sb.st_size; }
  for (long i = 0; i < files; i++) { snprintf(name, sizeof name, "f%ld", i); if (unlink(name)) return 1; }
  double t8 = now();
  printf("small_files %.0f files/s\n", files / (t8 - t7));
  if (chdir("/tmp") || rmdir(dir)) perror("cleanup");
  printf("checksum %lu\n", sum);
  return 0;
}
