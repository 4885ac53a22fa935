/* The kernel key retention service (add_key, request_key, keyctl): key types user, logon and
   keyring, the special keyrings, permissions and possession, timeouts, quotas, threads, fork
   and exec. Prints no serial numbers: only errnos, descriptions and relations between ids.
   Runs as uid 1000 (pm_drop_root); it first empties uid 1000's user keyrings, which Linux
   keeps between runs. */
#include "pm.h"
#include <linux/keyctl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static long add_key(const char *type, const char *desc, const void *p, size_t n, long ring) {
  return syscall(SYS_add_key, type, desc, p, n, ring);
}
static long request_key(const char *type, const char *desc, const char *info, long dest) {
  return syscall(SYS_request_key, type, desc, info, dest);
}
static long kc(long op, long a, long b, long c, long d) { return syscall(SYS_keyctl, op, a, b, c, d); }
#define GETID(id, create) kc(KEYCTL_GET_KEYRING_ID, (id), (create), 0, 0)

static void describe(const char *label, long id) {
  char buf[256];
  errno = 0;
  long n = kc(KEYCTL_DESCRIBE, id, (long)buf, sizeof buf, 0);
  if (n < 0) printf("%s: %s\n", label, strerrorname_np(errno));
  else printf("%s: %ld \"%s\"\n", label, n, buf);
}
static void readkey(const char *label, long id) {
  char buf[64];
  memset(buf, 0, sizeof buf);
  errno = 0;
  long n = kc(KEYCTL_READ, id, (long)buf, sizeof buf - 1, 0);
  if (n < 0) printf("%s: %s\n", label, strerrorname_np(errno));
  else printf("%s: %ld \"%s\"\n", label, n, buf);
}
/* A keyring's members: how many, and whether `id` is among them. */
static void members(const char *label, long ring, long id) {
  int ids[256];
  errno = 0;
  long n = kc(KEYCTL_READ, ring, (long)ids, sizeof ids, 0);
  if (n < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  int has = 0;
  for (long i = 0; i < n / 4 && i < 256; i++) if (ids[i] == id) has = 1;
  printf("%s: %ld keys, %s\n", label, n / 4, has ? "has it" : "lacks it");
}

static long thread_ids[3];
static void *thr(void *arg) {
  (void)arg;
  thread_ids[0] = GETID(KEY_SPEC_THREAD_KEYRING, 0);
  thread_ids[1] = GETID(KEY_SPEC_THREAD_KEYRING, 1);
  thread_ids[2] = GETID(KEY_SPEC_PROCESS_KEYRING, 0);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "exec")) {
    long ses = atol(argv[2]);
    printf("exec: thread keyring %s\n", GETID(KEY_SPEC_THREAD_KEYRING, 0) < 0 ? strerrorname_np(errno) : "kept");
    printf("exec: process keyring %s\n", GETID(KEY_SPEC_PROCESS_KEYRING, 0) < 0 ? strerrorname_np(errno) : "kept");
    printf("exec: session keyring kept: %d\n", GETID(KEY_SPEC_SESSION_KEYRING, 0) == ses);
    return 0;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  pm_drop_root();
  kc(KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING, 0, 0, 0);
  kc(KEYCTL_CLEAR, KEY_SPEC_USER_SESSION_KEYRING, 0, 0, 0);

  /* The special keyrings. */
  ERR("thread keyring, no create", GETID(KEY_SPEC_THREAD_KEYRING, 0));
  ERR("process keyring, no create", GETID(KEY_SPEC_PROCESS_KEYRING, 0));
  long ses = GETID(KEY_SPEC_SESSION_KEYRING, 0), uses = GETID(KEY_SPEC_USER_SESSION_KEYRING, 0);
  long user = GETID(KEY_SPEC_USER_KEYRING, 0);
  printf("session is the user session keyring: %d, user keyring differs: %d, positive: %d\n", ses == uses, user != uses, ses > 0 && user > 0);
  ERR("group keyring", GETID(KEY_SPEC_GROUP_KEYRING, 0));
  ERR("reqkey auth key", GETID(KEY_SPEC_REQKEY_AUTH_KEY, 0));
  ERR("requestor keyring", GETID(KEY_SPEC_REQUESTOR_KEYRING, 0));
  ERR("id -9", GETID(-9, 0));
  ERR("id 0", GETID(0, 0));
  ERR("unknown serial", GETID(0x7ffffff0, 0));
  describe("user keyring", KEY_SPEC_USER_KEYRING);
  describe("user session keyring", KEY_SPEC_USER_SESSION_KEYRING);
  long th = GETID(KEY_SPEC_THREAD_KEYRING, 1), pr = GETID(KEY_SPEC_PROCESS_KEYRING, 1);
  printf("created: thread %d process %d distinct %d again same %d\n", th > 0, pr > 0, th != pr,
         GETID(KEY_SPEC_THREAD_KEYRING, 1) == th && GETID(KEY_SPEC_PROCESS_KEYRING, 0) == pr);
  describe("thread keyring", KEY_SPEC_THREAD_KEYRING);
  describe("process keyring", KEY_SPEC_PROCESS_KEYRING);

  /* add_key's checks. */
  ERR("add_key type .x", add_key(".x", "d", "p", 1, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key type bogus", add_key("bogus", "d", "p", 1, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key keyring .dot", add_key("keyring", ".dot", NULL, 0, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key keyring with payload", add_key("keyring", "kp", "p", 1, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key user empty payload", add_key("user", "e", "", 0, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key user NULL desc", add_key("user", NULL, "p", 1, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key user empty desc", add_key("user", "", "p", 1, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key user ring 0", add_key("user", "d", "p", 1, 0));
  ERR("add_key user unknown ring", add_key("user", "d", "p", 1, 0x7ffffff0));
  ERR("add_key logon no colon", add_key("logon", "nocolon", "p", 1, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key logon empty prefix", add_key("logon", ":x", "p", 1, KEY_SPEC_SESSION_KEYRING));
  static char big[40000];
  memset(big, 'b', sizeof big);
  ERR("add_key user 32768 bytes", add_key("user", "big", big, 32768, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key user 20000 bytes", add_key("user", "big", big, 20000, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key payload 1 MiB", add_key("user", "big", big, 1 << 20, KEY_SPEC_SESSION_KEYRING));
  ERR("add_key bad payload pointer", add_key("user", "big", (void *)8, 10, KEY_SPEC_SESSION_KEYRING));

  /* user keys: describe, read, update by adding again. */
  long k1 = add_key("user", "k1", "hello", 5, KEY_SPEC_SESSION_KEYRING);
  printf("k1 positive: %d, not a keyring id: %d\n", k1 > 0, k1 != ses && k1 != user);
  printf("add_key to the session made a new session keyring: %d\n", GETID(KEY_SPEC_SESSION_KEYRING, 0) != uses);
  describe("session keyring", KEY_SPEC_SESSION_KEYRING);
  describe("k1", k1);
  readkey("k1 read", k1);
  { char b[4] = "zzz"; long n = kc(KEYCTL_READ, k1, (long)b, 2, 0); printf("k1 short read: %ld \"%s\"\n", n, b); }
  printf("k1 read length only: %ld\n", kc(KEYCTL_READ, k1, 0, 0, 0));
  { char b[4]; long n = kc(KEYCTL_DESCRIBE, k1, (long)b, sizeof b, 0); printf("k1 short describe: %ld\n", n); }
  long k1b = add_key("user", "k1", "world!", 6, KEY_SPEC_SESSION_KEYRING);
  printf("k1 added again is k1: %d\n", k1b == k1);
  readkey("k1 read after add", k1);
  SHOW("k1 update", kc(KEYCTL_UPDATE, k1, (long)"again", 5, 0));
  readkey("k1 read after update", k1);
  ERR("k1 update empty", kc(KEYCTL_UPDATE, k1, (long)"", 0, 0));
  ERR("update a keyring", kc(KEYCTL_UPDATE, KEY_SPEC_SESSION_KEYRING, (long)"x", 1, 0));
  printf("get id of k1 is k1: %d\n", GETID(k1, 0) == k1);
  members("session keyring", KEY_SPEC_SESSION_KEYRING, k1);

  /* logon keys. */
  long lk = add_key("logon", "svc:pw", "secret", 6, KEY_SPEC_SESSION_KEYRING);
  printf("logon key positive: %d\n", lk > 0);
  describe("logon key", lk);
  readkey("logon key read", lk);

  /* keyrings: link, unlink, search, read as serials, clear. */
  long kr = add_key("keyring", "kr1", NULL, 0, KEY_SPEC_SESSION_KEYRING);
  describe("kr1", kr);
  members("kr1 empty", kr, k1);
  SHOW("link k1 into kr1", kc(KEYCTL_LINK, k1, kr, 0, 0));
  SHOW("link k1 into kr1 again", kc(KEYCTL_LINK, k1, kr, 0, 0));
  members("kr1", kr, k1);
  ERR("link into a user key", kc(KEYCTL_LINK, k1, k1, 0, 0));
  ERR("link a keyring into itself", kc(KEYCTL_LINK, kr, kr, 0, 0));
  ERR("link session into kr1 (cycle)", kc(KEYCTL_LINK, KEY_SPEC_SESSION_KEYRING, kr, 0, 0));
  printf("search kr1 for k1: %d\n", kc(KEYCTL_SEARCH, kr, (long)"user", (long)"k1", 0) == k1);
  printf("search session for k1 (nested): %d\n", kc(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)"k1", 0) == k1);
  ERR("search kr1 for k9", kc(KEYCTL_SEARCH, kr, (long)"user", (long)"k9", 0));
  ERR("search kr1 bogus type", kc(KEYCTL_SEARCH, kr, (long)"bogus", (long)"k1", 0));
  ERR("search a user key", kc(KEYCTL_SEARCH, k1, (long)"user", (long)"k1", 0));
  long kr2 = add_key("keyring", "kr2", NULL, 0, KEY_SPEC_SESSION_KEYRING);
  printf("search with dest links: %d\n", kc(KEYCTL_SEARCH, kr, (long)"user", (long)"k1", kr2) == k1);
  members("kr2", kr2, k1);
  printf("search for a keyring by name: %d\n", kc(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"keyring", (long)"kr2", 0) == kr2);
  SHOW("unlink k1 from kr1", kc(KEYCTL_UNLINK, k1, kr, 0, 0));
  ERR("unlink k1 from kr1 again", kc(KEYCTL_UNLINK, k1, kr, 0, 0));
  members("kr1 after unlink", kr, k1);
  SHOW("clear kr2", kc(KEYCTL_CLEAR, kr2, 0, 0, 0));
  members("kr2 after clear", kr2, k1);
  ERR("clear a user key", kc(KEYCTL_CLEAR, k1, 0, 0, 0));
  long k2 = add_key("user", "k2", "two", 3, kr);
  printf("request_key finds k2 in a nested keyring: %d\n", request_key("user", "k2", NULL, 0) == k2);
  ERR("request_key missing, no callout", request_key("user", "nope", NULL, 0));
  ERR("request_key bad type", request_key("bogus", "k2", NULL, 0));
  ERR("request_key type .x", request_key(".x", "k2", NULL, 0));
  printf("request_key links into dest: %d\n", request_key("user", "k2", NULL, kr2) == k2);
  members("kr2 after request_key", kr2, k2);

  /* Permissions and possession. */
  long k3 = add_key("user", "k3", "three", 5, kr);
  ERR("setperm invalid bits", kc(KEYCTL_SETPERM, k3, 0x40000000, 0, 0));
  SHOW("setperm possessor without read", kc(KEYCTL_SETPERM, k3, 0x3d010000, 0, 0));
  describe("k3", k3);
  readkey("k3 read without read perm (possessed, searchable)", k3);
  SHOW("setperm possessor without read and search", kc(KEYCTL_SETPERM, k3, 0x35010000, 0, 0));
  readkey("k3 read without read and search", k3);
  SHOW("setperm user view only", kc(KEYCTL_SETPERM, k3, 0x00010000, 0, 0));
  describe("k3 user view only", k3);
  readkey("k3 read user view only", k3);
  ERR("k3 update", kc(KEYCTL_UPDATE, k3, (long)"x", 1, 0));
  ERR("k3 setperm again", kc(KEYCTL_SETPERM, k3, 0x3f010000, 0, 0));
  ERR("k3 link into kr2", kc(KEYCTL_LINK, k3, kr2, 0, 0));
  long k4 = add_key("user", "k4", "four", 4, kr);
  SHOW("setperm k4 nothing", kc(KEYCTL_SETPERM, k4, 0, 0, 0));
  describe("k4 no perms", k4);
  ERR("k4 search", kc(KEYCTL_SEARCH, kr, (long)"user", (long)"k4", 0));
  ERR("k4 revoke", kc(KEYCTL_REVOKE, k4, 0, 0, 0));
  ERR("k4 unlink (needs write on kr1 only)", kc(KEYCTL_UNLINK, k4, kr, 0, 0));
  long kp = add_key("keyring", "kp", NULL, 0, kr);
  SHOW("setperm kr1 possessor none, user all", kc(KEYCTL_SETPERM, kr, 0x003f0000, 0, 0));
  SHOW("kr1 still reachable by id", kc(KEYCTL_SETPERM, kr, 0x3f3f0000, 0, 0));
  (void)kp;

  /* chown. */
  long k5 = add_key("user", "k5", "five", 4, KEY_SPEC_SESSION_KEYRING);
  SHOW("chown -1 -1", kc(KEYCTL_CHOWN, k5, -1, -1, 0));
  SHOW("chown to own uid and gid", kc(KEYCTL_CHOWN, k5, 1000, 1000, 0));
  ERR("chown to uid 0", kc(KEYCTL_CHOWN, k5, 0, -1, 0));
  ERR("chown to gid 0", kc(KEYCTL_CHOWN, k5, -1, 0, 0));
  describe("k5", k5);

  /* Revoke, invalidate, timeouts. */
  long kr6 = add_key("keyring", "kr6", NULL, 0, KEY_SPEC_SESSION_KEYRING);
  long k6 = add_key("user", "k6", "six", 3, kr6);
  SHOW("revoke k6", kc(KEYCTL_REVOKE, k6, 0, 0, 0));
  readkey("k6 read", k6);
  describe("k6", k6);
  ERR("k6 update", kc(KEYCTL_UPDATE, k6, (long)"x", 1, 0));
  SHOW("k6 revoke again", kc(KEYCTL_REVOKE, k6, 0, 0, 0));
  ERR("k6 set timeout", kc(KEYCTL_SET_TIMEOUT, k6, 5, 0, 0));
  ERR("k6 search", kc(KEYCTL_SEARCH, kr6, (long)"user", (long)"k6", 0));
  SHOW("k6 unlink", kc(KEYCTL_UNLINK, k6, kr6, 0, 0));
  long k7 = add_key("user", "k7", "seven", 5, KEY_SPEC_SESSION_KEYRING);
  SHOW("invalidate k7", kc(KEYCTL_INVALIDATE, k7, 0, 0, 0));
  readkey("k7 read", k7);
  long kr8 = add_key("keyring", "kr8", NULL, 0, KEY_SPEC_SESSION_KEYRING);
  long k8 = add_key("user", "k8", "eight", 5, kr8);
  SHOW("set timeout k8 1s", kc(KEYCTL_SET_TIMEOUT, k8, 1, 0, 0));
  readkey("k8 read before expiry", k8);
  struct timespec ts = {1, 300000000};
  nanosleep(&ts, NULL);
  readkey("k8 read after expiry", k8);
  describe("k8 after expiry", k8);
  ERR("k8 search after expiry", kc(KEYCTL_SEARCH, kr8, (long)"user", (long)"k8", 0));
  ERR("request_key k8 after expiry", request_key("user", "k8", NULL, 0));
  long k9 = add_key("user", "k9", "nine", 4, KEY_SPEC_SESSION_KEYRING);
  SHOW("set timeout k9 then clear it", kc(KEYCTL_SET_TIMEOUT, k9, 1, 0, 0) | kc(KEYCTL_SET_TIMEOUT, k9, 0, 0, 0));
  nanosleep(&ts, NULL);
  readkey("k9 read", k9);

  /* Unimplemented-or-absent operations. */
  ERR("keyctl op 9999", kc(9999, 0, 0, 0, 0));
  ERR("instantiate without authority", kc(KEYCTL_INSTANTIATE, k9, (long)"x", 1, 0));
  ERR("negate without authority", kc(KEYCTL_NEGATE, k9, 1, 0, 0));
  ERR("assume authority of a non-auth key", kc(KEYCTL_ASSUME_AUTHORITY, k9, 0, 0, 0));
  SHOW("assume authority 0", kc(KEYCTL_ASSUME_AUTHORITY, 0, 0, 0, 0));
  SHOW("set reqkey keyring no change", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_NO_CHANGE, 0, 0, 0));
  SHOW("set reqkey keyring thread", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_THREAD_KEYRING, 0, 0, 0));
  SHOW("set reqkey keyring no change", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_NO_CHANGE, 0, 0, 0));
  SHOW("set reqkey keyring default", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_DEFAULT, 0, 0, 0));
  ERR("set reqkey keyring 8", kc(KEYCTL_SET_REQKEY_KEYRING, 8, 0, 0, 0));

  /* move and restrict. */
  long m1 = add_key("keyring", "m1", NULL, 0, KEY_SPEC_SESSION_KEYRING), m2 = add_key("keyring", "m2", NULL, 0, KEY_SPEC_SESSION_KEYRING);
  long mk = add_key("user", "mk", "m", 1, m1);
  ERR("move bad flags", kc(KEYCTL_MOVE, mk, m1, m2, 2));
  SHOW("move m1 to m1", kc(KEYCTL_MOVE, mk, m1, m1, 0));
  SHOW("move m1 to m2", kc(KEYCTL_MOVE, mk, m1, m2, 0));
  members("m1 after move", m1, mk);
  members("m2 after move", m2, mk);
  ERR("move from a keyring without it", kc(KEYCTL_MOVE, mk, m1, m2, 0));
  add_key("user", "mk", "n", 1, m1);
  ERR("move exclusive onto a namesake", kc(KEYCTL_MOVE, mk, m2, m1, KEYCTL_MOVE_EXCL));
  SHOW("move onto a namesake", kc(KEYCTL_MOVE, mk, m2, m1, 0));
  members("m1 after displacing move", m1, mk);
  ERR("restrict a user key", kc(KEYCTL_RESTRICT_KEYRING, mk, 0, 0, 0));
  ERR("restrict by type user, no restriction", kc(KEYCTL_RESTRICT_KEYRING, m2, (long)"user", 0, 0));
  ERR("restrict by type user", kc(KEYCTL_RESTRICT_KEYRING, m2, (long)"user", (long)"x", 0));
  SHOW("restrict m2 entirely", kc(KEYCTL_RESTRICT_KEYRING, m2, 0, 0, 0));
  ERR("restrict m2 again", kc(KEYCTL_RESTRICT_KEYRING, m2, 0, 0, 0));
  ERR("add_key into restricted m2", add_key("user", "r", "r", 1, m2));
  ERR("link into restricted m2", kc(KEYCTL_LINK, mk, m2, 0, 0));
  SHOW("clear restricted m2", kc(KEYCTL_CLEAR, m2, 0, 0, 0));
  long lk2 = add_key("logon", "svc:pw", "other", 5, KEY_SPEC_SESSION_KEYRING);
  printf("logon key added again is the same key: %d\n", lk2 == lk);
  SHOW("logon update", kc(KEYCTL_UPDATE, lk, (long)"x", 1, 0));
  ERR("keyctl DH compute", kc(KEYCTL_DH_COMPUTE, 0, 0, 0, 0));

  /* Threads: each has its own thread keyring; the process keyring is shared. */
  pthread_t pt;
  pthread_create(&pt, NULL, thr, NULL);
  pthread_join(pt, NULL);
  printf("thread: starts with its own new thread keyring %d, create returns it %d, process keyring shared %d\n",
         thread_ids[0] > 0 && thread_ids[0] != th, thread_ids[1] == thread_ids[0], thread_ids[2] == pr);

  /* fork: the child shares the session keyring, has no thread or process keyring. */
  long cur = GETID(KEY_SPEC_SESSION_KEYRING, 0);
  int pfd[2];
  if (pipe(pfd)) return 1;
  pid_t c = fork();
  if (c == 0) {
    char r[5];
    r[0] = GETID(KEY_SPEC_THREAD_KEYRING, 0) < 0 && errno == ENOKEY ? 'y' : 'n';
    r[1] = GETID(KEY_SPEC_PROCESS_KEYRING, 0) < 0 && errno == ENOKEY ? 'y' : 'n';
    r[2] = GETID(KEY_SPEC_SESSION_KEYRING, 0) == cur ? 'y' : 'n';
    char b[16] = {0};
    r[3] = kc(KEYCTL_READ, k1, (long)b, sizeof b, 0) == 5 && !strcmp(b, "again") ? 'y' : 'n';
    r[4] = kc(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)"k2", 0) == k2 ? 'y' : 'n';
    if (write(pfd[1], r, 5) != 5) _exit(1);
    _exit(0);
  }
  char r[6] = {0};
  if (read(pfd[0], r, 5) != 5) return 1;
  waitpid(c, NULL, 0);
  printf("fork child: no thread keyring %c, no process keyring %c, same session %c, reads k1 %c, finds k2 %c\n", r[0], r[1], r[2], r[3], r[4]);

  /* Sessions. */
  long anon = kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
  printf("joined anonymous session: new %d, is session %d\n", anon > 0 && anon != ses, GETID(KEY_SPEC_SESSION_KEYRING, 0) == anon);
  describe("anonymous session", KEY_SPEC_SESSION_KEYRING);
  ERR("k1 search from the new session", kc(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)"k1", 0));
  printf("request_key finds k1 via the user session keyring: %s\n", request_key("user", "k1", NULL, 0) == k1 ? "yes" : strerrorname_np(errno));
  long named = kc(KEYCTL_JOIN_SESSION_KEYRING, (long)"myses", 0, 0, 0);
  long again = kc(KEYCTL_JOIN_SESSION_KEYRING, (long)"myses", 0, 0, 0);
  printf("joined named session: new %d; again (not searchable by its user): %s\n", named > 0 && named != anon,
         again == named ? "same" : again > 0 ? "another" : strerrorname_np(errno));
  describe("named session", KEY_SPEC_SESSION_KEYRING);
  ERR("join session named .x", kc(KEYCTL_JOIN_SESSION_KEYRING, (long)".x", 0, 0, 0));

  /* Quota: uid 1000 may hold 200 keys. */
  long kq = add_key("keyring", "quota", NULL, 0, KEY_SPEC_SESSION_KEYRING);
  int n = 0, e = 0;
  for (; n < 300; n++) {
    char d[16];
    snprintf(d, sizeof d, "q%d", n);
    if (add_key("user", d, "x", 1, kq) < 0) { e = errno; break; }
  }
  printf("quota: stopped before 200 keys %d, with %s\n", n < 200, e ? strerrorname_np(e) : "nothing");
  kc(KEYCTL_CLEAR, kq, 0, 0, 0);

  /* exec: the thread and process keyrings go, the session stays. */
  char sbuf[24];
  snprintf(sbuf, sizeof sbuf, "%ld", GETID(KEY_SPEC_SESSION_KEYRING, 0));
  execl("/proc/self/exe", argv[0], "exec", sbuf, (char *)NULL);
  printf("exec failed\n");
  return 1;
}
