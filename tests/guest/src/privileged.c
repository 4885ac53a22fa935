/* What an unprivileged user is refused, and the calls about privilege (as uid 1000, on both
   sides): capget/capset with every set empty, mount/umount2/pivot_root/swapon/swapoff/reboot/
   acct/sethostname/setdomainname/vhangup refused with Linux's checks in Linux's order,
   personality, membarrier's registration rules. With the argument "robust", get_robust_list
   (tests/process.test.ts: qemu 7.2 answers it with ENOSYS). */
#include "pm.h"
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <linux/reboot.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long capget_(cap_user_header_t h, cap_user_data_t d) { return syscall(SYS_capget, h, d); }
static long capset_(cap_user_header_t h, cap_user_data_t d) { return syscall(SYS_capset, h, d); }
static long membarrier_(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }

static int robust(void) {
  /* glibc registered a robust list for this thread */
  void *head = NULL;
  size_t len = 0;
  SHOW("get_robust_list self", syscall(SYS_get_robust_list, 0, &head, &len));
  printf("robust list: set %d, len %zu\n", head != NULL, len);
  SHOW("get_robust_list no such task", syscall(SYS_get_robust_list, 999999, &head, &len));
  SHOW("get_robust_list bad pointer", syscall(SYS_get_robust_list, 0, &head, (size_t *)8));
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  if (argc > 1 && strcmp(argv[1], "robust") == 0) return robust();

  /* capabilities */
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset(d, 0xff, sizeof d);
  SHOW("capget v3", capget_(&h, d));
  printf("sets: %x %x %x %x %x %x\n", d[0].effective, d[0].permitted, d[0].inheritable, d[1].effective, d[1].permitted, d[1].inheritable);
  h.version = 0x12345678;
  SHOW("capget bad version, NULL data", capget_(&h, NULL));
  printf("version written back: %#x\n", h.version);
  h.version = 0x12345678;
  SHOW("capget bad version", capget_(&h, d));
  h.version = _LINUX_CAPABILITY_VERSION_1;
  SHOW("capget v1", capget_(&h, d));
  h.version = _LINUX_CAPABILITY_VERSION_3;
  h.pid = -1;
  SHOW("capget pid -1", capget_(&h, d));
  h.pid = 999999;
  SHOW("capget no such pid", capget_(&h, d));
  pid_t other = fork();
  if (other == 0) { pause(); _exit(0); }
  h.pid = other;
  SHOW("capget another process", capget_(&h, d));
  h.pid = 0;
  memset(d, 0, sizeof d);
  SHOW("capset all empty", capset_(&h, d));
  d[0].inheritable = 1u << 0;
  SHOW("capset add CAP_CHOWN inheritable", capset_(&h, d));
  memset(d, 0, sizeof d);
  d[1].effective = 1u << 20; /* past CAP_LAST_CAP: dropped */
  SHOW("capset a bit past the last capability", capset_(&h, d));
  h.pid = other;
  memset(d, 0, sizeof d);
  SHOW("capset another process", capset_(&h, d));
  kill(other, SIGKILL);
  waitpid(other, NULL, 0);

  /* refused: no CAP_SYS_ADMIN, CAP_SYS_BOOT, ... */
  SHOW("mount tmpfs on /tmp", mount("none", "/tmp", "tmpfs", 0, NULL));
  SHOW("mount on a missing target", mount("none", "/no/such/dir", "tmpfs", 0, NULL));
  SHOW("mount, bad type pointer", mount("none", "/tmp", (const char *)8, 0, NULL));
  SHOW("mount MS_NOUSER", mount("none", "/tmp", "tmpfs", 1UL << 31, NULL));
  SHOW("umount2", umount2("/tmp", 0));
  SHOW("umount2 bad flags", umount2("/tmp", 0x100));
  SHOW("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
  SHOW("swapon", swapon("/tmp/swap", 0));
  SHOW("swapon bad flags", swapon("/tmp/swap", 0x80000000));
  SHOW("swapoff", swapoff("/tmp/swap"));
  SHOW("reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL));
  SHOW("reboot bad magic", syscall(SYS_reboot, 1, 2, LINUX_REBOOT_CMD_CAD_OFF, NULL));
  SHOW("acct", acct(NULL));
  SHOW("sethostname", sethostname("x", 1));
  SHOW("setdomainname", setdomainname("x", 1));
  SHOW("vhangup", vhangup());

  /* personality: recorded, returned, inherited */
  SHOW("personality query", personality(0xffffffff));
  SHOW("personality ADDR_NO_RANDOMIZE", personality(ADDR_NO_RANDOMIZE));
  SHOW("personality query again", personality(0xffffffff));
  pid_t p = fork();
  if (p == 0) { printf("child's persona: %#x\n", personality(0xffffffff)); _exit(0); }
  waitpid(p, NULL, 0);
  personality(PER_LINUX);

  /* membarrier */
  long q = membarrier_(MEMBARRIER_CMD_QUERY, 0);
  printf("membarrier query: global %d, private expedited %d\n", q >= 0 && (q & MEMBARRIER_CMD_GLOBAL) != 0,
         q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0);
  SHOW("membarrier query with flags", membarrier_(MEMBARRIER_CMD_QUERY, 1));
  SHOW("membarrier global", membarrier_(MEMBARRIER_CMD_GLOBAL, 0));
  SHOW("membarrier private expedited, unregistered", membarrier_(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
  SHOW("membarrier register private expedited", membarrier_(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0));
  SHOW("membarrier private expedited", membarrier_(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
  SHOW("membarrier global, flags", membarrier_(MEMBARRIER_CMD_GLOBAL, 4));
  SHOW("membarrier unknown command", membarrier_(1 << 20, 0));

  return 0;
}
