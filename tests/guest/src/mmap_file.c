/* File-backed mmap: MAP_PRIVATE (copy on write, sees the file until it writes), MAP_SHARED
 * (writes reach read() and other mappings, write() reaches the mapping, msync), offsets,
 * the partial page past end of file, SIGBUS beyond it and after ftruncate, PROT_EXEC of a
 * file holding code, and the errors (EACCES, ENODEV, EBADF, EINVAL). */
#include "fsutil.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void on_sig(int s, siginfo_t *si, void *uc) { (void)uc; got_sig = s; got_code = si->si_code; siglongjmp(jb, 1); }

/* Reads one byte, reporting a signal instead of dying. */
static void probe(const char *what, volatile char *p) {
  got_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    char c = *p;
    printf("%s: read '%c' (%d)\n", what, c >= 32 && c < 127 ? c : '.', c);
  } else {
    printf("%s: %s code %d\n", what, strsignal(got_sig), got_code);
  }
  fflush(stdout);
}
static void poke(const char *what, volatile char *p, char v) {
  got_sig = 0;
  if (sigsetjmp(jb, 1) == 0) { *p = v; printf("%s: wrote\n", what); }
  else printf("%s: %s code %d\n", what, strsignal(got_sig), got_code);
  fflush(stdout);
}

int main(void) {
  scratch_begin();
  struct sigaction sa = {0};
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  char buf[8192];
  for (int i = 0; i < 8192; i++) buf[i] = 'a' + i % 26;
  int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
  T(write(fd, buf, 6000));

  /* MAP_PRIVATE */
  char *p = mmap(NULL, 6000, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  OK(p == MAP_FAILED ? -1 : 0);
  printf("private[0..5]=%.5s [4096]=%c [5999]=%c\n", p, p[4096], p[5999]);
  probe("private past EOF in last page", p + 6000);
  probe("private last byte of page", p + 8191);
  T(pwrite(fd, "XY", 2, 10));
  printf("private sees write() before its own write: %.2s\n", p + 10);
  p[0] = 'Q';
  T(pwrite(fd, "ZZ", 2, 0));
  printf("after COW private[0]=%c file: ", p[0]);
  T(pread(fd, buf, 2, 0));
  printf("file[0..2]=%.2s\n", buf);
  printf("page 1 still follows the file: ");
  T(pwrite(fd, "W", 1, 4100));
  printf("private[4100]=%c\n", p[4100]);
  T(munmap(p, 6000));

  /* offsets */
  p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
  printf("offset 4096: %.3s\n", p);
  T(munmap(p, 4096));
  errno = 0;
  T((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100));
  /* beyond end of file: the mapping exists, touching it is SIGBUS */
  p = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, fd, 0);
  probe("shared page 1", p + 4096);
  probe("shared page 2 (past EOF)", p + 2 * 4096);
  probe("shared page 3 (past EOF)", p + 3 * 4096 + 5);
  T(munmap(p, 4 * 4096));

  /* MAP_SHARED */
  char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *s2 = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
  memcpy(s + 100, "shared!", 7);
  T(pread(fd, buf, 7, 100));
  printf("read() sees the mapping: %.7s\n", buf);
  printf("second mapping sees it: %.7s\n", s2 + 100);
  T(pwrite(fd, "write()", 7, 200));
  printf("mapping sees write(): %.7s / %.7s\n", s + 200, s2 + 200);
  T(msync(s, 8192, MS_SYNC));
  T(msync(s, 8192, MS_ASYNC | MS_INVALIDATE));
  T(msync(s + 1, 4096, MS_SYNC));
  T(msync(s, 4096, MS_SYNC | MS_ASYNC));
  s[5999] = '!';
  s[6000] = '?'; /* past EOF inside the last page: never reaches the file */
  struct stat st;
  fstat(fd, &st);
  printf("size still %ld\n", (long)st.st_size);
  T(ftruncate(fd, 3000));
  probe("after shrink, page 1", s + 4096);
  probe("after shrink, tail of page 0", s + 3500);
  T(ftruncate(fd, 6000));
  probe("after grow, page 1", s + 4096);
  T(pread(fd, buf, 10, 2995));
  printf("grown file: %.5s then %d %d\n", buf, buf[5], buf[9]);
  T(munmap(s2, 8192));
  T(munmap(s, 8192));
  T(pread(fd, buf, 7, 100));
  printf("after munmap: %.7s\n", buf);

  /* a shared mapping survives close and unlink */
  s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  T(unlink("data"));
  memcpy(s, "still here", 10);
  printf("unlinked: %.10s\n", s);
  T(munmap(s, 4096));

  /* PROT_EXEC: a file holding code (li a0,42; ret) */
  unsigned int code[2] = { 0x02a00513, 0x00008067 };
  fd = open("code", O_RDWR | O_CREAT | O_TRUNC, 0755);
  write(fd, code, sizeof code);
  int (*fn)(void) = (int (*)(void))mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  printf("code from a file returns %d\n", fn());
  T(munmap((void *)fn, 4096));
  /* Code patched with pwrite before it is mapped again (qemu-user does not see stores made
   * through another mapping into code it already translated, so none are printed). */
  fn = (int (*)(void))mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  printf("shared code returns %d\n", fn());
  munmap((void *)fn, 4096);
  unsigned int li7 = 0x00700513; /* li a0,7 */
  T(pwrite(fd, &li7, 4, 0));
  fn = (int (*)(void))mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  printf("patched code returns %d\n", fn());
  munmap((void *)fn, 8192);
  close(fd);

  /* errors */
  put("ro", "x");
  fd = open("ro", O_RDONLY);
  T((long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  OK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
  s = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  T(mprotect(s, 4096, PROT_READ | PROT_WRITE));
  T(mprotect(s, 4096, PROT_NONE));
  probe("PROT_NONE", s);
  T(mprotect(s, 4096, PROT_READ));
  probe("PROT_READ again", s);
  poke("write to read-only shared", s, 'z');
  munmap(s, 4096);
  char *pr = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  T(mprotect(pr, 4096, PROT_READ | PROT_WRITE));
  poke("private after mprotect", pr, 'z');
  printf("private now %c, file: ", pr[0]);
  T(pread(fd, buf, 1, 0));
  printf("%c\n", buf[0]);
  munmap(pr, 4096);
  close(fd);
  int wo = open("wo", O_WRONLY | O_CREAT, 0644);
  T((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wo, 0));
  T((long)mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, wo, 0));
  close(wo);
  T((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 99, 0));
  int d = open(".", O_RDONLY);
  T((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, d, 0));
  close(d);
  int pp[2];
  pipe(pp);
  T((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, pp[0], 0));
  int op = open("ro", O_PATH);
  T((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, op, 0));
  int dn = open("/dev/null", O_RDWR);
  T((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, dn, 0));
  fd = open("ro", O_RDONLY);
  T((long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0));
  T((long)mmap(NULL, 4096, PROT_READ, 0, fd, 0));
  scratch_end();
  return 0;
}
