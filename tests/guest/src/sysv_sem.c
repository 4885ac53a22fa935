/* System V semaphores (ipc/sem.c): semget (EINVAL for nsems past the set's or 0, EEXIST,
   ENOENT), SETVAL/GETVAL/SETALL/GETALL/GETPID, semop all-or-nothing (a later operation that
   would block undoes nothing of the earlier ones), IPC_NOWAIT (EAGAIN), wait-for-zero,
   ERANGE past SEMVMX, EFBIG for a semaphore past the set, E2BIG past SEMOPM, semtimedop's
   timeout (EAGAIN) and bad timespec (EINVAL), a child blocked in semop woken by the parent
   (GETNCNT 1 while it waits), SEM_UNDO reverted at exit, EINTR from a handler (SA_RESTART
   does not restart semop), EIDRM for a sleeper when the set is removed, IPC_STAT/IPC_SET/
   IPC_INFO/SEM_INFO, and permissions. */
#include "pm.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

static int op(int id, unsigned short num, short delta, short flg) {
  struct sembuf s = {num, delta, flg};
  return semop(id, &s, 1);
}
static void vals(const char *label, int id, int n) {
  unsigned short v[8];
  semctl(id, 0, GETALL, (union semun){.array = v});
  printf("%s:", label);
  for (int i = 0; i < n; i++) printf(" %u", v[i]);
  printf("\n");
}
static void on_alarm(int sig) { (void)sig; }

