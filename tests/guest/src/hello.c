/* Smallest glibc program: start-up (_start, __libc_start_main, TLS, stdio) and exit. */
#include <stdio.h>

int main(void) {
  printf("Hello, world!\n");
  return 0;
}
