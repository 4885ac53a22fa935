/* NUMA memory policy on a machine with one memory node (mm/mempolicy.c, mm/migrate.c):
   set_mempolicy/get_mempolicy (modes, mode flags, MPOL_F_NODE/ADDR/MEMS_ALLOWED, maxnode and
   nodemask rounding, EINVAL/EFAULT), the per-thread policy across pthread_create and fork,
   mbind's per-VMA policy (holes, flags, kept across mprotect splits, mremap and fork),
   set_mempolicy_home_node, move_pages and migrate_pages. Not a qemu case: qemu 7.2 answers
   every one of these with ENOSYS. The expected output (tests/numa.test.ts) is what Linux 6.18
   (x86-64, one node, CONFIG_NUMA) printed for this source built natively; it avoids what depends
   on the node count beyond one, on CONFIG_NODES_SHIFT, and MPOL_WEIGHTED_INTERLEAVE (not in the
   riscv64 headers). Run as uid 1000 (pm_drop_root) so CAP_SYS_NICE checks answer EPERM. */
#include "pm.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/mempolicy.h>

#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node 450
#endif

static long getpol(int *mode, unsigned long *mask, unsigned long maxnode, void *addr, unsigned long flags) {
  return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}
static long setpol(int mode, const unsigned long *mask, unsigned long maxnode) {
  return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}
static long mbind_(void *a, unsigned long len, int mode, const unsigned long *mask, unsigned long maxnode, unsigned flags) {
  return syscall(SYS_mbind, a, len, mode, mask, maxnode, flags);
}
static long home(void *a, unsigned long len, unsigned long node, unsigned long flags) {
  return syscall(SYS_set_mempolicy_home_node, a, len, node, flags);
}

/* "label: ret errno mode=M mask=X" */
static void show_pol(const char *label, void *addr, unsigned long flags) {
  int mode = -99;
  unsigned long mask[2] = { 0xdeadUL, 0xdeadUL };
  errno = 0;
  long r = getpol(&mode, mask, 129, addr, flags);
  printf("%s: %ld %s mode=%#x mask=%#lx,%#lx\n", label, r, r ? strerrorname_np(errno) : "ok", mode, mask[0], mask[1]);
}

static void *thread_fn(void *arg) {
  (void)arg;
  show_pol("thread inherits", NULL, 0);
  unsigned long m = 1;
  SHOW("thread set BIND", setpol(MPOL_BIND, &m, 65));
  show_pol("thread own", NULL, 0);
  return NULL;
}

