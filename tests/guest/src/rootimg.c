/* The root file system image (`teeos run --root`): reads files and directories of the image,
 * checks it is read only (EROFS) while /tmp, /dev and /proc are mounted over it, executes a
 * program shipped in the image, and, with argument "late", waits for a line on stdin before
 * reading /data/late.txt (tests/rootfs.test.ts alters the image meanwhile: EIO).
 * Prefix argument: a directory prepended to every image path (qemu-riscv64 runs it on the
 * image's source directory, TEE OS on "/"). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char pre[512];
static const char *P(const char *p) {
  static char buf[4][1024];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s%s", pre, p);
  return buf[i];
}

static void cat(const char *path) {
  char b[4096];
  int fd = open(P(path), O_RDONLY);
  if (fd < 0) { printf("open %s: %s\n", path, strerrorname_np(errno)); return; }
  long n, total = 0;
  while ((n = read(fd, b, sizeof b)) > 0) { fwrite(b, 1, n, stdout); total += n; }
  if (n < 0) printf("read %s: %s\n", path, strerrorname_np(errno));
  printf("[%s: %ld bytes]\n", path, total);
  close(fd);
  fflush(stdout);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void ls(const char *path) {
  DIR *d = opendir(P(path));
  if (!d) { printf("opendir %s: %s\n", path, strerrorname_np(errno)); return; }
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("%s:", path);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "late") != 0) snprintf(pre, sizeof pre, "%s", argv[1]);
  int late = argc > 1 && strcmp(argv[argc - 1], "late") == 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  cat("/etc/motd");
  ls("/");
  ls("/data");
  struct stat st;
  if (stat(P("/data/big.bin"), &st) == 0) printf("big.bin: size %ld mode %o\n", (long)st.st_size, st.st_mode & 07777);
  int fd = open(P("/data/big.bin"), O_RDONLY);
  unsigned long sum = 0;
  unsigned char b[10000];
  long n;
  while ((n = read(fd, b, sizeof b)) > 0) for (long i = 0; i < n; i++) sum = sum * 31 + b[i];
  printf("big.bin sum %lx\n", sum);
  if (pread(fd, b, 5, 70000) == 5) printf("pread at 70000: %02x %02x %02x %02x %02x\n", b[0], b[1], b[2], b[3], b[4]);
  close(fd);
  char link[256] = {0};
  if (readlink(P("/data/link"), link, sizeof link - 1) > 0) printf("readlink: %s\n", link);
  cat("/data/link");
  if (!pre[0]) {
    /* Only in the enclave: the image is read only; /tmp is a tmpfs over it. */
    errno = 0;
    printf("open O_WRONLY: %d %s\n", open("/etc/motd", O_WRONLY), strerrorname_np(errno));
    printf("mkdir /x: %d %s\n", mkdir("/x", 0755), strerrorname_np(errno));
    printf("unlink: %d %s\n", unlink("/etc/motd"), strerrorname_np(errno));
    errno = 0;
    printf("open 0666 O_WRONLY: %d %s\n", open("/data/ww.txt", O_WRONLY), strerrorname_np(errno));
    printf("mkdir in 0777 dir: %d %s\n", mkdir("/data/wdir/x", 0755), strerrorname_np(errno));
    printf("creat in 0777 dir: %d %s\n", open("/data/wdir/f", O_CREAT | O_WRONLY, 0644), strerrorname_np(errno));
    int t = open("/tmp/f", O_CREAT | O_RDWR, 0644);
    printf("tmp write: %ld\n", (long)write(t, "hi", 2));
    close(t);
    printf("/dev/null: %d\n", access("/dev/null", W_OK));
    printf("/proc/self: %d\n", access("/proc/self/status", R_OK));
    /* A program shipped in the image. */
    pid_t c = fork();
    if (c == 0) {
      char *av[] = {"/bin/hello", NULL};
      execv(av[0], av);
      printf("execv: %s\n", strerrorname_np(errno));
      _exit(127);
    }
    int status;
    waitpid(c, &status, 0);
    printf("child status %d\n", WEXITSTATUS(status));
    char *av[] = {"/data/plain.txt", NULL};
    errno = 0;
    execv(av[0], av);
    printf("execv non-executable: %s\n", strerrorname_np(errno));
  }
  if (late) {
    printf("ready\n");
    char line[64];
    if (!fgets(line, sizeof line, stdin)) printf("no line\n");
    cat("/data/late.txt");
  }
  return 0;
}
