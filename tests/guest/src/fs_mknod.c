/* mknod/mknodat/mkfifo for an unprivileged user: regular files (S_IFREG and type 0), FIFOs and
 * sockets created with the umask applied, character and block devices refused (EPERM),
 * directories refused (EPERM), an unknown type (EINVAL), EEXIST, ENOENT, ENOTDIR, and opening
 * a socket node (ENXIO). */
#include "fsutil.h"
#include <sys/sysmacros.h>

static void show_node(const char *p) {
  struct stat st;
  if (lstat(p, &st) < 0) { printf("%s: -1 %s\n", p, strerrorname_np(errno)); return; }
  printf("%s: %s mode %o size %ld\n", p, ftype(st.st_mode), st.st_mode & 07777, (long)st.st_size);
}

int main(void) {
  scratch_begin();
  umask(027);
  T(mknod("reg", S_IFREG | 0666, 0));
  T(mknod("zero", 0666, 0));
  T(mknod("fifo", S_IFIFO | 0666, 0));
  T(mkfifo("fifo2", 0777));
  T(mknod("sock", S_IFSOCK | 0666, 0));
  T(mknod("chr", S_IFCHR | 0666, makedev(1, 3)));
  T(mknod("blk", S_IFBLK | 0666, makedev(7, 0)));
  T(mknod("dir", S_IFDIR | 0755, 0));
  T(mknod("bad", 0170000 | 0644, 0));
  T(mknod("reg", S_IFREG | 0644, 0));
  T(mknod("nope/x", S_IFIFO | 0644, 0));
  T(mknod("reg/x", S_IFIFO | 0644, 0));
  T(mknodat(AT_FDCWD, "at", S_IFIFO | 0600, 0));
  int d = open(".", O_RDONLY);
  T(mknodat(d, "at2", S_IFREG | 0600, 0));
  T(mknodat(99, "at3", S_IFREG | 0600, 0));
  T(mkfifo("fifo", 0600));
  show_node("reg"); show_node("zero"); show_node("fifo"); show_node("fifo2"); show_node("sock"); show_node("at"); show_node("at2");
  T(open("sock", O_RDONLY));
  T(open("fifo", O_RDONLY | O_NONBLOCK) >= 0);
  T(open("fifo", O_WRONLY | O_NONBLOCK) >= 0);
  T(truncate("fifo", 0));
  scratch_end();
  return 0;
}