int main(void) {
  pm_drop_root();
  unsigned long m0 = 1, m1 = 2, m01 = 3, mempty = 0, m015 = 0x23, m3 = 8, m02 = 5;
  int mode;
  unsigned long mask[8];

  show_pol("default", NULL, 0);
  show_pol("mems allowed", NULL, MPOL_F_MEMS_ALLOWED);
  show_pol("mems allowed|node", NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE);
  show_pol("flags 8", NULL, 8);
  show_pol("addr without F_ADDR", (void *)4096, 0);
  show_pol("F_NODE default policy", NULL, MPOL_F_NODE);
  SHOW("get maxnode 0", getpol(&mode, mask, 0, NULL, 0));
  SHOW("get no mask maxnode 0", getpol(&mode, NULL, 0, NULL, 0));
  SHOW("get bad mode pointer", getpol((int *)8, mask, 65, NULL, 0));
  SHOW("get bad mask pointer", getpol(&mode, (unsigned long *)8, 65, NULL, 0));

  SHOW("set BIND {0}", setpol(MPOL_BIND, &m0, 65));
  show_pol("BIND {0}", NULL, 0);
  SHOW("set BIND {1}", setpol(MPOL_BIND, &m1, 65));
  SHOW("set BIND {}", setpol(MPOL_BIND, &mempty, 65));
  SHOW("set BIND NULL", setpol(MPOL_BIND, NULL, 65));
  SHOW("set DEFAULT {0}", setpol(MPOL_DEFAULT, &m0, 65));
  SHOW("set mode 7", setpol(7, &m0, 65));
  SHOW("set mode -1", setpol(-1, &m0, 65));
  SHOW("set STATIC|RELATIVE", setpol(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, &m0, 65));
  SHOW("set INTERLEAVE|NUMA_BALANCING", setpol(MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, &m0, 65));
  show_pol("still BIND {0}", NULL, 0);
  SHOW("set BIND|NUMA_BALANCING {0,1}", setpol(MPOL_BIND | MPOL_F_NUMA_BALANCING, &m01, 65));
  show_pol("BIND|NUMA_BALANCING", NULL, 0);
  SHOW("set PREFERRED {0,1}", setpol(MPOL_PREFERRED, &m01, 65));
  show_pol("PREFERRED", NULL, 0);
  SHOW("set PREFERRED {}", setpol(MPOL_PREFERRED, NULL, 0));
  show_pol("PREFERRED {} is LOCAL", NULL, 0);
  SHOW("set PREFERRED|STATIC {}", setpol(MPOL_PREFERRED | MPOL_F_STATIC_NODES, &mempty, 65));
  SHOW("set LOCAL {0}", setpol(MPOL_LOCAL, &m0, 65));
  SHOW("set LOCAL|STATIC", setpol(MPOL_LOCAL | MPOL_F_STATIC_NODES, NULL, 0));
  SHOW("set LOCAL", setpol(MPOL_LOCAL, NULL, 0));
  show_pol("LOCAL", NULL, 0);
  SHOW("set BIND|STATIC {0,1,5}", setpol(MPOL_BIND | MPOL_F_STATIC_NODES, &m015, 65));
  show_pol("BIND|STATIC", NULL, 0);
  SHOW("set BIND|STATIC {1}", setpol(MPOL_BIND | MPOL_F_STATIC_NODES, &m1, 65));
  SHOW("set INTERLEAVE|RELATIVE {3}", setpol(MPOL_INTERLEAVE | MPOL_F_RELATIVE_NODES, &m3, 65));
  show_pol("INTERLEAVE|RELATIVE", NULL, 0);
  SHOW("set PREFERRED_MANY {0,2}", setpol(MPOL_PREFERRED_MANY, &m02, 65));
  show_pol("PREFERRED_MANY", NULL, 0);
  SHOW("set BIND maxnode 1", setpol(MPOL_BIND, &m0, 1));
  SHOW("set BIND {0,1} maxnode 2", setpol(MPOL_BIND | MPOL_F_STATIC_NODES, &m01, 2));
  show_pol("only bit 0 read", NULL, 0);
  SHOW("set maxnode 0", setpol(MPOL_BIND, &m0, 0));
  SHOW("set maxnode 40000", setpol(MPOL_BIND, &m0, 40000));
  SHOW("set bad mask pointer", setpol(MPOL_BIND, (unsigned long *)8, 65));
  SHOW("set INTERLEAVE {0}", setpol(MPOL_INTERLEAVE, &m0, 65));
  show_pol("INTERLEAVE F_NODE", NULL, MPOL_F_NODE);
  for (int i = 0; i < 8; i++) mask[i] = 0xdeadUL;
  mode = -99;
  SHOW("get maxnode 1", getpol(&mode, mask, 1, NULL, 0));
  printf("maxnode 1: mode=%d mask=%#lx\n", mode, mask[0]);
  SHOW("get maxnode 200", getpol(&mode, mask, 200, NULL, 0));
  printf("maxnode 200: %#lx %#lx %#lx %#lx %#lx\n", mask[0], mask[1], mask[2], mask[3], mask[4]);
  mode = -99;
  SHOW("get maxnode 40000", getpol(&mode, mask, 40000, NULL, 0));
  printf("maxnode 40000: mode=%d\n", mode);

  pthread_t th;
  pthread_create(&th, NULL, thread_fn, NULL);
  pthread_join(th, NULL);
  show_pol("main after thread", NULL, 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    show_pol("fork child", NULL, 0);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);

  /* mbind */
  long pg = 4096;
  char *p = mmap(NULL, 24 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW("mbind pages 1-3 BIND {0}", mbind_(p + pg, 3 * pg, MPOL_BIND, &m0, 65, 0));
  show_pol("F_ADDR page 0", p, MPOL_F_ADDR);
  show_pol("F_ADDR page 1", p + pg, MPOL_F_ADDR);
  show_pol("F_ADDR page 3", p + 3 * pg + 100, MPOL_F_ADDR);
  show_pol("F_ADDR page 4", p + 4 * pg, MPOL_F_ADDR);
  show_pol("F_ADDR|F_NODE page 1", p + pg, MPOL_F_ADDR | MPOL_F_NODE);
  show_pol("F_ADDR unmapped", (void *)4096, MPOL_F_ADDR);
  SHOW("mprotect page 2", mprotect(p + 2 * pg, pg, PROT_READ));
  show_pol("after split page 1", p + pg, MPOL_F_ADDR);
  show_pol("after split page 2", p + 2 * pg, MPOL_F_ADDR);
  show_pol("after split page 3", p + 3 * pg, MPOL_F_ADDR);
  SHOW("mbind page 3 DEFAULT", mbind_(p + 3 * pg, pg, MPOL_DEFAULT, NULL, 0, 0));
  show_pol("page 3 default again", p + 3 * pg, MPOL_F_ADDR);
  SHOW("mbind unaligned", mbind_(p + 1, pg, MPOL_BIND, &m0, 65, 0));
  SHOW("mbind flags 8", mbind_(p, pg, MPOL_BIND, &m0, 65, 8));
  SHOW("mbind MOVE_ALL", mbind_(p, pg, MPOL_BIND, &m0, 65, MPOL_MF_MOVE_ALL));
  SHOW("mbind len 0", mbind_(p, 0, MPOL_BIND, &m1, 65, 0));
  SHOW("mbind len -1", mbind_(p, (unsigned long)-1, MPOL_BIND, &m0, 65, 0));
  SHOW("mbind len wraps past end", mbind_(p, -(unsigned long)(uintptr_t)p, MPOL_BIND, &m0, 65, 0));
  SHOW("mbind BIND {1}", mbind_(p, pg, MPOL_BIND, &m1, 65, 0));
  SHOW("mbind bad mode", mbind_(p, pg, 9, &m0, 65, 0));
  p[0] = 1;
  p[5 * pg] = 1;
  SHOW("mbind STRICT|MOVE touched", mbind_(p, pg, MPOL_BIND, &m0, 65, MPOL_MF_STRICT | MPOL_MF_MOVE));
  SHOW("mbind STRICT touched", mbind_(p, pg, MPOL_BIND, &m01, 65, MPOL_MF_STRICT));
  SHOW("munmap page 4", munmap(p + 4 * pg, pg));
  SHOW("mbind BIND over hole", mbind_(p + 3 * pg, 3 * pg, MPOL_BIND, &m0, 65, 0));
  SHOW("mbind DEFAULT over hole", mbind_(p + 3 * pg, 3 * pg, MPOL_DEFAULT, NULL, 0, 0));
  SHOW("mbind BIND in hole", mbind_(p + 4 * pg, pg, MPOL_BIND, &m0, 65, 0));
  SHOW("mbind DEFAULT in hole", mbind_(p + 4 * pg, pg, MPOL_DEFAULT, NULL, 0, 0));
  SHOW("mbind INTERLEAVE page 5", mbind_(p + 5 * pg, pg, MPOL_INTERLEAVE, &m0, 65, 0));
  show_pol("page 5 INTERLEAVE", p + 5 * pg, MPOL_F_ADDR);
  show_pol("page 5 F_ADDR|F_NODE", p + 5 * pg, MPOL_F_ADDR | MPOL_F_NODE);

  /* set_mempolicy_home_node */
  SHOW("home pages 1-2 (BIND)", home(p + pg, 2 * pg, 0, 0));
  SHOW("home page 0 (BIND)", home(p, pg, 0, 0));
  SHOW("home page 3 (no policy)", home(p + 3 * pg, pg, 0, 0));
  SHOW("home page 5 (INTERLEAVE)", home(p + 5 * pg, pg, 0, 0));
  SHOW("home pages 0-5", home(p, 6 * pg, 0, 0));
  SHOW("home node 1", home(p, pg, 1, 0));
  SHOW("home flags 1", home(p, pg, 0, 1));
  SHOW("home unaligned", home(p + 1, pg, 0, 0));
  SHOW("home len 0", home(p, 0, 0, 0));
  SHOW("home unmapped", home((void *)4096, pg, 0, 0));
  show_pol("page 1 after home", p + pg, MPOL_F_ADDR);

  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    show_pol("fork child page 1", p + pg, MPOL_F_ADDR);
    show_pol("fork child page 5", p + 5 * pg, MPOL_F_ADDR);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  /* One page: a move of several VMAs at once is newer than Linux 6.17. */
  char *q = mremap(p + pg, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, p + 16 * pg);
  printf("mremap: %s\n", q == p + 16 * pg ? "moved" : strerrorname_np(errno));
  show_pol("moved page 1", q, MPOL_F_ADDR);
  show_pol("old place", p + pg, MPOL_F_ADDR);
  show_pol("page 0 stays", p, MPOL_F_ADDR);

  /* move_pages */
  char *r = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r[0] = 1;
  munmap(r + 2 * pg, pg);
  void *pages[3] = { r + 5, r + pg, r + 2 * pg };
  int status[3], nodes[3] = { 0, 0, 0 };
  status[0] = status[1] = status[2] = 99;
  SHOW("move_pages query", syscall(SYS_move_pages, 0, 3, pages, NULL, status, 0));
  printf("status: %d %d %d\n", status[0], status[1], status[2]);
  status[0] = status[1] = status[2] = 99;
  SHOW("move_pages to node 0", syscall(SYS_move_pages, getpid(), 3, pages, nodes, status, MPOL_MF_MOVE));
  printf("status: %d %d %d\n", status[0], status[1], status[2]);
  nodes[0] = 1;
  SHOW("move_pages to node 1", syscall(SYS_move_pages, 0, 3, pages, nodes, status, 0));
  nodes[0] = -1;
  SHOW("move_pages to node -1", syscall(SYS_move_pages, 0, 3, pages, nodes, status, 0));
  SHOW("move_pages flags 1", syscall(SYS_move_pages, 0, 3, pages, NULL, status, 1));
  SHOW("move_pages MOVE_ALL", syscall(SYS_move_pages, 0, 3, pages, NULL, status, MPOL_MF_MOVE_ALL));
  SHOW("move_pages no such pid", syscall(SYS_move_pages, 999999, 3, pages, NULL, status, 0));
  SHOW("move_pages none", syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, 0));
  SHOW("move_pages bad pages", syscall(SYS_move_pages, 0, 1, (void *)8, NULL, status, 0));
  SHOW("move_pages bad status", syscall(SYS_move_pages, 0, 1, pages, NULL, (void *)8, 0));

  /* migrate_pages */
  SHOW("migrate {0} -> {0}", syscall(SYS_migrate_pages, 0, 65, &m0, &m0));
  SHOW("migrate {0,1} -> {0}", syscall(SYS_migrate_pages, getpid(), 65, &m01, &m0));
  SHOW("migrate {0} -> {1}", syscall(SYS_migrate_pages, 0, 65, &m0, &m1));
  SHOW("migrate {0} -> {}", syscall(SYS_migrate_pages, 0, 65, &m0, &mempty));
  SHOW("migrate no such pid", syscall(SYS_migrate_pages, 999999, 65, &m0, &m0));
  SHOW("migrate bad old", syscall(SYS_migrate_pages, 0, 65, (void *)8, &m0));
  SHOW("migrate maxnode 40000", syscall(SYS_migrate_pages, 0, 40000, &m0, &m0));
  return 0;
}
