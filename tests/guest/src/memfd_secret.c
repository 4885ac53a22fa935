/* memfd_secret (447) as uid 1000: flags (only O_CLOEXEC), the fd's kind (fstat, /proc/self/fd),
   read/write/pread/lseek on it, ftruncate once (a second size EINVAL), mmap MAP_SHARED only
   (MAP_PRIVATE EINVAL), the pages locked (VmLck, RLIMIT_MEMLOCK: EAGAIN past it), /proc/self/maps'
   "/secretmem (deleted)", bytes written through one mapping seen in a second one, a page past
   the end SIGBUS, and a forked child sharing the mapping (its writes seen by the parent; on sgx
   the child is another enclave and the page moves between them sealed, never through the host).
   Not a qemu case (qemu 7.2: ENOSYS); the expected output is Linux 6.18's for the same source
   built natively. */
#include "pm.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

static long vmlck_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "VmLck:", 6)) kb = atol(line + 6);
  if (f) fclose(f);
  return kb;
}

static void maps_line(void *addr) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  unsigned long a = (unsigned long)addr;
  while (f && fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char perms[8];
    unsigned long off;
    unsigned major, minor;
    unsigned long ino;
    int n = 0;
    if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &s, &e, perms, &off, &major, &minor, &ino, &n) >= 7 && s == a) {
      line[strcspn(line, "\n")] = 0;
      printf("maps: %s size %lu offset %lx name \"%s\"\n", perms, e - s, off, line + n);
    }
  }
  if (f) fclose(f);
}

static sigjmp_buf jb;
static void on_bus(int sig) { siglongjmp(jb, sig); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  SHOW("flags 1", syscall(SYS_memfd_secret, 1));
  SHOW("flags O_NONBLOCK", syscall(SYS_memfd_secret, O_NONBLOCK));
  SHOW("flags O_RDWR", syscall(SYS_memfd_secret, O_RDWR));
  int fd = syscall(SYS_memfd_secret, O_CLOEXEC);
  printf("O_CLOEXEC: %s, FD_CLOEXEC %d\n", fd >= 0 ? "fd" : strerrorname_np(errno), fcntl(fd, F_GETFD));
  close(fd);
  fd = syscall(SYS_memfd_secret, 0);
  printf("flags 0: %s, FD_CLOEXEC %d, F_GETFL O_ACCMODE %d\n", fd >= 0 ? "fd" : strerrorname_np(errno), fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & O_ACCMODE);
  struct stat st;
  fstat(fd, &st);
  printf("fstat: mode %o size %ld nlink %ld blocks %ld\n", st.st_mode, (long)st.st_size, (long)st.st_nlink, (long)st.st_blocks);
  char link[256], path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("fd link: %s\n", link);
  char buf[16] = "secret";
  SHOW("write", write(fd, buf, 6));
  SHOW("read", read(fd, buf, 6));
  SHOW("pread", pread(fd, buf, 6, 0));
  SHOW("lseek", lseek(fd, 0, SEEK_END));
  void *early = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("mmap before ftruncate: %s, VmLck %ld kB\n", early == MAP_FAILED ? strerrorname_np(errno) : "ok", vmlck_kb());
  if (early != MAP_FAILED) munmap(early, 4096);
  SHOW("ftruncate 8192", ftruncate(fd, 8192));
  SHOW("ftruncate 4096 (a second size)", ftruncate(fd, 4096));
  SHOW("ftruncate 8192 again", ftruncate(fd, 8192));
  SHOW("fallocate", fallocate(fd, 0, 0, 4096));
  fstat(fd, &st);
  printf("fstat after: size %ld\n", (long)st.st_size);
  SHOW("mmap MAP_PRIVATE", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
  printf("VmLck before: %ld kB\n", vmlck_kb());
  char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("mmap MAP_SHARED: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  printf("VmLck: %ld kB\n", vmlck_kb());
  maps_line(p);
  printf("fresh page zero: %s\n", p[0] == 0 && p[4095] == 0 ? "yes" : "no");
  strcpy(p, "top secret");
  strcpy(p + 4096, "page two");
  char *q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
  printf("second mapping at offset 4096: %s\n", q == MAP_FAILED ? strerrorname_np(errno) : q);
  printf("VmLck with both: %ld kB\n", vmlck_kb());
  SHOW("read after mapping", read(fd, buf, 6));
  munmap(q, 4096);
  /* A page past the end of the file: SIGBUS. */
  char *r = mmap(NULL, 12288, PROT_READ, MAP_SHARED, fd, 0);
  signal(SIGBUS, on_bus);
  int sig = sigsetjmp(jb, 1);
  if (!sig) {
    volatile char c = r[8192];
    (void)c;
    printf("past the end: no signal\n");
  } else {
    printf("past the end: signal %s\n", sig == SIGBUS ? "SIGBUS" : "other");
  }
  munmap(r, 12288);
  /* A forked child shares the mapping (no VM_DONTCOPY); its VMA is not locked. */
  pid_t pid = fork();
  if (pid == 0) {
    int ok = !strcmp(p, "top secret") && !strcmp(p + 4096, "page two");
    strcpy(p, "from the child");
    _exit(ok ? (vmlck_kb() == 0 ? 0 : 2) : 1);
  }
  int ws;
  waitpid(pid, &ws, 0);
  printf("child saw the bytes, VmLck 0 there: %s; parent now reads \"%s\"\n", WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? "yes" : "no", p);
  munmap(p, 8192);
  printf("VmLck after munmap: %ld kB\n", vmlck_kb());
  /* RLIMIT_MEMLOCK: the mapping is locked, so it must fit. */
  struct rlimit rl = {16384, 16384};
  setrlimit(RLIMIT_MEMLOCK, &rl);
  int fd2 = syscall(SYS_memfd_secret, 0);
  ftruncate(fd2, 65536);
  void *big = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
  printf("64 KiB under a 16 KiB RLIMIT_MEMLOCK: %s\n", big == MAP_FAILED ? strerrorname_np(errno) : "ok");
  void *small = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
  printf("16 KiB: %s, VmLck %ld kB\n", small == MAP_FAILED ? strerrorname_np(errno) : "ok", vmlck_kb());
  void *more = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
  printf("4 KiB more: %s\n", more == MAP_FAILED ? strerrorname_np(errno) : "ok");
  SHOW("munlock of it", munlock(small, 16384));
  printf("VmLck after munlock (secretmem stays locked): %ld kB\n", vmlck_kb());
  SHOW("mlock of it", mlock(small, 16384));
  printf("VmLck after mlock: %ld kB\n", vmlck_kb());
  rl.rlim_cur = rl.rlim_max = 0;
  setrlimit(RLIMIT_MEMLOCK, &rl);
  int fd3 = syscall(SYS_memfd_secret, 0);
  ftruncate(fd3, 4096);
  void *none = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd3, 0);
  printf("RLIMIT_MEMLOCK 0: %s\n", none == MAP_FAILED ? strerrorname_np(errno) : "ok");
  return 0;
}
