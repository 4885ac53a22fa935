/* execve passes argv and envp as bytes (fs/exec.c copy_strings): strings that are not valid
   UTF-8 reach the new image unchanged, in its argv, its environment and /proc/self/cmdline.
   Not a qemu case: qemu-user cannot exec a riscv64 binary without binfmt_misc
   (tests/process.test.ts; the same source built for x86-64 prints the same on Linux). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

extern char **environ;

static void hex(const char *label, const unsigned char *s, size_t n) {
  printf("%s:", label);
  for (size_t i = 0; i < n; i++) printf(" %02x", s[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc == 1) {
    char *nargv[] = {"exec_bytes", "\xff\xfe", "a\xc3\xa9", "\xed\xa0\x80", "\xc3", NULL};
    char *nenv[] = {"K=\x80\x81", "L=ok", NULL};
    execve("/proc/self/exe", nargv, nenv);
    perror("execve");
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    char label[24];
    snprintf(label, sizeof label, "argv[%d]", i);
    hex(label, (const unsigned char *)argv[i], strlen(argv[i]));
  }
  for (char **e = environ; *e; e++) hex("env", (const unsigned char *)*e, strlen(*e));
  unsigned char buf[256];
  int fd = open("/proc/self/cmdline", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (n < 0) { perror("cmdline"); return 1; }
  hex("cmdline", buf, (size_t)n);
  return 0;
}
