/* prctl PR_SET_NAME/PR_GET_NAME (16 bytes with the NUL, truncated), inheritance by fork,
   per-thread names, and errors (EFAULT, EINVAL). */
#include "pm.h"
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static char tname[16];
static void *th(void *a) {
  (void)a;
  prctl(PR_SET_NAME, "worker", 0, 0, 0);
  prctl(PR_GET_NAME, tname, 0, 0, 0);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char name[32];
  memset(name, 'x', sizeof name);
  prctl(PR_SET_NAME, "short", 0, 0, 0);
  prctl(PR_GET_NAME, name, 0, 0, 0);
  printf("short: '%s'\n", name);
  prctl(PR_SET_NAME, "a-much-longer-name-than-fits", 0, 0, 0);
  memset(name, 'x', sizeof name);
  prctl(PR_GET_NAME, name, 0, 0, 0);
  printf("long: '%s' len=%zu byte16=%c\n", name, strlen(name), name[16]);
  prctl(PR_SET_NAME, "", 0, 0, 0);
  prctl(PR_GET_NAME, name, 0, 0, 0);
  printf("empty: '%s'\n", name);
  prctl(PR_SET_NAME, "parent", 0, 0, 0);
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_GET_NAME, name, 0, 0, 0);
    printf("child inherits: '%s'\n", name);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  pthread_t t;
  pthread_create(&t, NULL, th, NULL);
  pthread_join(t, NULL);
  prctl(PR_GET_NAME, name, 0, 0, 0);
  printf("thread name: '%s', main still: '%s'\n", tname, name);
  ERR("PR_SET_NAME bad ptr", prctl(PR_SET_NAME, (char *)8, 0, 0, 0));
  ERR("PR_GET_NAME bad ptr", prctl(PR_GET_NAME, (char *)8, 0, 0, 0));
  ERR("unknown option", prctl(0x7fff1234, 0, 0, 0, 0));
  return 0;
}
