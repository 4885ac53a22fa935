/* Terminal access from a background process group (drivers/tty/tty_jobctrl.c __tty_check_change,
 * n_tty_read's job_control, n_tty_write with TOSTOP): tests/tty.test.ts runs it in a tmux pane
 * under qemu-riscv64 and under TEE OS and compares the panes. No keys are typed: every read
 * here is one Linux refuses or stops before it waits for input.
 *   - a background read stops the group with SIGTTIN; with SIGTTIN ignored or blocked it is EIO;
 *     with a SIGTTIN handler (no SA_RESTART) the handler runs and the read is EINTR;
 *   - a background write is allowed, unless TOSTOP is set: then SIGTTOU stops the group, unless
 *     SIGTTOU is ignored or blocked (then the write goes through);
 *   - a background tcsetattr stops the group with SIGTTOU whatever TOSTOP says; ignored, it works;
 *   - tcsetpgrp from the background with SIGTTOU blocked moves the foreground. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile int handled;
static void on_sig(int s) { handled = s; }

static void block(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(SIG_BLOCK, &s, NULL);
}

/* Runs fn in a child in its own (background) process group; reports how it ended. */
static void in_background(const char *what, void (*fn)(void)) {
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    fn();
    _exit(0);
  }
  setpgid(c, c);
  int st;
  waitpid(c, &st, WUNTRACED);
  if (WIFSTOPPED(st)) {
    printf("%s: stopped by %s\n", what, sigabbrev_np(WSTOPSIG(st)));
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
  } else if (WIFEXITED(st)) {
    printf("%s: exited %d\n", what, WEXITSTATUS(st));
  } else {
    printf("%s: killed by %s\n", what, sigabbrev_np(WTERMSIG(st)));
  }
}

static void report(const char *what, long r) {
  printf("  %s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "ok");
}

static void bg_read(void) { char b; report("read", read(0, &b, 1)); }
static void bg_read_ignored(void) { signal(SIGTTIN, SIG_IGN); bg_read(); }
static void bg_read_blocked(void) { block(SIGTTIN); bg_read(); }
static void bg_read_handler(void) {
  struct sigaction sa = { .sa_handler = on_sig };
  sigaction(SIGTTIN, &sa, NULL);
  bg_read();
  printf("  handler ran: %s\n", handled == SIGTTIN ? "SIGTTIN" : "no");
}
static void bg_write(void) { report("write", write(1, "  bg says hi\n", 13)); }
static void bg_write_ignored(void) { signal(SIGTTOU, SIG_IGN); bg_write(); }
static void bg_write_blocked(void) { block(SIGTTOU); bg_write(); }
static void bg_tcsetattr(void) {
  struct termios t;
  tcgetattr(0, &t);
  report("tcsetattr", tcsetattr(0, TCSANOW, &t));
}
static void bg_tcsetattr_ignored(void) { signal(SIGTTOU, SIG_IGN); bg_tcsetattr(); }
static void bg_tcsetpgrp(void) {
  block(SIGTTOU);
  pid_t before = tcgetpgrp(0);
  report("tcsetpgrp to itself", tcsetpgrp(0, getpgrp()));
  printf("  now in the foreground: %d\n", tcgetpgrp(0) == getpgrp());
  report("tcsetpgrp back", tcsetpgrp(0, before));
}
static void bg_tcsetpgrp_default(void) { report("tcsetpgrp", tcsetpgrp(0, getpgrp())); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!isatty(0) || !isatty(1)) {
    printf("needs a terminal\n");
    return 1;
  }
  /* tmux starts panes with SIGTTIN and SIGTTOU ignored (inherited through exec): default them. */
  signal(SIGTTIN, SIG_DFL);
  signal(SIGTTOU, SIG_DFL);
  printf("ready\n");
  printf("in the foreground: %d\n", tcgetpgrp(0) == getpgrp());
  in_background("background read", bg_read);
  in_background("background read, SIGTTIN ignored", bg_read_ignored);
  in_background("background read, SIGTTIN blocked", bg_read_blocked);
  in_background("background read, SIGTTIN handler", bg_read_handler);
  in_background("background write", bg_write);
  in_background("background tcsetattr", bg_tcsetattr);
  in_background("background tcsetattr, SIGTTOU ignored", bg_tcsetattr_ignored);
  in_background("background tcsetpgrp", bg_tcsetpgrp_default);
  in_background("background tcsetpgrp, SIGTTOU blocked", bg_tcsetpgrp);
  printf("in the foreground again: %d\n", tcgetpgrp(0) == getpgrp());
  struct termios t, saved;
  tcgetattr(0, &saved);
  t = saved;
  t.c_lflag |= TOSTOP;
  report("TOSTOP on", tcsetattr(0, TCSANOW, &t));
  in_background("background write, TOSTOP", bg_write);
  in_background("background write, TOSTOP, SIGTTOU ignored", bg_write_ignored);
  in_background("background write, TOSTOP, SIGTTOU blocked", bg_write_blocked);
  report("TOSTOP off", tcsetattr(0, TCSANOW, &saved));
  printf("done\n");
  return 0;
}
