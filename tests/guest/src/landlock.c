/* Landlock (landlock_create_ruleset, landlock_add_rule, landlock_restrict_self): the checks of
   each call in Linux's order, then enforcement of the file-system rights of ABI 1..3 (open for
   read/write, readdir, O_TRUNC/truncate/ftruncate, creation of each file type, removal,
   rename/link within and across directories with REFER and its EXDEV cases, execve), nested
   layers and the 16-layer limit, and inheritance across fork and execve (a process forked
   before the restriction stays free). Each scenario runs in a child that makes its own tree
   under /tmp, so every name it uses is its own (on sgx a child is another enclave).
   qemu 7.2 answers these calls with ENOSYS: the expected output is native Linux 6.18's
   (tests/linux-ref.test.ts). Only deterministic facts are printed (the ABI version as >= 3). */
#include "pm.h"
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stdint.h>

/* include/uapi/linux/landlock.h */
struct ll_ruleset_attr { uint64_t handled_access_fs; };
struct ll_path_beneath { uint64_t allowed_access; int32_t parent_fd; } __attribute__((packed));
#define LL_VERSION 1u
#define LL_RULE_PATH_BENEATH 1
#define X_EXEC (1ull << 0)
#define X_WRITE (1ull << 1)
#define X_READ (1ull << 2)
#define X_RDIR (1ull << 3)
#define X_RMDIR (1ull << 4)
#define X_RMFILE (1ull << 5)
#define X_MKCHAR (1ull << 6)
#define X_MKDIR (1ull << 7)
#define X_MKREG (1ull << 8)
#define X_MKSOCK (1ull << 9)
#define X_MKFIFO (1ull << 10)
#define X_MKBLOCK (1ull << 11)
#define X_MKSYM (1ull << 12)
#define X_REFER (1ull << 13)
#define X_TRUNC (1ull << 14)
#define X_ALL3 ((1ull << 15) - 1)

static long ll_create(const void *attr, size_t size, unsigned flags) { return syscall(444, attr, size, flags); }
static long ll_add(int fd, int type, const void *attr, unsigned flags) { return syscall(445, fd, type, attr, flags); }
static long ll_restrict(int fd, unsigned flags) { return syscall(446, fd, flags); }

static int ruleset(uint64_t handled) {
  struct ll_ruleset_attr a = { handled };
  return (int)ll_create(&a, sizeof a, 0);
}
static long rule(int rs, const char *path, uint64_t allowed) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return -1;
  struct ll_path_beneath pb = { allowed, fd };
  long r = ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0);
  int e = errno;
  close(fd);
  errno = e;
  return r;
}
static long enforce(int rs) {
  long r = ll_restrict(rs, 0);
  int e = errno;
  close(rs);
  errno = e;
  return r;
}
static long op(const char *p, int flags) {
  int fd = open(p, flags | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}
static long opdir(const char *p) {
  DIR *d = opendir(p);
  if (!d) return -1;
  closedir(d);
  return 0;
}
static void put(const char *p, const char *s) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, s, strlen(s)) < 0) { printf("setup %s failed\n", p); exit(1); }
  close(fd);
}
static long sock_bind(const char *p) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strcpy(a.sun_path, p);
  long r = bind(s, (struct sockaddr *)&a, sizeof a);
  int e = errno;
  close(s);
  errno = e;
  return r;
}

/* The tree each scenario works in: ro/ (f, sd/), rw/ (f, g, sub/f), x/, nr/ (a); made and entered. */
static void mktree(const char *tag) {
  char d[64];
  snprintf(d, sizeof d, "/tmp/ll%s.%d", tag, getpid());
  if (mkdir(d, 0755) || chdir(d)) { printf("setup %s failed\n", tag); exit(1); }
  mkdir("ro", 0755); mkdir("ro/sd", 0755); mkdir("rw", 0755); mkdir("rw/sub", 0755); mkdir("x", 0755); mkdir("nr", 0755);
  put("ro/f", "ro data"); put("rw/f", "rw data"); put("rw/g", "g"); put("rw/sub/f", "sub"); put("nr/a", "a");
}

