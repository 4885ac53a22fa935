/* An interactive program for the terminal test (tests/tty.test.ts drives it through tmux, under
 * qemu-riscv64 and under TEE OS): job control ioctls, raw-ish mode (ICANON and ECHO off, ISIG
 * on), keys read one by one, Ctrl-C / Ctrl-\ / Ctrl-Z caught as signals, the terminal restored. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static volatile int last;
static void on_sig(int s) { last = s; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("isatty %d %d\n", isatty(0), isatty(1));
  pid_t fg = -1, sid = -1;
  printf("TIOCGPGRP %d fg==pgrp %d\n", ioctl(0, TIOCGPGRP, &fg), fg == getpgrp());
  printf("TIOCGSID %d\n", ioctl(0, TIOCGSID, &sid));
  printf("TIOCSPGRP own group %d\n", ioctl(0, TIOCSPGRP, &fg));
  pid_t bad = 99999;
  errno = 0;
  printf("TIOCSPGRP no such group %d %s\n", ioctl(0, TIOCSPGRP, &bad), strerrorname_np(errno));
  struct winsize ws;
  if (ioctl(1, TIOCGWINSZ, &ws) == 0) printf("winsize %dx%d\n", ws.ws_row, ws.ws_col);
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
  printf("tcsetattr %d\n", tcsetattr(0, TCSAFLUSH, &raw));
  struct termios now;
  tcgetattr(0, &now);
  printf("icanon %d echo %d isig %d\n", !!(now.c_lflag & ICANON), !!(now.c_lflag & ECHO), !!(now.c_lflag & ISIG));
  printf("ready\n");
  for (;;) {
    unsigned char c;
    long n = read(0, &c, 1);
    if (n < 0) {
      printf("read: %s signal %d\n", strerrorname_np(errno), last);
      last = 0;
      continue;
    }
    if (n == 0) { printf("eof\n"); break; }
    printf("key %d\n", c);
    if (c == 'q') break;
  }
  printf("tcsetattr back %d\n", tcsetattr(0, TCSANOW, &saved));
  tcgetattr(0, &now);
  printf("icanon %d echo %d\n", !!(now.c_lflag & ICANON), !!(now.c_lflag & ECHO));
  return 0;
}
