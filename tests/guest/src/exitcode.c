/* Process exit paths: exit(n), return from main, _exit from an atexit handler, abort (SIGABRT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void handler_exit7(void) {
  printf("atexit handler ran\n");
  fflush(stdout);
  _exit(7);
}

static void handler_print(void) { printf("atexit handler 2 ran\n"); }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  printf("mode=%s\n", mode);
  if (!strcmp(mode, "exit0")) exit(0);
  if (!strcmp(mode, "exit3")) exit(3);
  if (!strcmp(mode, "exit255")) exit(255);
  if (!strcmp(mode, "exit256")) exit(256); /* only the low 8 bits survive: status 0 */
  if (!strcmp(mode, "ret42")) return 42;
  if (!strcmp(mode, "atexit")) {
    atexit(handler_print);
    atexit(handler_exit7); /* runs first (LIFO), so handler 2 never runs */
    exit(1);
  }
  if (!strcmp(mode, "abort")) {
    fflush(stdout);
    abort();
  }
  if (!strcmp(mode, "unflushed")) {
    printf("this line is lost: _exit does not flush stdio");
    _exit(5);
  }
  fprintf(stderr, "unknown mode\n");
  return 2;
}
