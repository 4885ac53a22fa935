/* unshare (97) as uid 1000: unknown flags EINVAL; nothing-to-unshare successes (CLONE_FS, FILES,
   SYSVSEM, THREAD/SIGHAND/VM when single-threaded); THREAD/SIGHAND/VM EINVAL with a second
   thread; CLONE_NEWTIME with CLONE_THREAD EINVAL; the namespace flags EPERM (CAP_SYS_ADMIN is
   checked before any namespace is made); CLONE_SYSVSEM applying the SEM_UNDO adjustments at once
   (exit_sem).
   With argument "shared": clone(CLONE_FILES) shares the descriptor table with a child until the
   child unshares it, and a vfork child (sharing the parent's memory) is refused CLONE_VM; not on
   sgx, where a child is another enclave: clone(CLONE_FILES) is EINVAL there and a vfork child
   runs on a copy. Not a qemu case: qemu-user's own helper thread makes the host's unshare answer
   EINVAL for CLONE_THREAD; the expected output is Linux 6.18's for the same source built
   natively. CLONE_NEWUSER is not printed here: Linux with user namespaces lets uid 1000 make
   one, this kernel answers EINVAL as Linux without CONFIG_USER_NS: argument "enclave" prints it,
   with the per-thread copies this kernel does not make (tests/linux-ref.test.ts). */
#include "pm.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static long un(unsigned long flags) { return syscall(SYS_unshare, flags); }

static volatile int stop_thread;
static void *spin(void *arg) {
  (void)arg;
  while (!stop_thread) sched_yield();
  return NULL;
}

static int pipefd[2];
static int child_files(void *arg) {
  if ((long)arg && un(CLONE_FILES) != 0) return 2;
  close(pipefd[0]); /* in a shared table the parent's read end goes too */
  int fd = open("/dev/null", O_RDONLY); /* the lowest free slot: the same number */
  return fd == pipefd[0] ? 0 : 1;
}

static const char *what(int fd) {
  struct stat sb;
  if (fstat(fd, &sb)) return strerrorname_np(errno);
  return S_ISFIFO(sb.st_mode) ? "the pipe" : S_ISCHR(sb.st_mode) ? "/dev/null" : "other";
}

static void files(void) {
  static char stack[2][65536];
  for (long u = 0; u < 2; u++) {
    if (pipe(pipefd)) { printf("pipe failed\n"); return; }
    int pid = clone(child_files, stack[u] + sizeof stack[u], CLONE_FILES | SIGCHLD, (void *)u);
    if (pid < 0) { printf("clone(CLONE_FILES): %s\n", strerrorname_np(errno)); return; }
    int st;
    waitpid(pid, &st, 0);
    printf("child %s: exit %d; the parent's fd %s now: %s; its write end: %s\n", u ? "that unshared first" : "sharing the table",
           WEXITSTATUS(st), "of the read end", what(pipefd[0]), what(pipefd[1]));
    close(pipefd[0]);
    close(pipefd[1]);
  }
}

