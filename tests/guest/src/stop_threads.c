/* A stop stops the whole thread group: a child with three counting threads stops (none
   advances) when SIGSTOP is sent to the process or with tgkill to one thread, and all resume
   on SIGCONT; a thread sleeping in read() across the stop completes its read normally. */
#include "pm.h"
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct shared { volatile unsigned long count[3]; volatile int tid[3]; volatile int readres, readerr; };
static struct shared *sh;
static int rd[2];

static void *counter(void *arg) {
  long i = (long)arg;
  sh->tid[i] = syscall(SYS_gettid);
  for (;;) { sh->count[i]++; usleep(1000); }
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  char c;
  errno = 0;
  sh->readres = read(rd[0], &c, 1);
  sh->readerr = errno;
  return NULL;
}

static int all_advance(void) {
  unsigned long c[3];
  for (int i = 0; i < 3; i++) c[i] = sh->count[i];
  for (int n = 0; n < 400; n++) {
    usleep(5000);
    if (sh->count[0] != c[0] && sh->count[1] != c[1] && sh->count[2] != c[2]) return 1;
  }
  return 0;
}

static int none_advance(void) {
  unsigned long c[3];
  for (int i = 0; i < 3; i++) c[i] = sh->count[i];
  usleep(100000);
  return sh->count[0] == c[0] && sh->count[1] == c[1] && sh->count[2] == c[2];
}

int main(void) {
  sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  sh->readres = -2;
  pipe(rd);
  pid_t p = fork();
  if (p == 0) {
    pthread_t t;
    pthread_create(&t, NULL, counter, (void *)1L);
    pthread_create(&t, NULL, counter, (void *)2L);
    pthread_create(&t, NULL, reader, NULL);
    counter((void *)0L);
  }
  while (!sh->tid[1] || !sh->tid[2]) usleep(1000);
  printf("all run: %d\n", all_advance());
  int st;
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  printf("SIGSTOP to the process: stopped %d, none advance %d\n", WIFSTOPPED(st), none_advance());
  write(rd[1], "r", 1);
  usleep(50000);
  printf("read done while stopped: %s\n", sh->readres == -2 ? "no" : "yes");
  kill(p, SIGCONT);
  waitpid(p, &st, WCONTINUED);
  printf("SIGCONT: continued %d, all advance %d\n", WIFCONTINUED(st), all_advance());
  for (int n = 0; n < 400 && sh->readres == -2; n++) usleep(5000);
  printf("read across the stop: %d %s\n", sh->readres, sh->readres < 0 ? strerrorname_np(sh->readerr) : "ok");
  syscall(SYS_tgkill, p, sh->tid[2], SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  printf("tgkill SIGSTOP to one thread: stopped %d by %s, none advance %d\n", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)), none_advance());
  syscall(SYS_tgkill, p, sh->tid[1], SIGCONT);
  waitpid(p, &st, WCONTINUED);
  printf("tgkill SIGCONT to another: continued %d, all advance %d\n", WIFCONTINUED(st), all_advance());
  kill(p, SIGKILL);
  waitpid(p, &st, 0);
  printf("killed: %d\n", WTERMSIG(st));
  return 0;
}
