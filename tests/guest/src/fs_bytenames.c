/* File names are bytes: names that are not valid UTF-8 (bytes 0x80-0xff alone, 5- and
 * 6-byte forms, overlong forms, surrogates) come back byte for byte from getdents64,
 * readlink, getcwd and lookups, beside valid UTF-8 (busybox testsuite: ls unicode test). */
#include "fsutil.h"
#include <dirent.h>

static void hex(const char *what, const char *s) {
  printf("%s:", what);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) printf(" %02x", *p);
  printf("\n");
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
  static const char *names[] = {
    "a\xf8\x88\x80\x80\x80" "b", /* 5-byte form */
    "c\xc3\xa9" "d",             /* valid: e-acute */
    "e\xc0\xaf",                 /* overlong '/' */
    "f\xed\xa0\x80",             /* UTF-16 surrogate D800 */
    "g\xff\xfe",                 /* never valid */
    "h\xf0\x9f\x98\x80\x80",     /* valid 4-byte then a stray continuation */
  };
  scratch_begin();
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
    put(names[i], "x");
    struct stat st;
    printf("stat %u: %d\n", i, stat(names[i], &st));
  }
  DIR *d = opendir(".");
  char *got[64]; int n = 0; struct dirent *e;
  while ((e = readdir(d)) && n < 64) if (e->d_name[0] != '.') got[n++] = strdup(e->d_name);
  closedir(d);
  qsort(got, n, sizeof *got, cmp);
  for (int i = 0; i < n; i++) { hex("getdents", got[i]); free(got[i]); }
  T(symlink("t\x80\xff", "link"));
  char buf[256]; ssize_t r = readlink("link", buf, sizeof buf);
  printf("readlink: %zd\n", r);
  if (r > 0) { buf[r] = 0; hex("target", buf); }
  T(mkdir("dir\xfe", 0755));
  T(chdir("dir\xfe"));
  if (getcwd(buf, sizeof buf)) { const char *b = strrchr(buf, '/'); hex("cwd tail", b ? b : buf); }
  T(chdir(".."));
  T(rename(names[0], "z\x81"));
  struct stat st;
  printf("old gone: %d, new: %d\n", stat(names[0], &st), stat("z\x81", &st));
  scratch_end(); /* nftw: readdir names back into unlink/rmdir */
  return 0;
}
