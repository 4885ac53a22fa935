/* Reads all of stdin with read(2)-backed stdio; counts lines and bytes; echoes it in upper case. */
#include <ctype.h>
#include <stdio.h>

int main(void) {
  unsigned long bytes = 0, lines = 0;
  int c;
  while ((c = getchar()) != EOF) {
    bytes++;
    if (c == '\n') lines++;
    putchar(toupper(c));
  }
  printf("\nlines=%lu bytes=%lu\n", lines, bytes);
  return ferror(stdin) ? 1 : 0;
}
