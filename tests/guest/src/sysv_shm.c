/* System V shared memory (ipc/shm.c): shmget by key and IPC_PRIVATE (EEXIST, ENOENT,
   EINVAL for a size past the segment's, EACCES), shmat at a chosen, rounded or any address
   (EINVAL misaligned, SHM_REMAP rules), SHM_RDONLY (a write faults, mprotect EACCES), two
   attaches of one segment seeing each other's writes, fork sharing the segment (nattch 2),
   shmdt (EINVAL for an address that is not an attach), IPC_STAT/IPC_SET/SHM_STAT/IPC_INFO,
   IPC_RMID while attached (SHM_DEST, key freed, still usable until the last detach), and
   errors for bad ids and commands. Ids and times are not printed (the host's under qemu). */
#include "pm.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static void on_segv(int sig) { siglongjmp(jb, sig); }

static void stat_line(const char *label, int id) {
  struct shmid_ds d;
  if (shmctl(id, IPC_STAT, &d) < 0) { printf("%s: IPC_STAT %s\n", label, strerrorname_np(errno)); return; }
  printf("%s: segsz %zu nattch %lu mode %o uid-is-me %d cpid-is-me %d\n", label, d.shm_segsz, (unsigned long)d.shm_nattch,
         d.shm_perm.mode, d.shm_perm.uid == getuid(), d.shm_cpid == getpid());
}

/* Where qemu-user is not Linux (tests/process.test.ts runs these in the enclave; the same
   source built for x86-64 prints the same lines on Linux): qemu picks an address itself and
   passes SHM_REMAP on, so shmat(NULL, SHM_REMAP) succeeds there, and it strips IPC_64 from
   commands, which asm-generic kernels (no ipc_parse_version) refuse. */
static int linux_only(void) {
  int id = shmget(IPC_PRIVATE, 4096, 0600);
  struct shmid_ds d;
  ERR("SHM_REMAP without an address", (long)shmat(id, NULL, SHM_REMAP));
  ERR("IPC_STAT | IPC_64", shmctl(id, IPC_STAT | 0x100, &d));
  ERR("IPC_INFO with a negative id", shmctl(-1, IPC_INFO, &d));
  shmctl(id, IPC_STAT, &d);
  printf("nattch %lu\n", (unsigned long)d.shm_nattch);
  SHOW("IPC_RMID", shmctl(id, IPC_RMID, NULL));
  return 0;
}

