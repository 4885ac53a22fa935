/* fork in a multithreaded process: only the calling thread exists in the child (its tid is
   the child's pid, other threads' work stops), pthread_atfork handlers run in their order
   (prepare in reverse, parent and child in registration order), a mutex another thread holds
   stays held in the child, the child can fork again, and a fork from a second thread gives a
   child whose parent is the process. (qemu 7.2 aborts when such a child creates a thread.) */
#include "pm.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char trace[64];
static int nt;
static void p1(void) { trace[nt++] = 'p'; trace[nt++] = '1'; }
static void p2(void) { trace[nt++] = 'p'; trace[nt++] = '2'; }
static void a1(void) { trace[nt++] = 'a'; trace[nt++] = '1'; }
static void a2(void) { trace[nt++] = 'a'; trace[nt++] = '2'; }
static void c1(void) { trace[nt++] = 'c'; trace[nt++] = '1'; }
static void c2(void) { trace[nt++] = 'c'; trace[nt++] = '2'; }

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long *spins;
static volatile int holding, release_it;

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&held);
  holding = 1;
  while (!release_it) { (*spins)++; usleep(1000); }
  pthread_mutex_unlock(&held);
  return NULL;
}

static void *forker(void *arg) {
  (void)arg;
  pid_t me = getpid();
  pid_t c = fork();
  if (c == 0) _exit(getppid() == me ? 0 : 1);
  int st;
  waitpid(c, &st, 0);
  return (void *)(long)WEXITSTATUS(st);
}

int main(void) {
  spins = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_atfork(p1, a1, c1);
  pthread_atfork(p2, a2, c2);
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  while (!holding) usleep(1000);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    unsigned long s0 = *spins;
    usleep(50000);
    int others_ran = *spins != s0; /* the holder thread runs on in the parent only */
    printf("child: trace %.*s, tid is pid %d, trylock %s\n", nt, trace, (pid_t)syscall(SYS_gettid) == getpid(),
           strerrorname_np(pthread_mutex_trylock(&held)));
    printf("child: parent's holder still counting (in the parent) %d\n", others_ran);
    fflush(stdout);
    pid_t g = fork();
    if (g == 0) _exit(3);
    int st;
    waitpid(g, &st, 0);
    printf("child: grandchild exit %d\n", WEXITSTATUS(st));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("parent: trace %.*s, child exit %d\n", nt, trace, WEXITSTATUS(st));
  release_it = 1;
  pthread_join(t, NULL);
  void *r;
  pthread_create(&t, NULL, forker, NULL);
  pthread_join(t, &r);
  printf("fork from a second thread: child's parent is the process %d\n", (long)r == 0);
  return 0;
}
