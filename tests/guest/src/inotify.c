/* inotify (fs/notify/inotify, include/linux/fsnotify.h) on tmpfs: which events each file
 * operation raises, in which order, on a watched directory (with the child's name) and on the
 * watched file itself; cookies pairing IN_MOVED_FROM/TO; IN_DELETE_SELF and IN_IGNORED;
 * IN_ONESHOT, IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK;
 * merging of identical events; the queue limit (IN_Q_OVERFLOW, max_queued_events 16384);
 * struct inotify_event with the name padded to 16 bytes; EINVAL for a short buffer; FIONREAD;
 * O_NONBLOCK/EAGAIN, a blocking read woken by a thread, poll/select/epoll readiness; flags.
 * Runs as uid 1000 in a scratch directory under /dev/shm (tmpfs on both sides). Cookies are
 * printed only as "same"/"new" (their values are a global counter). Not here: a read into a bad
 * buffer (Linux drops the event it could not copy, qemu-user fails the read before the host
 * kernel sees it). */
#define _GNU_SOURCE
#include "fsutil.h"
#include <sys/inotify.h>
#include <sys/xattr.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>

static char ebuf[1 << 20] __attribute__((aligned(8)));
static unsigned last_cookie;

static const char *bits[] = {"ACCESS", "MODIFY", "ATTRIB", "CLOSE_WRITE", "CLOSE_NOWRITE", "OPEN", "MOVED_FROM",
  "MOVED_TO", "CREATE", "DELETE", "DELETE_SELF", "MOVE_SELF", "0x1000", "UNMOUNT", "Q_OVERFLOW", "IGNORED"};

static void print_mask(unsigned m) {
  int first = 1;
  for (int i = 0; i < 16; i++) if (m & (1u << i)) { printf("%s%s", first ? "" : "|", bits[i]); first = 0; }
  if (m & IN_ISDIR) printf("%sISDIR", first ? "" : "|");
  if (m & ~(0xffffu | IN_ISDIR)) printf("|0x%x", m & ~(0xffffu | IN_ISDIR));
}

static void print_events(const char *buf, long n) {
  for (long i = 0; i < n;) {
    const struct inotify_event *e = (const struct inotify_event *)(buf + i);
    printf("  wd=%d ", e->wd);
    print_mask(e->mask);
    if (e->cookie) {
      printf(" cookie=%s", e->cookie == last_cookie ? "same" : "new");
      last_cookie = e->cookie;
    }
    if (e->len) printf(" len=%u name=%s", e->len, e->name);
    printf("\n");
    i += sizeof *e + e->len;
  }
}

/* Reads everything queued (the descriptor is non-blocking) and prints it. */
static void drain(int fd, const char *what) {
  long n = read(fd, ebuf, sizeof ebuf);
  if (n < 0) { printf("%s: read = -1 %s\n", what, strerrorname_np(errno)); return; }
  printf("%s: %ld bytes\n", what, n);
  print_events(ebuf, n);
}

static int in_fd;
static void *writer(void *arg) {
  (void)arg;
  struct timespec ts = {0, 50000000};
  nanosleep(&ts, NULL);
  int fd = open("w/late", O_CREAT | O_WRONLY, 0644);
  close(fd);
  return NULL;
}

