/* hello: start-up cost only (process/enclave creation, ELF load, libc init, one write, exit). */
#include <stdio.h>

int main(void) {
  printf("Hello, world!\n");
  return 0;
}
