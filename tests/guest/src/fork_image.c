/* fork and the program's own pages (its ELF segments, filled on first touch): initialized data
   the parent zeroed, changed or never touched, a rodata table and code first used in the child,
   after fork and after a second fork from the child. */
#include "pm.h"
#include <sys/wait.h>

#define N 3 * 4096
static unsigned char data[N] = { [0 ... N - 1] = 7 };      /* .data: three pages of 7s */
static const unsigned int table[2048] = { [0 ... 2047] = 11 }; /* .rodata: two pages */
static unsigned char bss[2 * 4096];                          /* .bss */

static unsigned long sum(const unsigned char *p, int n) { unsigned long s = 0; for (int i = 0; i < n; i++) s += p[i]; return s; }

/* Code the parent never runs before the fork: its page is first touched in the child. */
__attribute__((noinline, aligned(4096))) static unsigned long only_in_child(void) {
  unsigned long s = 0;
  for (int i = 0; i < 2048; i++) s += table[i];
  return s;
}

static void report(const char *who) {
  printf("%s: page0 %lu page1 %lu page2 %lu bss %lu table %lu\n", who, sum(data, 4096), sum(data + 4096, 4096),
         sum(data + 8192, 4096), sum(bss, sizeof bss), only_in_child());
  fflush(stdout);
}

int main(void) {
  memset(data, 0, 4096);   /* page 0: zeroed (differs from the file's 7s) */
  data[4096 + 5] = 100;    /* page 1: changed */
                           /* page 2: never touched */
  bss[10] = 3;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    report("child");
    pid_t g = fork();
    if (g == 0) { data[8192] = 1; report("grandchild"); _exit(0); }
    waitpid(g, NULL, 0);
    report("child after grandchild");
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
  report("parent");
  return 0;
}
