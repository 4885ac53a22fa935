/* System V message queues (ipc/msg.c): msgget, msgsnd/msgrcv by type (0: first; >0: first of
   that type; with MSG_EXCEPT: first of another; <0: first of the lowest type up to |type|),
   E2BIG and MSG_NOERROR truncation, ENOMSG with IPC_NOWAIT, EINVAL for type 0 or a size past
   MSGMAX, a full queue (EAGAIN with IPC_NOWAIT; a blocked sender released by a receiver),
   a receiver blocked until a child sends, EINTR from a handler with SA_RESTART, EIDRM for a
   sleeper when the queue is removed, MSG_COPY (peek by position), IPC_STAT counts,
   IPC_SET of msg_qbytes (EPERM past MSGMNB), IPC_INFO/MSG_INFO and permissions. */
#include "pm.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct m { long type; char text[64]; };

static int ready[2], rq;
static volatile pid_t waiter_tid;

/* The state letter of a thread of this process (/proc/self/task/TID/stat, after the comm). */
static char state_of(pid_t tid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  FILE *f = fopen(path, "r");
  if (!f) return '?';
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

static void rcv(const char *label, int q, size_t sz, long type, int flg);

static void *waiter(void *arg) {
  (void)arg;
  waiter_tid = gettid();
  rcv("child waiting when the queue is removed", rq, 64, 0, 0);
  return NULL;
}

static int snd(int q, long type, const char *s, int flg) {
  struct m m = {type, ""};
  strncpy(m.text, s, sizeof m.text - 1);
  return msgsnd(q, &m, strlen(s) + 1, flg);
}
static void rcv(const char *label, int q, size_t sz, long type, int flg) {
  struct m m;
  memset(&m, 0, sizeof m);
  errno = 0;
  ssize_t n = msgrcv(q, &m, sz, type, flg);
  if (n < 0) printf("%s: %s\n", label, strerrorname_np(errno));
  else printf("%s: %zd bytes, type %ld, \"%.*s\"\n", label, n, m.type, (int)n, m.text);
}
static void counts(const char *label, int q) {
  struct msqid_ds d;
  msgctl(q, IPC_STAT, &d);
  printf("%s: qnum %lu cbytes %lu qbytes %lu\n", label, (unsigned long)d.msg_qnum, (unsigned long)d.__msg_cbytes, (unsigned long)d.msg_qbytes);
}
static void on_alarm(int sig) { (void)sig; }

/* Where qemu-user is not Linux (tests/process.test.ts runs these in the enclave; the same
   source built for x86-64 prints the same lines on Linux): qemu 7.2 aborts (an assertion in
   cpu_exec) on a msgsnd past MSGMAX or from an unmapped buffer, which Linux refuses. */
static int linux_only(void) {
  int q = msgget(IPC_PRIVATE, 0600);
  static long buf[2048 + 1];
  buf[0] = 1;
  ERR("send 8193 bytes", msgsnd(q, buf, 8193, 0));
  ERR("send -1 bytes", msgsnd(q, buf, (size_t)-1, 0));
  ERR("send from a bad pointer", msgsnd(q, (void *)8, 4, 0));
  SHOW("send 8192 bytes", msgsnd(q, buf, 8192, 0));
  ERR("receive into a bad pointer", msgrcv(q, (void *)8, 8192, 0, IPC_NOWAIT));
  struct msqid_ds d;
  msgctl(q, IPC_STAT, &d);
  printf("the message is gone: qnum %lu\n", (unsigned long)d.msg_qnum);
  SHOW("IPC_RMID", msgctl(q, IPC_RMID, NULL));
  return 0;
}

int main(int argc, char **argv) {
  pm_drop_root();
  if (argc > 1 && strcmp(argv[1], "linux") == 0) return linux_only();
  key_t key = 0x5e450000 + (getpid() & 0xffff);
  int q = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  printf("create: %s\n", q >= 0 ? "ok" : strerrorname_np(errno));
  ERR("again IPC_EXCL", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  printf("same id: %d\n", msgget(key, 0) == q);
  ERR("missing key", msgget(key + 1, 0600));
  counts("fresh", q);

  SHOW("send type 3 'three'", snd(q, 3, "three", 0));
  SHOW("send type 1 'one'", snd(q, 1, "one", 0));
  SHOW("send type 2 'two'", snd(q, 2, "two", 0));
  SHOW("send type 1 'uno'", snd(q, 1, "uno", 0));
  SHOW("send type 5 'five'", snd(q, 5, "five", 0));
  counts("five queued", q);
  ERR("send type 0", snd(q, 0, "x", 0));
  ERR("send type -1", snd(q, -1, "x", 0));
  struct m big = {1, ""};

  rcv("MSG_COPY position 2", q, 64, 2, MSG_COPY | IPC_NOWAIT);
  rcv("MSG_COPY position 9", q, 64, 9, MSG_COPY | IPC_NOWAIT);
  rcv("MSG_COPY without IPC_NOWAIT", q, 64, 0, MSG_COPY);
  rcv("type 2", q, 64, 2, 0);
  rcv("type -2 (lowest up to 2)", q, 64, -2, 0);
  rcv("type 1 except", q, 64, 1, MSG_EXCEPT);
  rcv("too small without MSG_NOERROR", q, 2, 0, 0);
  rcv("too small with MSG_NOERROR", q, 2, 0, MSG_NOERROR);
  rcv("type 0", q, 64, 0, 0);
  rcv("empty, IPC_NOWAIT", q, 64, 0, IPC_NOWAIT);
  rcv("type 7, IPC_NOWAIT", q, 64, 7, IPC_NOWAIT);
  ERR("negative size", msgrcv(q, &big, -1, 0, IPC_NOWAIT));
  counts("drained", q);

  /* A small queue fills: IPC_NOWAIT fails, a blocked sender goes on once a child receives. */
  struct msqid_ds d;
  msgctl(q, IPC_STAT, &d);
  d.msg_qbytes = 12;
  SHOW("IPC_SET qbytes 12", msgctl(q, IPC_SET, &d));
  SHOW("send 10 bytes", snd(q, 1, "123456789", 0));
  ERR("send 4 more, IPC_NOWAIT", snd(q, 1, "abc", IPC_NOWAIT));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    usleep(20000);
    rcv("child receives", q, 64, 0, 0);
    fflush(stdout);
    _exit(0);
  }
  SHOW("blocking send of 4 more", snd(q, 1, "abc", 0));
  waitpid(c, NULL, 0);
  counts("after the child received", q);
  d.msg_qbytes = 16385;
  ERR("IPC_SET qbytes past MSGMNB", msgctl(q, IPC_SET, &d));
  rcv("drain", q, 64, 0, 0);
  d.msg_qbytes = 16384;
  SHOW("IPC_SET qbytes back to MSGMNB", msgctl(q, IPC_SET, &d));

  /* A receiver waits for a type a child sends later. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    usleep(20000);
    snd(q, 4, "skip me", 0);
    snd(q, 9, "nine", 0);
    _exit(0);
  }
  rcv("wait for type 9", q, 64, 9, 0);
  waitpid(c, NULL, 0);
  rcv("the other one", q, 64, 0, IPC_NOWAIT);

  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(20000, 0);
  rcv("receive interrupted by a handler (SA_RESTART)", q, 64, 0, 0);

  struct msginfo mi;
  int r = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
  printf("IPC_INFO: ret>=0 %d msgmax %d msgmnb %d msgmni %d msgssz %d msgseg %d\n", r >= 0, mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgseg);
  ERR("unknown command", msgctl(q, 99, &d));
  ERR("bad id", msgctl(0x7fff0000, IPC_STAT, &d));
  ERR("IPC_STAT bad pointer", msgctl(q, IPC_STAT, (struct msqid_ds *)8));

  /* The child's receiving thread is asleep in msgrcv before the parent removes the queue: another
     thread of the child watches its state in /proc and only then tells the parent, so the removal
     finds it waiting however long the child took to start (on SGX a fork starts a new enclave,
     and the receive is a request to the queue's enclave). */
  if (pipe(ready)) return 1;
  fflush(stdout);
  c = fork();
  if (c == 0) {
    pthread_t th;
    rq = q;
    pthread_create(&th, NULL, waiter, NULL);
    while (!waiter_tid) sched_yield();
    while (state_of(waiter_tid) != 'S') sched_yield();
    write(ready[1], "r", 1);
    pthread_join(th, NULL);
    fflush(stdout);
    _exit(0);
  }
  char rb;
  read(ready[0], &rb, 1);
  SHOW("IPC_RMID", msgctl(q, IPC_RMID, NULL));
  waitpid(c, NULL, 0);
  ERR("send after RMID", snd(q, 1, "x", 0));

  int ro = msgget(IPC_PRIVATE, 0400);
  ERR("send to 0400", snd(ro, 1, "x", 0));
  rcv("receive from 0400", ro, 64, 0, IPC_NOWAIT);
  int wo = msgget(IPC_PRIVATE, 0200);
  SHOW("send to 0200", snd(wo, 1, "x", 0));
  rcv("receive from 0200", wo, 64, 0, IPC_NOWAIT);
  ERR("IPC_STAT of 0200", msgctl(wo, IPC_STAT, &d));
  msgctl(ro, IPC_RMID, NULL);
  msgctl(wo, IPC_RMID, NULL);
  return 0;
}