int main(int argc, char **argv) {
  pm_drop_root();
  if (argc > 1 && strcmp(argv[1], "linux") == 0) return linux_only();
  signal(SIGSEGV, on_segv);
  key_t key = 0x5e170000 + (getpid() & 0xffff);
  int id = shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600);
  printf("create by key: %s\n", id >= 0 ? "ok" : strerrorname_np(errno));
  ERR("create again, IPC_EXCL", shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600));
  printf("get by key is the same id: %d\n", shmget(key, 0, 0) == id);
  printf("get smaller size is the same id: %d\n", shmget(key, 4096, 0600) == id);
  ERR("get with a larger size", shmget(key, 20000, 0600));
  ERR("missing key without IPC_CREAT", shmget(key + 1, 4096, 0600));
  ERR("new segment of size 0", shmget(IPC_PRIVATE, 0, 0600));
  stat_line("fresh", id);

  char *a = shmat(id, NULL, 0);
  char *b = shmat(id, NULL, 0);
  printf("two attaches: %s, distinct %d\n", a != (void *)-1 && b != (void *)-1 ? "ok" : strerrorname_np(errno), a != b);
  printf("zero-filled: %d\n", a[0] == 0 && a[9999] == 0);
  strcpy(a, "written through a");
  printf("b sees: %s\n", b);
  b[8000] = 'z';
  printf("a sees b's write at 8000: %c\n", a[8000]);
  stat_line("attached twice", id);

  /* The last partial page is there; past it is not part of the attach. */
  if (sigsetjmp(jb, 1) == 0) { a[12287] = 1; printf("last page byte: ok\n"); }
  else printf("last page byte: signal\n");

  /* fork: the child's attaches count too, and its writes are seen. */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct shmid_ds d;
    shmctl(id, IPC_STAT, &d);
    printf("child sees nattch %lu\n", (unsigned long)d.shm_nattch);
    strcpy(a + 100, "from the child");
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("parent reads: %s\n", b + 100);
  stat_line("after the child exited", id);

  SHOW("shmdt b", shmdt(b));
  ERR("shmdt b again", shmdt(b));
  ERR("shmdt inside a", shmdt(a + 4096));
  ERR("shmdt misaligned", shmdt(a + 1));
  stat_line("one attach", id);

  /* Read-only attach: writes fault, mprotect cannot make it writable. */
  char *r = shmat(id, NULL, SHM_RDONLY);
  printf("read-only attach reads: %s\n", r);
  if (sigsetjmp(jb, 1) == 0) { r[0] = 'x'; printf("write to read-only: no signal\n"); }
  else printf("write to read-only: signal %d\n", 11);
  ERR("mprotect read-only attach writable", mprotect(r, 4096, PROT_READ | PROT_WRITE));
  shmdt(r);

  /* Addresses: misaligned without SHM_RND, rounded with it, an occupied range, SHM_REMAP. */
  char *spot = mmap(NULL, 8 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(spot, 8 * 4096);
  ERR("attach at a misaligned address", (long)shmat(id, spot + 100, 0));
  char *rnd = shmat(id, spot + 100, SHM_RND);
  printf("SHM_RND rounds down: %d\n", rnd == spot);
  ERR("attach over an attach", (long)shmat(id, spot, 0));
  char *re = shmat(id, spot, SHM_REMAP);
  printf("SHM_REMAP over it: %d, reads %s\n", re == spot, re);
  shmdt(spot);

  /* Permissions: a segment without write permission for its owner. */
  int ro = shmget(IPC_PRIVATE, 4096, 0400);
  ERR("attach 0400 segment read-write", (long)shmat(ro, NULL, 0));
  char *rr = shmat(ro, NULL, SHM_RDONLY);
  printf("attach 0400 read-only: %s\n", rr != (void *)-1 ? "ok" : strerrorname_np(errno));
  shmdt(rr);
  int none = shmget(IPC_PRIVATE, 4096, 0);
  struct shmid_ds d;
  ERR("IPC_STAT without read permission", shmctl(none, IPC_STAT, &d));
  ERR("get by key asking for more than granted", shmget(key, 0, 0700) < 0 ? -1 : 0);

  /* IPC_SET changes the mode bits only. */
  shmctl(id, IPC_STAT, &d);
  d.shm_perm.mode = 0640 | 01000;
  SHOW("IPC_SET mode 0640", shmctl(id, IPC_SET, &d));
  stat_line("after IPC_SET", id);
  ERR("IPC_SET bad pointer", shmctl(id, IPC_SET, (struct shmid_ds *)8));
  ERR("IPC_STAT bad pointer", shmctl(id, IPC_STAT, (struct shmid_ds *)8));

  /* SHM_STAT takes an index and returns the id; IPC_INFO the limits. */
  struct shminfo info;
  int maxidx = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
  printf("IPC_INFO: ret>=0 %d shmmin %lu shmmni %lu shmseg %lu\n", maxidx >= 0, info.shmmin, info.shmmni, info.shmseg);
  int found = 0;
  for (int i = 0; i <= maxidx; i++) if (shmctl(i, SHM_STAT, &d) == id) found = 1;
  printf("SHM_STAT finds the segment: %d\n", found);
  ERR("unknown command", shmctl(id, 99, &d));
  ERR("bad id", shmctl(0x7fff0000, IPC_STAT, &d));
  ERR("negative id", shmctl(-1, IPC_STAT, &d));
  ERR("shmat bad id", (long)shmat(-1, NULL, 0));

  /* IPC_RMID while attached: marked, the key is free again, the memory stays usable. */
  SHOW("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL));
  shmctl(id, IPC_STAT, &d);
  printf("after RMID: nattch %lu dest %d key private %d\n", (unsigned long)d.shm_nattch, !!(d.shm_perm.mode & SHM_DEST), d.shm_perm.__key == IPC_PRIVATE);
  ERR("key after RMID", shmget(key, 0, 0600));
  printf("still readable: %s\n", a);
  char *again = shmat(id, NULL, 0);
  printf("attach after RMID: %s, reads %s\n", again != (void *)-1 ? "ok" : strerrorname_np(errno), again != (void *)-1 ? again : "-");
  shmdt(again);
  SHOW("last shmdt", shmdt(a));
  ERR("IPC_STAT after the last detach", shmctl(id, IPC_STAT, &d));
  SHOW("RMID 0400", shmctl(ro, IPC_RMID, NULL));
  SHOW("RMID 0", shmctl(none, IPC_RMID, NULL));
  ERR("RMID twice", shmctl(none, IPC_RMID, NULL));
  return 0;
}
