/*
 * A process that made shared memory (MAP_SHARED anonymous, a memfd), a tmpfs file and an eventfd, then forked,
 * ends before its child. Linux keeps those objects alive while anyone maps or holds them: the
 * orphan and its own child go on using the memory, its futexes and
 * the file description. On the SGX model each process is an enclave, and the one that made the
 * objects serves them (docs/sgx-fork.md): it must go on serving them after its process ended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long futex(atomic_int *w, int op, int val) {
  return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static void show(const char *who, pid_t p, int st) {
  if (p < 0) printf("%s: wait: %s\n", who, strerror(errno));
  else if (WIFEXITED(st)) printf("%s exited %d\n", who, WEXITSTATUS(st));
  else printf("%s ended by signal %d\n", who, WTERMSIG(st));
}

int main(int argc, char **argv) {
  (void)argv;
  setvbuf(stdout, NULL, _IONBF, 0);
  int done[2]; /* its write end is open in A, B and C: EOF once they all have ended */
  int go[2];   /* the top process tells B that it has reaped A */
  if (pipe(done) != 0 || pipe(go) != 0) { perror("pipe"); return 1; }
  pid_t a = fork();
  if (a == 0) {
    close(done[0]);
    atomic_int *anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int mfd = memfd_create("owner_exit", 0);
    if (anon == MAP_FAILED || mfd < 0 || ftruncate(mfd, 4096) != 0) { perror("A: setup"); _exit(1); }
    atomic_int *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    int tfd = open("/tmp/owner_exit.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
    int efd = eventfd(0, 0);
    if (mem == MAP_FAILED || tfd < 0 || efd < 0) { perror("A: setup"); _exit(1); }
    anon[0] = 100;
    anon[1024] = 5; /* the second page */
    mem[0] = 7;
    if (write(tfd, "from A\n", 7) != 7) { perror("A: write"); _exit(1); }
    pid_t was = getpid();
    pid_t b = fork();
    if (b < 0) { perror("A: fork"); _exit(1); }
    if (b == 0) {
      /* B: wait until A has ended (B is then an orphan, adopted by another process). */
      char t;
      if (read(go[0], &t, 1) != 1) perror("B: read go");
      while (getppid() == was) usleep(1000);
      printf("B: A has ended; I was adopted\n");
      printf("B: anon %d %d, memfd page %d\n", atomic_load(&anon[0]), atomic_load(&anon[1024]), atomic_load(&mem[0]));
      atomic_fetch_add(&anon[0], 1);
      atomic_fetch_add(&mem[0], 1);
      char buf[64] = {0};
      if (lseek(tfd, 0, SEEK_SET) != 0 || read(tfd, buf, sizeof buf - 1) != 7) perror("B: read");
      printf("B: the file holds: %s", buf);
      if (write(tfd, "from B\n", 7) != 7) perror("B: write");
      eventfd_t ev = 5;
      if (eventfd_write(efd, ev) != 0) perror("B: eventfd_write");
      pid_t c = fork();
      if (c == 0) {
        /* C: waits on a futex in the shared page until B wakes it, then adds to both counters. */
        while (atomic_load(&anon[512]) == 0) futex(&anon[512], FUTEX_WAIT, 0);
        atomic_fetch_add(&anon[0], 10);
        atomic_fetch_add(&mem[0], 10);
        char b2[64] = {0};
        ssize_t n = pread(tfd, b2, sizeof b2 - 1, 0);
        printf("C: woken; the file holds %zd bytes: %s", n, b2);
        eventfd_t got = 0;
        if (eventfd_read(efd, &got) != 0) perror("C: eventfd_read");
        printf("C: the eventfd counted %llu\n", (unsigned long long)got);
        if (eventfd_write(efd, 2) != 0) perror("C: eventfd_write");
        _exit(0);
      }
      atomic_store(&anon[512], 1);
      futex(&anon[512], FUTEX_WAKE, 1);
      int st;
      show("B: C", waitpid(c, &st, 0), st);
      eventfd_t back = 0;
      if (eventfd_read(efd, &back) != 0) perror("B: eventfd_read");
      printf("B: the eventfd counted %llu\n", (unsigned long long)back);
      printf("B: anon %d, memfd page %d, file offset %ld\n", atomic_load(&anon[0]), atomic_load(&mem[0]), (long)lseek(tfd, 0, SEEK_CUR));
      struct stat sb;
      if (fstat(mfd, &sb) == 0) printf("B: memfd size %ld\n", (long)sb.st_size);
      _exit(0);
    }
    _exit(0);
  }
  close(done[1]);
  int st;
  show("A", waitpid(a, &st, 0), st);
  if (write(go[1], "g", 1) != 1) perror("write go");
  char c;
  ssize_t n = read(done[0], &c, 1);
  printf("B and C have ended (read %zd)\n", n);

  /* Again with an eventfd alone: nothing else keeps its ended maker's enclave serving it. */
  if (pipe(done) != 0 || pipe(go) != 0) { perror("pipe"); return 1; }
  pid_t a2 = fork();
  if (a2 == 0) {
    close(done[0]);
    int efd = eventfd(7, 0);
    if (efd < 0) { perror("A2: eventfd"); _exit(1); }
    pid_t was = getpid();
    pid_t b2 = fork();
    if (b2 == 0) {
      char t;
      if (read(go[0], &t, 1) != 1) perror("B2: read go");
      while (getppid() == was) usleep(1000);
      eventfd_t v = 0;
      if (eventfd_read(efd, &v) != 0) perror("B2: eventfd_read");
      printf("B2: A2 has ended; its eventfd counted %llu\n", (unsigned long long)v);
      pid_t c2 = fork();
      if (c2 == 0) {
        if (eventfd_write(efd, 3) != 0) perror("C2: eventfd_write");
        _exit(0);
      }
      int st2;
      show("B2: C2", waitpid(c2, &st2, 0), st2);
      if (eventfd_read(efd, &v) != 0) perror("B2: eventfd_read");
      printf("B2: C2 wrote %llu\n", (unsigned long long)v);
      _exit(0);
    }
    _exit(0);
  }
  close(done[1]);
  show("A2", waitpid(a2, &st, 0), st);
  if (write(go[1], "g", 1) != 1) perror("write go");
  n = read(done[0], &c, 1);
  printf("B2 and C2 have ended (read %zd)\n", n);
  /* `owner_exit wait`: the host-side test (tests/sgx-migrate.test.ts) sees A's enclave end. */
  if (argc > 1) sleep(3);
  return 0;
}
