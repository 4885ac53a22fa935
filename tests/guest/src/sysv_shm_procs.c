/* System V shared memory between processes (on SGX each process is its own enclave, and a
   segment is served by the enclave that made it): shmget by key from another process (same id,
   EEXIST, EINVAL for a larger size, EACCES), shmat by id of a segment the process did not
   inherit (bytes shared both ways, SHM_RDONLY faults, EACCES), shm_nattch and shm_lpid counting
   every process's attaches (shmat, shmdt, munmap, exit, attaches inherited by a child and a
   grandchild of a process that attached by id),
   IPC_SET and IPC_RMID from another process (SHM_DEST until the last detach anywhere), and a
   segment made by the child used by the parent. Processes take turns through pipes; ids,
   pids and times are not printed, only relations. */
#include "pm.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static void on_segv(int sig) { siglongjmp(jb, sig); }

static int up[2], down[2]; /* child -> parent, parent -> child */
static void tell(int fd) { char c = 1; if (write(fd, &c, 1) != 1) _exit(9); }
static void hear(int fd) { char c; if (read(fd, &c, 1) != 1) _exit(9); }

static void stat_line(const char *who, const char *label, int id, pid_t lpid_want) {
  struct shmid_ds d;
  if (shmctl(id, IPC_STAT, &d) < 0) { printf("%s %s: IPC_STAT %s\n", who, label, strerrorname_np(errno)); return; }
  printf("%s %s: segsz %zu nattch %lu mode %o dest %d lpid-as-expected %d\n", who, label, d.shm_segsz, (unsigned long)d.shm_nattch,
         d.shm_perm.mode & 0777, !!(d.shm_perm.mode & SHM_DEST), d.shm_lpid == lpid_want);
}

/* Where qemu-user cannot go (tests/process.test.ts runs this in the enclave): execve of a
   riscv64 binary needs binfmt_misc on the host. A child's attaches (one inherited, one by id)
   go at its execve, which shm_close counts (nattch, lpid: the parent's shmdt was the last
   before); the new image attaches again and exits attached. */
static int linux_only(char **argv) {
  int id = shmget(IPC_PRIVATE, 4096, 0600);
  char *p = shmat(id, NULL, 0);
  strcpy(p, "the parent's");
  fflush(stdout);
  if (pipe(up) || pipe(down)) return 1;
  pid_t c = fork();
  if (c == 0) {
    char *a = shmat(id, NULL, 0);
    tell(up[1]);
    hear(down[0]); /* the parent attached and detached meanwhile: lpid is the parent's */
    stat_line("child", "before execve", id, getppid());
    fflush(stdout);
    char ids[16];
    snprintf(ids, sizeof ids, "%d", id);
    char *av[] = {argv[0], "exec-child", ids, NULL};
    execv("/proc/self/exe", av);
    printf("execve failed: %s %s\n", strerrorname_np(errno), a);
    _exit(99);
  }
  hear(up[0]);
  shmdt(shmat(id, NULL, 0));
  tell(down[1]);
  int st;
  waitpid(c, &st, 0);
  stat_line("parent", "child exited after execve", id, c);
  SHOW("IPC_RMID", shmctl(id, IPC_RMID, NULL));
  SHOW("last shmdt", shmdt(p));
  return WEXITSTATUS(st);
}

static int exec_child(int id) {
  stat_line("new image", "after execve", id, getpid());
  char *a = shmat(id, NULL, SHM_RDONLY);
  printf("new image reads: %s\n", a);
  stat_line("new image", "attached again", id, getpid());
  return 0;
}

