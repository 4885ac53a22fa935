/* EINTR versus SA_RESTART: a read on an empty pipe and a wait4 interrupted by SIGALRM fail
   with EINTR without SA_RESTART and continue with it; nanosleep, pause and sigsuspend are
   never restarted. */
#include "pm.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static volatile int alarms;
static void on_alrm(int s) { (void)s; alarms++; }
static void set_handler(int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alrm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
}
static void arm_ms(int ms) {
  struct itimerval it = {{0, 0}, {0, ms * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2];
  char buf[8];
  for (int restart = 0; restart < 2; restart++) {
    set_handler(restart);
    pipe(p);
    pid_t w = fork();
    if (w == 0) { usleep(150000); write(p[1], "late", 4); _exit(0); }
    alarms = 0;
    arm_ms(20);
    errno = 0;
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("read %s: ret=%zd %s alarms=%d\n", restart ? "SA_RESTART" : "plain", n, n < 0 ? strerrorname_np(errno) : "data", alarms);
    waitpid(w, NULL, 0);
    close(p[0]); close(p[1]);

    w = fork();
    if (w == 0) { usleep(150000); _exit(3); }
    alarms = 0;
    arm_ms(20);
    int st = 0;
    errno = 0;
    pid_t r = waitpid(w, &st, 0);
    printf("wait4 %s: %s alarms=%d\n", restart ? "SA_RESTART" : "plain", r == w ? "child" : strerrorname_np(errno), alarms);
    if (r != w) waitpid(w, &st, 0);
  }
  /* never restarted */
  set_handler(1);
  alarms = 0;
  arm_ms(20);
  struct timespec ts = {2, 0}, rem = {0, 0};
  int r = nanosleep(&ts, &rem);
  printf("nanosleep SA_RESTART: ret=%d %s rem_ok=%d\n", r, strerrorname_np(errno), rem.tv_sec >= 1 && rem.tv_sec <= 2);
  arm_ms(20);
  r = pause();
  printf("pause: ret=%d %s\n", r, strerrorname_np(errno));
  arm_ms(20);
  sigset_t none;
  sigemptyset(&none);
  r = sigsuspend(&none);
  printf("sigsuspend: ret=%d %s alarms=%d\n", r, strerrorname_np(errno), alarms);
  return 0;
}
