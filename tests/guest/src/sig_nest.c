/* Several signals become deliverable at once (unblocked together): Linux sets up a frame for
   each before returning to user mode, lowest number first, so the last one set up (the
   highest) runs first and returns into the next; real-time signals queue every instance (in order of sending), standard ones coalesce; a
   handler that raises a signal it does not block runs the new handler nested inside. */
#include "pm.h"
#include <signal.h>

static volatile char order[64];
static volatile int n;
static void rec(int s) {
  if (n < 60) order[n++] = s >= SIGRTMIN ? 'a' + (s - SIGRTMIN) : s == SIGUSR1 ? 'U' : s == SIGUSR2 ? 'V' : s == SIGTERM ? 'T' : s == SIGHUP ? 'H' : '?';
}
static void rt_info(int s, siginfo_t *si, void *uc) {
  (void)uc;
  if (n < 60) order[n++] = '0' + si->si_value.sival_int;
  (void)s;
}
static void raiser(int s) {
  rec(s);
  raise(SIGUSR2); /* not blocked by this handler: runs at once, nested */
  if (n < 60) order[n++] = '/';
}

static volatile int depth;
static void nodefer(int s) {
  rec(s);
  if (depth++ == 0) raise(SIGHUP);
  if (n < 60) order[n++] = '/';
}

static void flush(const char *label) {
  printf("%s: ", label);
  for (int i = 0; i < n; i++) putchar(order[i]);
  putchar(10);
  n = 0;
}

int main(void) {
  sigset_t all, old;
  sigemptyset(&all);
  int sigs[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGTERM};
  struct sigaction sa = {0};
  sa.sa_handler = rec;
  for (int i = 0; i < 4; i++) { sigaction(sigs[i], &sa, NULL); sigaddset(&all, sigs[i]); }
  sigprocmask(SIG_BLOCK, &all, &old);
  raise(SIGTERM); raise(SIGUSR2); raise(SIGHUP); raise(SIGUSR1); raise(SIGUSR1);
  sigprocmask(SIG_SETMASK, &old, NULL);
  flush("four pending, unblocked together");

  /* real-time: every instance, values in sending order; lower rt numbers first */
  struct sigaction rs = {0};
  rs.sa_sigaction = rt_info;
  rs.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &rs, NULL);
  sigaction(SIGRTMIN + 1, &rs, NULL);
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN);
  sigaddset(&rt, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &rt, &old);
  for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = i + 3});
  for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
  sigprocmask(SIG_SETMASK, &old, NULL);
  flush("rt signals (values)");

  /* nested: the handler raises SIGUSR2 */
  sa.sa_handler = raiser;
  sigaction(SIGHUP, &sa, NULL);
  raise(SIGHUP);
  flush("handler raises SIGUSR2");
  /* SA_NODEFER: the same signal nests inside its own handler (once: the flag stops it) */
  sa.sa_handler = nodefer;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGHUP, &sa, NULL);
  raise(SIGHUP);
  flush("SA_NODEFER");
  return 0;
}