static void rmtree(const char *p) {
  DIR *d = opendir(p);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char q[512];
      snprintf(q, sizeof q, "%s/%s", p, e->d_name);
      struct stat st;
      if (!lstat(q, &st) && S_ISDIR(st.st_mode)) rmtree(q);
      else unlink(q);
    }
    closedir(d);
  }
  rmdir(p);
}

static void finish(pid_t c, const char *tag) {
  int st;
  waitpid(c, &st, 0);
  fflush(stdout);
  if (!WIFEXITED(st) || WEXITSTATUS(st)) printf("%s child: status %#x\n", tag, st);
  char d[64];
  snprintf(d, sizeof d, "/tmp/ll%s.%d", tag, c);
  rmtree(d);
}

static void checks(void) {
  printf("== create_ruleset\n");
  long v = ll_create(NULL, 0, LL_VERSION);
  printf("version >= 3: %s\n", v >= 3 ? "yes" : "no");
  struct ll_ruleset_attr a = { X_READ };
  unsigned char big[4200];
  memset(big, 0, sizeof big);
  ERR("unknown flag", ll_create(NULL, 0, 1u << 31));
  ERR("version with attr", ll_create(&a, 0, LL_VERSION));
  ERR("version with size", ll_create(NULL, sizeof a, LL_VERSION));
  ERR("NULL attr", ll_create(NULL, sizeof a, 0));
  ERR("size 4", ll_create(&a, 4, 0));
  ERR("size 4097", ll_create(big, 4097, 0));
  big[0] = 4;
  big[28] = 1;
  ERR("size 32, byte 28 set", ll_create(big, 32, 0));
  big[28] = 0;
  long t = ll_create(big, 32, 0);
  printf("size 32, zero tail: %s\n", t >= 0 ? "ok" : strerrorname_np(errno));
  close((int)t);
  struct ll_ruleset_attr z = { 0 };
  ERR("nothing handled", ll_create(&z, sizeof z, 0));
  struct ll_ruleset_attr u = { 1ull << 62 };
  ERR("unknown right", ll_create(&u, sizeof u, 0));
  int rs = ruleset(X_ALL3 & ~X_REFER);
  printf("ruleset fd: %s, cloexec %d\n", rs >= 0 ? "ok" : strerrorname_np(errno), fcntl(rs, F_GETFD) & FD_CLOEXEC);
  char link[64], target[128] = "";
  snprintf(link, sizeof link, "/proc/self/fd/%d", rs);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n > 0) target[n] = 0;
  printf("ruleset link: %s\n", target);
  char buf[8];
  ERR("read ruleset", read(rs, buf, sizeof buf));
  ERR("write ruleset", write(rs, buf, sizeof buf));

  printf("== add_rule\n");
  int dir = open("rw", O_PATH | O_CLOEXEC), file = open("rw/f", O_RDONLY | O_CLOEXEC), pfd[2];
  pipe2(pfd, O_CLOEXEC);
  struct ll_path_beneath pb = { X_READ, dir };
  ERR("flags 1", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 1));
  ERR("fd -1", ll_add(-1, LL_RULE_PATH_BENEATH, &pb, 0));
  ERR("a file's fd", ll_add(file, LL_RULE_PATH_BENEATH, &pb, 0));
  ERR("rule type 99", ll_add(rs, 99, &pb, 0));
  ERR("NULL attr", ll_add(rs, LL_RULE_PATH_BENEATH, NULL, 0));
  pb.allowed_access = 0;
  ERR("no rights", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.allowed_access = 1ull << 20;
  ERR("unknown right", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.allowed_access = X_REFER;
  ERR("REFER not handled", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.allowed_access = X_READ;
  pb.parent_fd = -1;
  ERR("parent_fd -1", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.parent_fd = rs;
  ERR("parent_fd a ruleset", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.parent_fd = pfd[0];
  ERR("parent_fd a pipe", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.parent_fd = file;
  pb.allowed_access = X_READ | X_RDIR;
  ERR("READ_DIR on a file", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.allowed_access = X_READ | X_WRITE | X_TRUNC | X_EXEC;
  ERR("file rights on a file", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  pb.parent_fd = dir;
  pb.allowed_access = X_READ | X_RDIR | X_MKDIR;
  ERR("O_PATH directory", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));
  ERR("the same again", ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0));

  printf("== restrict_self\n");
  ERR("without no_new_privs", ll_restrict(rs, 0));
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  ERR("unknown flag", ll_restrict(rs, 1u << 31));
  ERR("fd -1", ll_restrict(-1, 0));
  ERR("a file's fd", ll_restrict(file, 0));
  close(dir); close(file); close(pfd[0]); close(pfd[1]); close(rs);
}

/* Every right handled; rules give ro read, rw nearly everything, x and nr what REFER needs. */
static void scenario_all(void) {
  mktree("A");
  int keep = open("ro/f", O_RDWR | O_CLOEXEC); /* opened before: may still be truncated */
  int rs = ruleset(X_ALL3);
  ERR("rule ro", rule(rs, "ro", X_READ | X_RDIR));
  ERR("rule rw", rule(rs, "rw", X_READ | X_WRITE | X_RDIR | X_MKREG | X_MKDIR | X_RMFILE | X_RMDIR | X_MKSYM | X_MKFIFO | X_MKSOCK | X_MKCHAR | X_TRUNC | X_REFER));
  ERR("rule x", rule(rs, "x", X_REFER | X_MKREG | X_RMFILE));
  ERR("rule nr", rule(rs, "nr", X_MKREG | X_RMFILE));
  ERR("rule rw/g (file)", rule(rs, "rw/g", X_EXEC));
  ERR("restrict", enforce(rs));
  printf("-- open\n");
  ERR("ro/f read", op("ro/f", O_RDONLY));
  ERR("ro/f write", op("ro/f", O_WRONLY));
  ERR("ro/f read+write", op("ro/f", O_RDWR));
  ERR("rw/f read+write", op("rw/f", O_RDWR));
  ERR("nr/a read", op("nr/a", O_RDONLY));
  ERR("readdir ro", opdir("ro"));
  ERR("readdir .", opdir("."));
  ERR("readdir /", opdir("/"));
  ERR("open ro as O_PATH", op("ro", O_PATH));
  ERR("nr/a O_PATH", op("nr/a", O_PATH));
  printf("-- truncate\n");
  ERR("rw/f O_TRUNC", op("rw/f", O_RDONLY | O_TRUNC));
  ERR("ro/f O_TRUNC", op("ro/f", O_RDONLY | O_TRUNC));
  ERR("truncate rw/f", truncate("rw/f", 1));
  ERR("truncate ro/f", truncate("ro/f", 1));
  int w = open("rw/sub/f", O_WRONLY | O_CLOEXEC);
  ERR("ftruncate rw/sub/f", ftruncate(w, 0));
  ERR("ftruncate ro/f opened before", ftruncate(keep, 0));
  close(w); close(keep);
  printf("-- make\n");
  ERR("create rw/new", op("rw/new", O_WRONLY | O_CREAT));
  ERR("create ro/new", op("ro/new", O_WRONLY | O_CREAT));
  ERR("O_CREAT of existing ro/f", op("ro/f", O_RDONLY | O_CREAT));
  ERR("mkdir rw/d", mkdir("rw/d", 0755));
  ERR("mkdir ro/d", mkdir("ro/d", 0755));
  ERR("mkdir ./d", mkdir("d", 0755));
  ERR("mkdir ro/sd (exists: EEXIST first)", mkdir("ro/sd", 0755));
  ERR("mkfifo rw/p", mkfifo("rw/p", 0644));
  ERR("mkfifo ro/p", mkfifo("ro/p", 0644));
  ERR("mknod reg rw/m", mknod("rw/m", S_IFREG | 0644, 0));
  ERR("mknod reg ro/m", mknod("ro/m", S_IFREG | 0644, 0));
  ERR("mknod chr ro/c", mknod("ro/c", S_IFCHR | 0644, makedev(1, 3)));
  ERR("mknod chr rw/c", mknod("rw/c", S_IFCHR | 0644, makedev(1, 3)));
  ERR("symlink rw/l", symlink("f", "rw/l"));
  ERR("symlink ro/l", symlink("f", "ro/l"));
  ERR("bind rw/s", sock_bind("rw/s"));
  ERR("bind ro/s", sock_bind("ro/s"));
  printf("-- remove\n");
  ERR("unlink rw/new", unlink("rw/new"));
  ERR("unlink ro/f", unlink("ro/f"));
  ERR("unlink ro/none", unlink("ro/none"));
  ERR("rmdir rw/d", rmdir("rw/d"));
  ERR("rmdir ro/sd", rmdir("ro/sd"));
  printf("-- rename and link\n");
  ERR("rename rw/m rw/m2 (same dir)", rename("rw/m", "rw/m2"));
  ERR("rename rw/m2 x/m2 (refer, no gain)", rename("rw/m2", "x/m2"));
  ERR("rename x/m2 rw/m2 (would gain rights)", rename("x/m2", "rw/m2"));
  ERR("rename rw/g x/g (its own rule)", rename("rw/g", "x/g"));
  ERR("rename nr/a x/a (no REFER in nr)", rename("nr/a", "x/a"));
  ERR("rename rw/f ro/f2 (no MAKE_REG)", rename("rw/f", "ro/f2"));
  ERR("rename ro/f rw/f3 (no REMOVE_FILE)", rename("ro/f", "rw/f3"));
  ERR("rename rw/sub x/sub (directory)", rename("rw/sub", "x/sub"));
  ERR("link rw/f x/lf", link("rw/f", "x/lf"));
  ERR("link x/m2 rw/lm (would gain)", link("x/m2", "rw/lm"));
  ERR("link rw/f rw/lf (same dir)", link("rw/f", "rw/lf"));
  ERR("link rw/f ro/lf", link("rw/f", "ro/lf"));
  ERR("renameat2 exchange rw/f x/lf", syscall(SYS_renameat2, AT_FDCWD, "rw/f", AT_FDCWD, "x/lf", 2));
  printf("-- exec\n");
  ERR("execve self", execl("/proc/self/exe", "landlock", "never", (char *)NULL));
  ERR("mkdir /tmp/d", mkdir("/tmp/lld", 0755));
}

/* Layers: each handles its own rights; every layer must allow. Then the limit of 16. */
static void scenario_layers(void) {
  mktree("B");
  int rs = ruleset(X_READ | X_WRITE);
  rule(rs, "rw", X_READ | X_WRITE);
  ERR("layer 1", enforce(rs));
  ERR("ro/f read (layer 1 denies)", op("ro/f", O_RDONLY));
  ERR("rw/f write", op("rw/f", O_WRONLY));
  rs = ruleset(X_WRITE | X_MKDIR);
  rule(rs, "rw/sub", X_WRITE);
  ERR("layer 2", enforce(rs));
  ERR("rw/f read", op("rw/f", O_RDONLY));
  ERR("rw/f write (layer 2 denies)", op("rw/f", O_WRONLY));
  ERR("rw/sub/f write", op("rw/sub/f", O_WRONLY));
  ERR("mkdir rw/sub/d (layer 2 handles MAKE_DIR)", mkdir("rw/sub/d", 0755));
  int ok = 0;
  long r = 0;
  for (int i = 3; i <= 17; i++) {
    rs = ruleset(X_RDIR);
    rule(rs, "/", X_RDIR);
    r = enforce(rs);
    if (r == 0) ok++;
    else break;
  }
  printf("more layers: %d, then %s\n", ok, r == -1 ? strerrorname_np(errno) : "ok");
  ERR("readdir / (16 layers allow)", opdir("/"));
}

static void inherited(const char *who) {
  printf("%s: ro/f write: %s\n", who, op("ro/f", O_WRONLY) ? strerrorname_np(errno) : "ok");
  printf("%s: rw/f write: %s\n", who, op("rw/f", O_WRONLY) ? strerrorname_np(errno) : "ok");
  printf("%s: ro/f read: %s\n", who, op("ro/f", O_RDONLY) ? strerrorname_np(errno) : "ok");
  printf("%s: mkdir z: %s\n", who, mkdir("z", 0755) ? strerrorname_np(errno) : "ok");
  printf("%s: mkdir rw/z: %s\n", who, mkdir("rw/z", 0755) ? strerrorname_np(errno) : "ok");
  rmdir("rw/z");
  fflush(stdout);
}

/* A domain is inherited by fork and kept by execve; a child forked before it stays free. */
static void scenario_inherit(void) {
  mktree("C");
  int go[2];
  pipe2(go, O_CLOEXEC);
  pid_t early = fork();
  if (early == 0) {
    char b;
    close(go[1]);
    read(go[0], &b, 1);
    printf("forked before: ro/f write: %s\n", op("ro/f", O_WRONLY) ? strerrorname_np(errno) : "ok");
    fflush(stdout);
    _exit(0);
  }
  close(go[0]);
  int rs = ruleset(X_WRITE | X_MKDIR);
  rule(rs, "rw", X_WRITE | X_MKDIR);
  ERR("restrict", enforce(rs));
  inherited("self");
  write(go[1], "g", 1);
  close(go[1]);
  int st;
  waitpid(early, &st, 0);
  pid_t c = fork();
  if (c == 0) {
    inherited("fork child");
    execl("/proc/self/exe", "landlock", "exec", (char *)NULL);
    printf("exec: %s\n", strerrorname_np(errno));
    _exit(1);
  }
  waitpid(c, &st, 0);
  printf("fork child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* A ruleset descriptor is inherited by fork: the child enforces it, its parent stays free. */
static void scenario_fd(void) {
  mktree("D");
  int rs = ruleset(X_WRITE);
  rule(rs, "rw", X_WRITE);
  pid_t c = fork();
  if (c == 0) {
    ERR("child: restrict with the inherited ruleset", enforce(rs));
    ERR("child: ro/f write", op("ro/f", O_WRONLY));
    ERR("child: rw/f write", op("rw/f", O_WRONLY));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  ERR("parent: ro/f write", op("ro/f", O_WRONLY));
  close(rs);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && !strcmp(argv[1], "never")) {
    printf("exec ran\n");
    return 1;
  }
  if (argc == 2 && !strcmp(argv[1], "exec")) {
    inherited("after exec");
    return 0;
  }
  pm_drop_root();
  char d[64];
  snprintf(d, sizeof d, "/tmp/ll0.%d", getpid());
  if (mkdir(d, 0755) || chdir(d) || mkdir("rw", 0755)) { printf("setup failed\n"); return 1; }
  put("rw/f", "x");
  checks();
  chdir("/");
  rmtree(d);
  fflush(stdout);
  struct { const char *tag, *title; void (*fn)(void); } sc[] = {
    { "A", "all rights handled", scenario_all },
    { "B", "layers", scenario_layers },
    { "C", "inheritance", scenario_inherit },
    { "D", "a ruleset descriptor across fork", scenario_fd },
  };
  for (unsigned i = 0; i < sizeof sc / sizeof sc[0]; i++) {
    printf("== %s\n", sc[i].title);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
      sc[i].fn();
      fflush(stdout);
      _exit(0);
    }
    finish(c, sc[i].tag);
  }
  return 0;
}
