/* Signal keys while the program is not reading the terminal (tests/tty.test.ts, through tmux,
 * under qemu-riscv64 and TEE OS): with ICANON and ECHO off and ISIG on, Ctrl-C arrives while
 * it computes, Ctrl-\ while it waits in sigsuspend, Ctrl-Z while it computes again (flushing the
 * key typed before it, as n_tty does without NOFLSH); a key typed while it sleeps is still there
 * for its next read. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t got_int, got_quit, got_tstp;
static void on_sig(int s) { if (s == SIGINT) got_int = 1; else if (s == SIGQUIT) got_quit = 1; else got_tstp = 1; }

static unsigned long spin(volatile sig_atomic_t *flag) {
  unsigned long x = 1;
  while (!*flag) x = x * 6364136223846793005UL + 1442695040888963407UL;
  return x;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa = { .sa_handler = on_sig };
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL);
  sigaction(SIGTSTP, &sa, NULL);
  struct termios saved, raw;
  tcgetattr(0, &saved);
  raw = saved;
  raw.c_lflag &= ~(ICANON | ECHO);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  tcsetattr(0, TCSAFLUSH, &raw);
  printf("ready\n");
  unsigned long r = spin(&got_int);
  printf("computing: SIGINT (%d)\n", r != 0);
  sigset_t block, empty;
  sigemptyset(&block);
  sigaddset(&block, SIGQUIT);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, NULL);
  while (!got_quit) sigsuspend(&empty);
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  printf("waiting: SIGQUIT\n");
  r = spin(&got_tstp);
  printf("computing: SIGTSTP (%d)\n", r != 0);
  sleep(1);
  unsigned char c = 0;
  long n = read(0, &c, 1);
  printf("then read %ld: key %d\n", n, c);
  tcsetattr(0, TCSANOW, &saved);
  printf("done\n");
  return 0;
}
