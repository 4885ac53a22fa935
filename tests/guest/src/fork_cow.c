/* fork: copy-on-write of globals, heap, stack and private mappings, both directions; the
   child's pid/ppid relations; fork from a thread (only the caller is copied). */
#include "pm.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

static int global = 1;
static int pfd[2];

static void *forker(void *a) {
  (void)a;
  pid_t p = fork();
  if (p == 0) {
    /* the child has one thread: the one that forked */
    char b = 'k';
    write(pfd[1], &b, 1);
    _exit(5);
  }
  int st;
  waitpid(p, &st, 0);
  return (void *)(long)WEXITSTATUS(st);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int stackv = 2;
  int *heap = malloc(64 * 4096);
  for (int i = 0; i < 64 * 1024; i++) heap[i] = i;
  char *priv = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(priv, 'p', 8 * 4096);
  int tochild[2], toparent[2];
  pipe(tochild);
  pipe(toparent);
  pid_t me = getpid();
  pid_t p = fork();
  if (p == 0) {
    char c;
    read(tochild[0], &c, 1); /* the parent has written its copies by now */
    int ok = global == 1 && stackv == 2 && heap[1000] == 1000 && priv[5000] == 'p';
    global = 10; stackv = 20;
    for (int i = 0; i < 64 * 1024; i++) heap[i] = -i;
    memset(priv, 'c', 8 * 4096);
    printf("child: sees_old=%d ppid_ok=%d pid_new=%d\n", ok, getppid() == me, getpid() != me);
    write(toparent[1], "x", 1);
    _exit(0);
  }
  printf("parent: fork_ret_is_child=%d\n", p > 0 && p != me);
  global = 100; stackv = 200; heap[1000] = 7; priv[5000] = 'P';
  write(tochild[1], "x", 1);
  char c;
  read(toparent[0], &c, 1);
  int st;
  waitpid(p, &st, 0);
  int ok = 1;
  for (int i = 0; i < 64 * 1024; i++) if (i != 1000 && heap[i] != i) ok = 0;
  printf("parent: global=%d stack=%d heap1000=%d heap_rest=%d priv=%c/%c\n", global, stackv, heap[1000], ok, priv[5000], priv[0]);

  /* fork from a second thread */
  pipe(pfd);
  pthread_t th;
  pthread_create(&th, NULL, forker, NULL);
  void *ret;
  pthread_join(th, &ret);
  read(pfd[0], &c, 1);
  printf("fork in thread: child status=%ld byte=%c\n", (long)ret, c);

  /* nested: grandchild status travels up */
  p = fork();
  if (p == 0) {
    pid_t g = fork();
    if (g == 0) _exit(33);
    waitpid(g, &st, 0);
    _exit(WEXITSTATUS(st) + 1);
  }
  waitpid(p, &st, 0);
  printf("nested: %d\n", WEXITSTATUS(st));
  return 0;
}