int main(int argc, char **argv) {
  pm_drop_root();
  if (argc > 1 && strcmp(argv[1], "linux") == 0) return linux_only(argv);
  if (argc > 2 && strcmp(argv[1], "exec-child") == 0) return exec_child(atoi(argv[2]));
  signal(SIGSEGV, on_segv);
  if (pipe(up) || pipe(down)) return 1;
  pid_t me = getpid();
  key_t key = 0x5e180000 + (me & 0xffff);
  int id = shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600);
  int ro = shmget(IPC_PRIVATE, 4096, 0400);
  int none = shmget(IPC_PRIVATE, 4096, 0);
  printf("parent made the segments: %d\n", id >= 0 && ro >= 0 && none >= 0);
  fflush(stdout);

  /* 1. The child finds the parent's segment by key and attaches it by id (nothing inherited). */
  pid_t c = fork();
  if (c == 0) {
    pid_t self = getpid();
    printf("child: get by key is the parent's id: %d\n", shmget(key, 0, 0) == id);
    ERR("child: get with a larger size", shmget(key, 20000, 0600));
    ERR("child: create again, IPC_EXCL", shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600));
    ERR("child: get asking for more than granted", shmget(key, 0, 0700));
    struct shmid_ds d;
    ERR("child: bad id", shmctl(0x7fff0000, IPC_STAT, &d));
    ERR("child: attach 0400 read-write", (long)shmat(ro, NULL, 0));
    ERR("child: IPC_STAT without read permission", shmctl(none, IPC_STAT, &d));
    ERR("child: attach at a misaligned address", (long)shmat(id, (char *)0x40000001, 0));
    char *a = shmat(id, NULL, 0);
    printf("child: attach by id: %s\n", a != (void *)-1 ? "ok" : strerrorname_np(errno));
    printf("child: zero-filled: %d\n", a[0] == 0 && a[9999] == 0);
    strcpy(a, "written by the child");
    stat_line("child", "attached once", id, self);
    shmctl(id, IPC_STAT, &d);
    printf("child: cpid is the parent: %d\n", d.shm_cpid == getppid());
    fflush(stdout);
    tell(up[1]);
    hear(down[0]); /* the parent attached and wrote */
    printf("child reads: %s\n", a + 5000);
    stat_line("child", "both attached", id, getppid());
    char *r = shmat(id, NULL, SHM_RDONLY);
    printf("child: read-only attach reads: %s\n", r);
    if (sigsetjmp(jb, 1) == 0) { r[0] = 'x'; printf("child: write to read-only: no signal\n"); }
    else printf("child: write to read-only: signal %d\n", 11);
    stat_line("child", "read-only too", id, self);
    SHOW("child: shmdt read-only", shmdt(r));
    ERR("child: shmdt it again", shmdt(r));
    SHOW("child: munmap the first attach", munmap(a, 12288));
    stat_line("child", "after munmap", id, self);
    char *b = shmat(id, NULL, 0);
    d.shm_perm.mode = 0640;
    SHOW("child: IPC_SET mode 0640", shmctl(id, IPC_SET, &d));
    printf("child: a new attach reads: %s\n", b);
    fflush(stdout);
    tell(up[1]);
    hear(down[0]);
    _exit(0); /* with b still attached */
  }
  hear(up[0]);
  stat_line("parent", "child attached", id, c);
  char *p = shmat(id, NULL, 0);
  printf("parent reads: %s\n", p);
  strcpy(p + 5000, "written by the parent");
  stat_line("parent", "both attached", id, me);
  fflush(stdout);
  tell(down[1]);
  hear(up[0]);
  stat_line("parent", "child detached, attached again", id, c);
  tell(down[1]);
  waitpid(c, NULL, 0);
  stat_line("parent", "child exited attached", id, c);

  /* 2. A holder's fork: the grandchild inherits the child's attach, and counts. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    char *a = shmat(id, NULL, 0);
    fflush(stdout);
    pid_t g = fork();
    if (g == 0) {
      stat_line("grandchild", "inherited", id, getppid());
      strcpy(a + 100, "from the grandchild");
      fflush(stdout);
      _exit(0);
    }
    waitpid(g, NULL, 0);
    printf("child reads: %s\n", a + 100);
    stat_line("child", "grandchild exited", id, g);
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  stat_line("parent", "second child exited", id, c);

  /* 3. IPC_RMID from another process while attached in both. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    stat_line("child", "inherited the parent's attach", id, getppid()); /* shm_open by fork */
    char *a = shmat(id, NULL, 0);
    SHOW("child: IPC_RMID while attached", shmctl(id, IPC_RMID, NULL));
    stat_line("child", "removed", id, getpid());
    ERR("child: key after RMID", shmget(key, 0, 0600));
    printf("child: still readable: %s\n", a + 100);
    fflush(stdout);
    tell(up[1]);
    hear(down[0]);
    SHOW("child: shmdt", shmdt(a));
    fflush(stdout);
    _exit(0);
  }
  hear(up[0]);
  stat_line("parent", "removed by the child", id, c);
  ERR("parent: key after RMID", shmget(key, 0, 0600));
  fflush(stdout);
  tell(down[1]);
  waitpid(c, NULL, 0);
  stat_line("parent", "child detached", id, c);
  printf("parent: still readable: %s\n", p);
  SHOW("parent: last shmdt", shmdt(p));
  struct shmid_ds d;
  ERR("parent: IPC_STAT after the last detach", shmctl(id, IPC_STAT, &d));

  /* 4. A segment the child makes, used by the parent by key. */
  fflush(stdout);
  key_t key2 = key + 1;
  c = fork();
  if (c == 0) {
    int id2 = shmget(key2, 4096, IPC_CREAT | IPC_EXCL | 0600);
    char *a = shmat(id2, NULL, 0);
    strcpy(a, "the child's segment");
    if (write(up[1], &id2, sizeof id2) != sizeof id2) _exit(9);
    hear(down[0]);
    printf("child reads: %s\n", a + 100);
    stat_line("child", "own segment, both attached", id2, getppid());
    SHOW("child: IPC_RMID its segment", shmctl(id2, IPC_RMID, NULL));
    SHOW("child: shmdt", shmdt(a));
    fflush(stdout);
    tell(up[1]);
    hear(down[0]);
    _exit(0);
  }
  int id2;
  if (read(up[0], &id2, sizeof id2) != sizeof id2) return 1;
  printf("parent: get by key is the child's id: %d\n", shmget(key2, 0, 0) == id2);
  char *q = shmat(id2, NULL, 0);
  printf("parent reads: %s\n", q);
  strcpy(q + 100, "the parent's reply");
  stat_line("parent", "child's segment", id2, me);
  fflush(stdout);
  tell(down[1]);
  hear(up[0]);
  stat_line("parent", "child's segment removed", id2, c);
  printf("parent: still readable: %s\n", q);
  SHOW("parent: shmdt", shmdt(q));
  ERR("parent: IPC_STAT after the last detach", shmctl(id2, IPC_STAT, &d));
  tell(down[1]);
  waitpid(c, NULL, 0);

  shmctl(ro, IPC_RMID, NULL);
  shmctl(none, IPC_RMID, NULL);
  return 0;
}