int main(void) {
  become_user();
  umask(022);
  char dir[64];
  snprintf(dir, sizeof dir, "/dev/shm/teeos-inotify-%d", getpid());
  if (mkdir(dir, 0755) || chdir(dir)) { perror("scratch"); return 98; }

  printf("-- init\n");
  T(inotify_init1(1));
  T(inotify_init1(IN_CLOEXEC | IN_NONBLOCK | 1));
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  printf("fd ok: %d\n", fd >= 0);
  T(fcntl(fd, F_GETFD));
  T(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
  int fd2 = inotify_init();
  T(fcntl(fd2, F_GETFD));
  T(fcntl(fd2, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
  close(fd2);
  T(read(fd, ebuf, sizeof ebuf));
  T(write(fd, "x", 1));
  int avail = -1;
  T(ioctl(fd, FIONREAD, &avail));
  printf("FIONREAD = %d\n", avail);

  printf("-- add_watch errors\n");
  mkdir("d", 0755);
  close(creat("d/f", 0644));
  T(inotify_add_watch(fd, "d", 0));
  T(inotify_add_watch(fd, "d", IN_MASK_ADD | IN_MASK_CREATE | IN_MODIFY));
  T(inotify_add_watch(-1, "d", IN_MODIFY));
  T(inotify_add_watch(99, "d", IN_MODIFY));
  int pp[2];
  pipe(pp);
  T(inotify_add_watch(pp[0], "d", IN_MODIFY));
  T(inotify_add_watch(fd, "nonexistent", IN_MODIFY));
  T(inotify_add_watch(fd, "d/f/x", IN_MODIFY));
  T(inotify_add_watch(fd, "d/f", IN_MODIFY | IN_ONLYDIR));
  T(inotify_add_watch(fd, (char *)1, IN_MODIFY));
  close(creat("noread", 0200));
  T(inotify_add_watch(fd, "noread", IN_MODIFY));
  unlink("noread");
  T(inotify_rm_watch(fd, 1));
  T(inotify_rm_watch(pp[0], 1));
  T(inotify_rm_watch(-1, 1));

  printf("-- a watched directory\n");
  int wd = inotify_add_watch(fd, "d", IN_ALL_EVENTS);
  printf("wd = %d\n", wd);
  T(inotify_add_watch(fd, "d", IN_ALL_EVENTS));
  T(inotify_add_watch(fd, "d/.", IN_ALL_EVENTS | IN_MASK_ADD));
  T(inotify_add_watch(fd, "d", IN_ALL_EVENTS | IN_MASK_CREATE));
  drain(fd, "nothing yet");
  int f = open("d/a", O_CREAT | O_WRONLY, 0644);
  drain(fd, "create");
  avail = -1;
  write(f, "hello", 5);
  write(f, "hello", 5);
  T(ioctl(fd, FIONREAD, &avail));
  printf("FIONREAD = %d\n", avail);
  drain(fd, "two writes (merged)");
  close(f);
  drain(fd, "close after writing");
  f = open("d/a", O_RDONLY);
  char b[16];
  read(f, b, sizeof b);
  read(f, b, sizeof b);
  close(f);
  drain(fd, "open, read, read at EOF, close");
  f = open("d/a", O_RDWR);
  close(f);
  drain(fd, "open O_RDWR and close");
  f = open("d/a", O_PATH);
  close(f);
  drain(fd, "O_PATH open and close");
  chmod("d/a", 0600);
  chown("d/a", -1, -1);
  drain(fd, "chmod, chown no-op");
  truncate("d/a", 2);
  utimensat(AT_FDCWD, "d/a", NULL, 0);
  struct timespec tsm[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  utimensat(AT_FDCWD, "d/a", tsm, 0);
  struct timespec tsa[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  utimensat(AT_FDCWD, "d/a", tsa, 0);
  drain(fd, "truncate, utimensat both/mtime/atime");
  setxattr("d/a", "user.x", "1", 1, 0);
  removexattr("d/a", "user.x");
  drain(fd, "setxattr, removexattr");
  mkdir("d/sub", 0755);
  rename("d/a", "d/b");
  rename("d/sub", "d/sub2");
  drain(fd, "mkdir, rename file, rename dir");
  link("d/b", "d/c");
  symlink("b", "d/s");
  mkfifo("d/p", 0644);
  unlink("d/c");
  unlink("d/s");
  unlink("d/p");
  rmdir("d/sub2");
  drain(fd, "link, symlink, mkfifo, unlink x3, rmdir");
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  char dents[4096];
  syscall(SYS_getdents64, dfd, dents, sizeof dents);
  close(dfd);
  drain(fd, "readdir of the watched directory");
  mkdir("elsewhere", 0755);
  rename("d/b", "elsewhere/b");
  rename("elsewhere/b", "d/b2");
  drain(fd, "moved out and back in");

  printf("-- directory and file watched\n");
  int wf = inotify_add_watch(fd, "d/b2", IN_ALL_EVENTS);
  printf("file wd = %d (dir wd %d)\n", wf, wd);
  f = open("d/b2", O_WRONLY);
  write(f, "x", 1);
  close(f);
  chmod("d/b2", 0644);
  drain(fd, "open/write/close/chmod");
  link("d/b2", "d/b3");
  T(inotify_add_watch(fd, "d/b3", IN_ALL_EVENTS));
  unlink("d/b3");
  drain(fd, "link, same inode, unlink one name");
  rename("d/b2", "d/b4");
  drain(fd, "rename the watched file");
  close(creat("d/victim", 0644));
  int wv = inotify_add_watch(fd, "d/victim", IN_ALL_EVENTS);
  printf("victim wd = %d\n", wv);
  drain(fd, "(victim created)");
  rename("d/b4", "d/victim");
  drain(fd, "rename over a watched file");
  f = open("d/victim", O_RDWR);
  unlink("d/victim");
  drain(fd, "unlink while open");
  write(f, "y", 1);
  close(f);
  drain(fd, "write and close the unlinked file");

  printf("-- a watched directory removed\n");
  mkdir("d/gone", 0755);
  int wg = inotify_add_watch(fd, "d/gone", IN_ALL_EVENTS);
  printf("gone wd = %d\n", wg);
  drain(fd, "(made)");
  rmdir("d/gone");
  drain(fd, "rmdir of the watched directory");
  T(inotify_rm_watch(fd, wg));

  printf("-- oneshot, mask add/replace, rm_watch\n");
  close(creat("d/o", 0644));
  drain(fd, "(created)");
  T(inotify_rm_watch(fd, wd));
  T(inotify_rm_watch(fd, wd));
  drain(fd, "rm_watch");
  int wo = inotify_add_watch(fd, "d/o", IN_ATTRIB | IN_ONESHOT);
  printf("oneshot wd = %d\n", wo);
  chmod("d/o", 0600);
  chmod("d/o", 0644);
  drain(fd, "two chmods");
  T(inotify_rm_watch(fd, wo));
  wo = inotify_add_watch(fd, "d/o", IN_ATTRIB);
  printf("new wd = %d\n", wo);
  T(inotify_add_watch(fd, "d/o", IN_MODIFY));
  chmod("d/o", 0600);
  truncate("d/o", 1);
  drain(fd, "mask replaced by MODIFY: chmod, truncate");
  T(inotify_add_watch(fd, "d/o", IN_ATTRIB | IN_MASK_ADD));
  chmod("d/o", 0644);
  truncate("d/o", 2);
  drain(fd, "ATTRIB added: chmod, truncate");
  T(inotify_add_watch(fd, "d/o", IN_OPEN | IN_ONESHOT | IN_MASK_ADD));
  close(open("d/o", O_RDONLY));
  chmod("d/o", 0600);
  drain(fd, "oneshot added: open, chmod");

  printf("-- IN_DONT_FOLLOW, IN_EXCL_UNLINK, IN_ONLYDIR on a directory\n");
  symlink("o", "d/lnk");
  int wl = inotify_add_watch(fd, "d/lnk", IN_ATTRIB | IN_DONT_FOLLOW);
  int wt = inotify_add_watch(fd, "d/lnk", IN_ATTRIB);
  printf("link watch differs from target watch: %d\n", wl != wt);
  utimensat(AT_FDCWD, "d/lnk", NULL, AT_SYMLINK_NOFOLLOW);
  printf("(link touched)\n");
  drain(fd, "touch the link itself");
  inotify_rm_watch(fd, wl);
  inotify_rm_watch(fd, wt);
  drain(fd, "(removed)");
  T(inotify_add_watch(fd, "d", IN_ONLYDIR | IN_MODIFY | IN_EXCL_UNLINK) > 0);
  f = open("d/ex", O_CREAT | O_WRONLY, 0644);
  write(f, "1", 1);
  unlink("d/ex");
  write(f, "2", 1);
  close(f);
  drain(fd, "IN_EXCL_UNLINK: write, unlink, write");

  printf("-- event layout, short buffers\n");
  mkdir("n", 0755);
  int wn = inotify_add_watch(fd, "n", IN_CREATE);
  close(creat("n/abc", 0644));
  close(creat("n/fifteen-chars-x", 0644));
  close(creat("n/sixteen-chars-xy", 0644));
  avail = -1;
  ioctl(fd, FIONREAD, &avail);
  printf("FIONREAD = %d\n", avail);
  T(read(fd, ebuf, 0));
  T(read(fd, ebuf, sizeof(struct inotify_event)));
  T(read(fd, ebuf, sizeof(struct inotify_event) + 15));
  long n = read(fd, ebuf, sizeof(struct inotify_event) + 16 + 5);
  printf("one event fits: %ld\n", n);
  print_events(ebuf, n > 0 ? n : 0);
  drain(fd, "the rest");
  close(creat("n/x", 0644));
  n = read(fd, ebuf, sizeof ebuf);
  const struct inotify_event *ev = (const struct inotify_event *)ebuf;
  printf("n=%ld sizeof=%zu len=%u name bytes:", n, sizeof *ev, ev->len);
  for (unsigned i = 0; i < ev->len; i++) printf(" %02x", (unsigned char)ev->name[i]);
  printf("\n");
  inotify_rm_watch(fd, wn);
  drain(fd, "(removed)");

  printf("-- readiness\n");
  int fdb = inotify_init1(0);
  in_fd = fdb;
  mkdir("w", 0755);
  inotify_add_watch(fdb, "w", IN_CREATE);
  struct pollfd pf = {fdb, POLLIN, 0};
  T(poll(&pf, 1, 0));
  int ep = epoll_create1(0);
  struct epoll_event ee = {.events = EPOLLIN, .data.u32 = 7}, out;
  T(epoll_ctl(ep, EPOLL_CTL_ADD, fdb, &ee));
  T(epoll_wait(ep, &out, 1, 0));
  pthread_t th;
  pthread_create(&th, NULL, writer, NULL);
  n = read(fdb, ebuf, sizeof ebuf);
  printf("blocking read woken: %ld\n", n);
  print_events(ebuf, n > 0 ? n : 0);
  pthread_join(th, NULL);
  close(creat("w/again", 0644));
  pf.revents = 0;
  T(poll(&pf, 1, 0));
  printf("revents = 0x%x\n", pf.revents);
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(fdb, &rs);
  struct timeval tv = {0, 0};
  T(select(fdb + 1, &rs, NULL, NULL, &tv));
  T(epoll_wait(ep, &out, 1, 0));
  printf("epoll events = 0x%x data = %u\n", out.events, out.data.u32);
  avail = -1;
  ioctl(fdb, FIONREAD, &avail);
  printf("FIONREAD = %d\n", avail);
  n = read(fdb, ebuf, sizeof ebuf);
  print_events(ebuf, n > 0 ? n : 0);
  T(poll(&pf, 1, 0));
  close(ep);
  close(fdb);

  printf("-- queue overflow\n");
  int fq = inotify_init1(IN_NONBLOCK);
  mkdir("q", 0755);
  int q1 = open("q/1", O_CREAT | O_WRONLY, 0644), q2 = open("q/2", O_CREAT | O_WRONLY, 0644);
  inotify_add_watch(fq, "q", IN_MODIFY);
  for (int i = 0; i < 16400; i++) write(i & 1 ? q2 : q1, "z", 1);
  avail = -1;
  ioctl(fq, FIONREAD, &avail);
  printf("FIONREAD = %d\n", avail);
  n = read(fq, ebuf, sizeof ebuf);
  long count = 0;
  for (long i = 0; i < n; count++) {
    const struct inotify_event *e = (const struct inotify_event *)(ebuf + i);
    if (i + (long)(sizeof *e + e->len) >= n) { printf("events %ld, last: ", count + 1); print_events(ebuf + i, sizeof *e + e->len); }
    i += sizeof *e + e->len;
  }
  write(q1, "z", 1);
  drain(fq, "after the overflow was read");
  close(q1);
  close(q2);
  close(fq);

  close(fd);
  close(pp[0]);
  close(pp[1]);
  if (chdir("/")) perror("chdir");
  char cmd[128];
  snprintf(cmd, sizeof cmd, "%s", dir);
  nftw(cmd, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  T(access(dir, F_OK));
  return 0;
}
