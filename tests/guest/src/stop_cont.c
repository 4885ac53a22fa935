/* Job control on a forked child: SIGSTOP stops it (wait4 WUNTRACED: sig<<8|0x7f, reported
   once), a stopped child does not run, a second stop adds nothing, SIGCONT resumes it
   (WCONTINUED: 0xffff, reported once), SIGCONT to a running child reports nothing, SIGKILL
   ends a stopped child, and SIGTERM sent while stopped kills it by the time it is continued. */
#include "pm.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static volatile unsigned long *counter; /* MAP_SHARED: the child counts, the parent watches */

static pid_t spinner(void) {
  unsigned long start = *counter;
  pid_t p = fork();
  if (p == 0) for (;;) { (*counter)++; usleep(1000); }
  while (*counter < start + 3) usleep(1000);
  return p;
}

static int advances(void) {
  unsigned long c = *counter;
  for (int i = 0; i < 200; i++) { usleep(5000); if (*counter != c) return 1; }
  return 0;
}

int main(void) {
  counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int st;
  pid_t p = spinner();
  kill(p, SIGSTOP);
  pid_t r = waitpid(p, &st, WUNTRACED);
  printf("stopped: pid ok %d status 0x%x WIFSTOPPED %d WSTOPSIG %d WIFEXITED %d WIFSIGNALED %d\n",
         r == p, st, WIFSTOPPED(st), WSTOPSIG(st), WIFEXITED(st), WIFSIGNALED(st));
  printf("reported again: %d\n", waitpid(p, &st, WNOHANG | WUNTRACED));
  unsigned long c = *counter;
  usleep(100000);
  printf("ran while stopped: %s\n", *counter == c ? "no" : "yes");
  kill(p, SIGSTOP);
  usleep(20000);
  printf("second SIGSTOP reported: %d\n", waitpid(p, &st, WNOHANG | WUNTRACED));
  printf("plain WNOHANG while stopped: %d\n", waitpid(p, &st, WNOHANG));
  kill(p, SIGCONT);
  r = waitpid(p, &st, WCONTINUED);
  printf("continued: pid ok %d status 0x%x WIFCONTINUED %d WIFSTOPPED %d\n", r == p, st, WIFCONTINUED(st), WIFSTOPPED(st));
  printf("continue reported again: %d\n", waitpid(p, &st, WNOHANG | WCONTINUED));
  printf("runs again: %s\n", advances() ? "yes" : "no");
  kill(p, SIGCONT);
  usleep(20000);
  printf("SIGCONT to a running child reported: %d\n", waitpid(p, &st, WNOHANG | WCONTINUED | WUNTRACED));
  /* stop, then continue before the parent looks: only the continue is left to report */
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  kill(p, SIGSTOP);
  kill(p, SIGCONT);
  r = waitpid(p, &st, WUNTRACED | WCONTINUED);
  printf("after stop+cont: 0x%x\n", st);
  /* SIGKILL ends a stopped child */
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  kill(p, SIGKILL);
  r = waitpid(p, &st, 0);
  printf("SIGKILL while stopped: pid ok %d WIFSIGNALED %d WTERMSIG %d\n", r == p, WIFSIGNALED(st), WTERMSIG(st));
  /* SIGTERM (default action) to a stopped child */
  p = spinner();
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  kill(p, SIGTERM);
  kill(p, SIGCONT);
  r = waitpid(p, &st, 0);
  printf("SIGTERM while stopped, then SIGCONT: WIFSIGNALED %d WTERMSIG %d\n", WIFSIGNALED(st), WTERMSIG(st));
  /* a handled signal while stopped runs only after SIGCONT; the child then exits 10. The child
     says when its handler is in place (a fixed sleep was too short for an SGX fork under load:
     SIGUSR1's default action ended the child first). */
  int ready[2];
  if (pipe(ready)) return 1;
  p = fork();
  if (p == 0) {
    signal(SIGUSR1, SIG_DFL);
    struct sigaction sa = {0};
    sa.sa_handler = (void (*)(int))_exit; /* _exit(SIGUSR1 = 10) */
    sigaction(SIGUSR1, &sa, NULL);
    write(ready[1], "r", 1);
    for (;;) pause();
  }
  char rb;
  read(ready[0], &rb, 1);
  kill(p, SIGSTOP);
  waitpid(p, &st, WUNTRACED);
  kill(p, SIGUSR1);
  usleep(50000);
  printf("handler ran while stopped: %s\n", waitpid(p, &st, WNOHANG) == 0 ? "no" : "yes");
  kill(p, SIGCONT);
  waitpid(p, &st, 0);
  printf("after SIGCONT: WIFEXITED %d code %d\n", WIFEXITED(st), WEXITSTATUS(st));
  printf("no children: %d %s\n", waitpid(-1, &st, WUNTRACED), strerrorname_np(errno));
  return 0;
}