int main(void) {
  pm_drop_root();
  key_t key = 0x5e3a0000 + (getpid() & 0xffff);
  int id = semget(key, 3, IPC_CREAT | IPC_EXCL | 0600);
  printf("create: %s\n", id >= 0 ? "ok" : strerrorname_np(errno));
  ERR("again IPC_EXCL", semget(key, 3, IPC_CREAT | IPC_EXCL | 0600));
  printf("same id with fewer: %d\n", semget(key, 2, 0600) == id);
  printf("same id with 0: %d\n", semget(key, 0, 0600) == id);
  ERR("more than the set has", semget(key, 4, 0600));
  ERR("new set of 0", semget(IPC_PRIVATE, 0, 0600));
  ERR("nsems negative", semget(IPC_PRIVATE, -1, 0600));
  ERR("nsems past SEMMSL", semget(IPC_PRIVATE, 32001, 0600));
  ERR("missing key", semget(key + 1, 1, 0600));
  vals("fresh", id, 3);

  SHOW("SETVAL 0 = 5", semctl(id, 0, SETVAL, (union semun){.val = 5}));
  ERR("SETVAL 32768", semctl(id, 0, SETVAL, (union semun){.val = 32768}));
  ERR("SETVAL -1", semctl(id, 0, SETVAL, (union semun){.val = -1}));
  ERR("SETVAL semnum 3", semctl(id, 3, SETVAL, (union semun){.val = 1}));
  printf("GETVAL 0: %d\n", semctl(id, 0, GETVAL));
  printf("GETPID is me: %d\n", semctl(id, 0, GETPID) == getpid());
  printf("GETPID untouched: %d\n", semctl(id, 1, GETPID));
  ERR("GETVAL semnum -1", semctl(id, -1, GETVAL));
  unsigned short all[3] = {1, 2, 3};
  SHOW("SETALL 1 2 3", semctl(id, 0, SETALL, (union semun){.array = all}));
  vals("after SETALL", id, 3);
  unsigned short big[3] = {1, 40000, 3};
  ERR("SETALL with 40000", semctl(id, 0, SETALL, (union semun){.array = big}));
  vals("unchanged", id, 3);

  /* All or nothing. */
  struct sembuf two[2] = {{0, -1, 0}, {1, -5, IPC_NOWAIT}};
  ERR("decrement 0 and (too much) 1, IPC_NOWAIT", semop(id, two, 2));
  vals("nothing applied", id, 3);
  struct sembuf ok2[3] = {{0, -1, 0}, {0, -1, IPC_NOWAIT}, {2, 4, 0}};
  ERR("decrement 0 twice (second would block) nowait", semop(id, ok2, 3));
  struct sembuf ok3[2] = {{0, -1, 0}, {2, 4, 0}};
  SHOW("decrement 0, add 4 to 2", semop(id, ok3, 2));
  vals("applied", id, 3);
  ERR("wait for zero on 1, nowait", op(id, 1, 0, IPC_NOWAIT));
  SHOW("wait for zero on 0", op(id, 0, 0, 0));
  ERR("past SEMVMX", op(id, 2, 32767, 0));
  ERR("semaphore 3 of 3", op(id, 3, 1, 0));
  struct sembuf many[501];
  for (int i = 0; i < 501; i++) many[i] = (struct sembuf){0, 0, 0};
  ERR("501 operations", semop(id, many, 501));
  ERR("0 operations", semop(id, many, 0));
  ERR("bad sops pointer", semop(id, (struct sembuf *)8, 1));

  struct timespec ts = {0, 20 * 1000 * 1000};
  struct sembuf dec = {1, -10, 0};
  ERR("semtimedop 20 ms on an impossible decrement", semtimedop(id, &dec, 1, &ts));
  struct timespec bad = {0, 1000000000};
  ERR("semtimedop bad timespec", semtimedop(id, &dec, 1, &bad));

  /* A child sleeps until the parent makes room; GETNCNT sees it waiting. */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    int r = op(id, 1, -10, 0);
    printf("child's decrement by 10: %d, GETVAL 1 now %d\n", r, semctl(id, 1, GETVAL));
    fflush(stdout);
    _exit(0);
  }
  while (semctl(id, 1, GETNCNT) != 1) usleep(1000);
  printf("GETNCNT while the child waits: %d, GETZCNT %d\n", semctl(id, 1, GETNCNT), semctl(id, 1, GETZCNT));
  SHOW("add 12 to 1", op(id, 1, 12, 0));
  waitpid(c, NULL, 0);
  printf("GETNCNT after: %d\n", semctl(id, 1, GETNCNT));
  printf("GETPID is the child: %d\n", semctl(id, 1, GETPID) == c);

  /* SEM_UNDO: the child's adjustment is reverted when it exits. */
  semctl(id, 2, SETVAL, (union semun){.val = 3});
  fflush(stdout);
  c = fork();
  if (c == 0) {
    op(id, 2, -2, SEM_UNDO);
    op(id, 2, 5, SEM_UNDO);
    printf("child after undoable ops: %d\n", semctl(id, 2, GETVAL));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("after the child exited: %d\n", semctl(id, 2, GETVAL));
  /* SETVAL clears pending adjustments. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    op(id, 2, 4, SEM_UNDO);
    semctl(id, 2, SETVAL, (union semun){.val = 1});
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("SETVAL cleared the undo: %d\n", semctl(id, 2, GETVAL));

  /* A handler interrupts semop even with SA_RESTART: EINTR. */
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(20000, 0);
  ERR("semop interrupted by a handler (SA_RESTART)", op(id, 1, -100, 0));

  /* Removal wakes a sleeper with EIDRM. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    ERR("child sleeping when the set is removed", op(id, 1, -100, 0));
    fflush(stdout);
    _exit(0);
  }
  while (semctl(id, 1, GETNCNT) != 1) usleep(1000);

  struct semid_ds ds;
  SHOW("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
  printf("nsems %lu mode %o uid-is-me %d\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode, ds.sem_perm.uid == getuid());
  ds.sem_perm.mode = 0640;
  SHOW("IPC_SET 0640", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
  semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
  printf("mode now %o\n", ds.sem_perm.mode);
  ERR("IPC_STAT bad pointer", semctl(id, 0, IPC_STAT, (union semun){.buf = (void *)8}));
  struct seminfo si;
  int r = semctl(0, 0, IPC_INFO, (union semun){.__buf = &si});
  printf("IPC_INFO: ret>=0 %d semmsl %d semopm %d semvmx %d semmni %d semaem %d\n", r >= 0, si.semmsl, si.semopm, si.semvmx, si.semmni, si.semaem);
  ERR("unknown command", semctl(id, 0, 99));
  ERR("bad id", semctl(0x7fff0000, 0, GETVAL));

  SHOW("IPC_RMID", semctl(id, 0, IPC_RMID));
  waitpid(c, NULL, 0);
  ERR("GETVAL after RMID", semctl(id, 0, GETVAL));
  ERR("semop after RMID", op(id, 0, 1, 0));

  /* Permissions: read-only set. */
  int ro = semget(IPC_PRIVATE, 1, 0400);
  printf("GETVAL on 0400: %d\n", semctl(ro, 0, GETVAL));
  ERR("SETVAL on 0400", semctl(ro, 0, SETVAL, (union semun){.val = 1}));
  ERR("increment on 0400", op(ro, 0, 1, 0));
  SHOW("wait-for-zero on 0400", op(ro, 0, 0, 0));
  SHOW("RMID", semctl(ro, 0, IPC_RMID));
  return 0;
}
