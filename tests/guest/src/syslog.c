/* syslog(2) (klogctl) as uid 1000 under kernel.dmesg_restrict = 1 (Debian's setting): every
   action needs CAP_SYSLOG, so each is EPERM before any argument is looked at (even CLOSE, OPEN,
   an unknown action, a NULL buffer or a negative length); /proc/sys/kernel/dmesg_restrict says 1
   and a user cannot open it for writing. Not a qemu case: qemu 7.2 checks the arguments itself
   first (EINVAL, EFAULT); expected output linux/syslog.stdout from native Linux 6.18. */
#include "pm.h"
#include <fcntl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static const char *names[] = { "CLOSE", "OPEN", "READ", "READ_ALL", "READ_CLEAR", "CLEAR", "CONSOLE_OFF",
                               "CONSOLE_ON", "CONSOLE_LEVEL", "SIZE_UNREAD", "SIZE_BUFFER" };

int main(void) {
  pm_drop_root();
  char buf[256];
  int fd = open("/proc/sys/kernel/dmesg_restrict", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  buf[n > 0 ? n : 0] = 0;
  printf("dmesg_restrict: %s", buf);
  struct stat st;
  if (fstat(fd, &st) == 0) printf("dmesg_restrict: mode %o uid %d size %lld\n", st.st_mode, (int)st.st_uid, (long long)st.st_size);
  close(fd);
  ERR("open dmesg_restrict O_WRONLY", open("/proc/sys/kernel/dmesg_restrict", O_WRONLY));

  for (int type = 0; type <= 10; type++) {
    char label[64];
    snprintf(label, sizeof label, "%s (%d)", names[type], type);
    ERR(label, klogctl(type, buf, type == 8 ? 4 : (int)sizeof buf));
  }
  ERR("READ_ALL, NULL buffer", klogctl(3, NULL, 16));
  ERR("READ_ALL, length -1", klogctl(3, buf, -1));
  ERR("READ_ALL, length 0", klogctl(3, buf, 0));
  ERR("READ, NULL buffer", klogctl(2, NULL, 16));
  ERR("CONSOLE_LEVEL 0", klogctl(8, NULL, 0));
  ERR("CONSOLE_LEVEL 9", klogctl(8, NULL, 9));
  ERR("action -1", klogctl(-1, buf, 16));
  ERR("action 11", klogctl(11, buf, 16));
  ERR("action 1000", klogctl(1000, buf, 16));
  ERR("raw syscall READ_ALL, unmapped buffer", syscall(SYS_syslog, 3, (void *)16, 16));
  return 0;
}
