/* execveat (fs/exec.c do_execveat_common) and fexecve. Not a qemu case: qemu-user cannot exec
   a riscv64 binary without binfmt_misc (tests/process.test.ts checks Linux's documented
   results): the file open at a descriptor (AT_EMPTY_PATH: AT_EXECFN /dev/fd/N, comm "N"), a path
   relative to a directory descriptor (/dev/fd/N/name), a symlink refused with
   AT_SYMLINK_NOFOLLOW (ELOOP) and followed without it, and the errors (ENOENT without
   AT_EMPTY_PATH, EINVAL for unknown flags, EBADF, ENOTDIR, EACCES for a directory). */
#include "pm.h"
#include <fcntl.h>
#include <libgen.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

static long execveat_(int dirfd, const char *path, char *const argv[], int flags) {
  return syscall(SYS_execveat, dirfd, path, argv, environ, flags);
}

/* Runs execveat in a child; the new image (this program with "child") reports itself. */
static void run(const char *label, int dirfd, const char *path, int flags) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    char *argv[] = {"exec_at", "child", (char *)label, NULL};
    long r = execveat_(dirfd, path, argv, flags);
    printf("%s: %ld %s\n", label, r, strerrorname_np(errno));
    _exit(1);
  }
  int st;
  waitpid(p, &st, 0);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 2 && strcmp(argv[1], "child") == 0) {
    char comm[32] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    if (f) { if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0; fclose(f); }
    printf("%s: ran, AT_EXECFN %s, comm %s\n", argv[2], (const char *)getauxval(AT_EXECFN), comm);
    return 0;
  }
  /* This program as a file: argv[1] (a path in the root image in the enclave, whose
     /proc/self/exe names the host's file), or /proc/self/exe. */
  char exe[4096];
  if (argc == 2) snprintf(exe, sizeof exe, "%s", argv[1]);
  else {
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) { printf("readlink: %s\n", strerrorname_np(errno)); return 1; }
    exe[n] = 0;
  }
  int fd = open(exe, O_RDONLY | O_CLOEXEC);
  if (fd != 3) { printf("expected fd 3, got %d\n", fd); return 1; }
  run("fexecve (AT_EMPTY_PATH)", fd, "", AT_EMPTY_PATH);
  run("empty path without AT_EMPTY_PATH", fd, "", 0);
  run("unknown flag", AT_FDCWD, exe, 0x4);
  run("bad descriptor", 99, "name", 0);
  run("relative to a file descriptor", fd, "name", 0);
  char dir[4096], base[4096];
  strcpy(dir, exe);
  strcpy(base, exe);
  int dfd = open(dirname(dir), O_PATH | O_DIRECTORY);
  if (dfd != 4) { printf("expected fd 4, got %d\n", dfd); return 1; }
  char label[64];
  run("relative to a directory descriptor", dfd, basename(base), 0);
  run("a directory", dfd, "", AT_EMPTY_PATH);
  run("missing name in the directory", dfd, "no-such-program", 0);
  unlink("/tmp/exec_at_link");
  if (symlink(exe, "/tmp/exec_at_link")) { printf("symlink: %s\n", strerrorname_np(errno)); return 1; }
  run("symlink, AT_SYMLINK_NOFOLLOW", AT_FDCWD, "/tmp/exec_at_link", AT_SYMLINK_NOFOLLOW);
  snprintf(label, sizeof label, "symlink followed");
  run(label, AT_FDCWD, "/tmp/exec_at_link", 0);
  unlink("/tmp/exec_at_link");
  return 0;
}