/* A vfork child shares the parent's address space: CLONE_VM is EINVAL there, FS is fine. */
static void vfork_vm(void) {
  static volatile long vm_r, vm_e, fs_r;
  pid_t pid = vfork();
  if (pid == 0) {
    vm_r = un(CLONE_VM);
    vm_e = errno;
    fs_r = un(CLONE_FS);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("vfork child CLONE_VM: %ld %s\n", vm_r, vm_r == -1 ? strerrorname_np((int)vm_e) : "ok");
  printf("vfork child CLONE_FS: %ld\n", fs_r);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  if (argc > 1 && !strcmp(argv[1], "enclave")) {
    /* What this kernel answers where no Linux reference can: no user namespaces (Linux without
       CONFIG_USER_NS: EINVAL), and per-process descriptor tables, fs and undo lists (a thread
       of a multi-threaded process cannot take its own copy: EINVAL where Linux succeeds). */
    SHOW("CLONE_NEWUSER", un(CLONE_NEWUSER));
    SHOW("CLONE_NEWUSER|CLONE_NEWNET", un(CLONE_NEWUSER | CLONE_NEWNET));
    pthread_t th;
    pthread_create(&th, NULL, spin, NULL);
    SHOW("threaded CLONE_NEWUSER", un(CLONE_NEWUSER));
    SHOW("threaded CLONE_FILES", un(CLONE_FILES));
    SHOW("threaded CLONE_FS", un(CLONE_FS));
    SHOW("threaded CLONE_SYSVSEM", un(CLONE_SYSVSEM));
    stop_thread = 1;
    pthread_join(th, NULL);
    SHOW("joined: CLONE_FILES|CLONE_FS|CLONE_SYSVSEM", un(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM));
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "shared")) {
    files();
    vfork_vm();
    return 0;
  }
  SHOW("unshare(0)", un(0));
  SHOW("CLONE_VFORK", un(CLONE_VFORK));
  SHOW("CLONE_PARENT", un(CLONE_PARENT));
  SHOW("CLONE_SETTLS", un(CLONE_SETTLS));
  SHOW("CLONE_IO", un(0x80000000UL));
  SHOW("bit 32", un(1UL << 32));
  SHOW("CLONE_FS", un(CLONE_FS));
  SHOW("CLONE_FILES", un(CLONE_FILES));
  SHOW("CLONE_SYSVSEM", un(CLONE_SYSVSEM));
  SHOW("CLONE_THREAD", un(CLONE_THREAD));
  SHOW("CLONE_SIGHAND", un(CLONE_SIGHAND));
  SHOW("CLONE_VM", un(CLONE_VM));
  SHOW("FS|FILES|SYSVSEM|VM", un(CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_VM));
  SHOW("CLONE_NEWTIME|CLONE_THREAD", un(CLONE_NEWTIME | CLONE_THREAD));
  SHOW("CLONE_NEWNS", un(CLONE_NEWNS));
  SHOW("CLONE_NEWUTS", un(CLONE_NEWUTS));
  SHOW("CLONE_NEWIPC", un(CLONE_NEWIPC));
  SHOW("CLONE_NEWNET", un(CLONE_NEWNET));
  SHOW("CLONE_NEWPID", un(CLONE_NEWPID));
  SHOW("CLONE_NEWCGROUP", un(CLONE_NEWCGROUP));
  SHOW("CLONE_NEWTIME", un(CLONE_NEWTIME));
  SHOW("CLONE_NEWNET|CLONE_VFORK", un(CLONE_NEWNET | CLONE_VFORK));

  /* SEM_UNDO: unshare(CLONE_SYSVSEM) applies the adjustments now; later ones start afresh. */
  int id = semget(IPC_PRIVATE, 2, 0600);
  struct sembuf up = {0, 2, SEM_UNDO}, up1 = {1, 1, 0};
  semop(id, &up, 1);
  semop(id, &up1, 1);
  printf("before: %d %d\n", semctl(id, 0, GETVAL), semctl(id, 1, GETVAL));
  SHOW("CLONE_SYSVSEM with an adjustment", un(CLONE_SYSVSEM));
  printf("after: %d %d\n", semctl(id, 0, GETVAL), semctl(id, 1, GETVAL));
  struct sembuf up3 = {0, 3, SEM_UNDO};
  semop(id, &up3, 1);
  pid_t pid = fork();
  if (pid == 0) {
    /* a forked child has no adjustments of its own: nothing changes */
    un(CLONE_SYSVSEM);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("after a child's unshare: %d\n", semctl(id, 0, GETVAL));
  SHOW("CLONE_SYSVSEM again", un(CLONE_SYSVSEM));
  printf("after the second: %d\n", semctl(id, 0, GETVAL));
  /* CLONE_NEWIPC fails (EPERM) before the undo list is touched. */
  semop(id, &up, 1);
  SHOW("CLONE_NEWIPC with an adjustment", un(CLONE_NEWIPC));
  printf("still: %d\n", semctl(id, 0, GETVAL));
  semctl(id, 0, IPC_RMID);

  /* A second thread: THREAD, SIGHAND, VM are EINVAL (only "nothing to unshare" succeeds). */
  pthread_t th;
  pthread_create(&th, NULL, spin, NULL);
  SHOW("threaded CLONE_THREAD", un(CLONE_THREAD));
  SHOW("threaded CLONE_SIGHAND", un(CLONE_SIGHAND));
  SHOW("threaded CLONE_VM", un(CLONE_VM));
  SHOW("threaded CLONE_NEWNET", un(CLONE_NEWNET));
  stop_thread = 1;
  pthread_join(th, NULL);
  SHOW("joined: CLONE_THREAD", un(CLONE_THREAD));

  return 0;
}
