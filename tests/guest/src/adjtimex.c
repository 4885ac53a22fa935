/* adjtimex and clock_adjtime through raw system calls (glibc's adjtimex is clock_adjtime), as
   uid 1000: what any Linux answers whatever its NTP state. Reading (modes 0, ADJ_OFFSET_SS_READ,
   also with other bits beside ADJ_ADJTIME) is allowed; every change EPERM; ADJ_ADJTIME without
   ADJ_OFFSET EINVAL; the struct copied back whole (holes and the unnamed tail kept); EFAULT for
   a NULL, unmapped, short or read-only struct; clock_adjtime's clocks (EOPNOTSUPP, EINVAL).
   The NTP values themselves are the host's under qemu, so only their relations are printed;
   `adjtimex unsynced` prints them raw: tests/linux-ref.test.ts compares the enclave's with native
   Linux 6.18 on an unsynchronised host (linux/adjtimex-unsynced.stdout). */
#include "pm.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>

static long adjtimex_raw(struct timex *t) { return syscall(SYS_adjtimex, t); }
static long clock_adjtime_raw(long clk, struct timex *t) { return syscall(SYS_clock_adjtime, clk, t); }

static void fill(struct timex *t, unsigned modes) {
  memset(t, 0x5a, sizeof *t);
  t->modes = modes;
}

/* The bytes no field names (after modes, status and shift, and the tail after tai) still 0x5a. */
static int holes_kept(const struct timex *t) {
  const unsigned char *p = (const unsigned char *)t;
  static const struct { size_t at, n; } holes[] = { { 4, 4 }, { 44, 4 }, { 116, 4 }, { 164, 44 } };
  for (size_t h = 0; h < sizeof holes / sizeof holes[0]; h++)
    for (size_t i = 0; i < holes[h].n; i++)
      if (p[holes[h].at + i] != 0x5a) return 0;
  return 1;
}

static void read_facts(const char *label, long r, const struct timex *t) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int error_state = (t->status & (STA_UNSYNC | STA_CLOCKERR)) != 0;
  long usec_max = (t->status & STA_NANO) ? 999999999L : 999999L;
  printf("%s: state in 0..5 %d, TIME_ERROR iff unsynchronised %d, precision %ld, tolerance %ld, tick %ld, "
         "maxerror <= 16000000 %d, esterror <= 16000000 %d, time within 2 s %d, usec in range %d, holes kept %d\n",
         label, r >= 0 && r <= 5, (r == TIME_ERROR) == error_state, t->precision, t->tolerance, t->tick,
         t->maxerror >= 0 && t->maxerror <= 16000000, t->esterror >= 0 && t->esterror <= 16000000,
         t->time.tv_sec >= now.tv_sec - 2 && t->time.tv_sec <= now.tv_sec, t->time.tv_usec >= 0 && t->time.tv_usec <= usec_max,
         holes_kept(t));
}

static void unsynced(void) {
  struct timex t;
  fill(&t, 0);
  long r = adjtimex_raw(&t);
  printf("adjtimex: %ld offset %ld freq %ld maxerror %ld esterror %ld status 0x%x constant %ld precision %ld tolerance %ld "
         "tick %ld ppsfreq %ld jitter %ld shift %d stabil %ld jitcnt %ld calcnt %ld errcnt %ld stbcnt %ld tai %d\n",
         r, t.offset, t.freq, t.maxerror, t.esterror, t.status, t.constant, t.precision, t.tolerance, t.tick,
         t.ppsfreq, t.jitter, t.shift, t.stabil, t.jitcnt, t.calcnt, t.errcnt, t.stbcnt, t.tai);
  fill(&t, ADJ_OFFSET_SS_READ);
  r = adjtimex_raw(&t);
  printf("ADJ_OFFSET_SS_READ: %ld offset %ld\n", r, t.offset);
}

int main(int argc, char **argv) {
  pm_drop_root();
  if (argc > 1 && strcmp(argv[1], "unsynced") == 0) {
    unsynced();
    return 0;
  }
  printf("sizeof(struct timex) %zu\n", sizeof(struct timex));
  struct timex t;
  long r;

  fill(&t, 0);
  r = adjtimex_raw(&t);
  read_facts("adjtimex(0)", r, &t);
  long state = r;
  fill(&t, 0);
  r = clock_adjtime_raw(CLOCK_REALTIME, &t);
  read_facts("clock_adjtime(CLOCK_REALTIME, 0)", r, &t);
  printf("same state: %d\n", r == state);

  fill(&t, ADJ_OFFSET_SS_READ);
  r = adjtimex_raw(&t);
  printf("ADJ_OFFSET_SS_READ: same state %d, holes kept %d\n", r == state, holes_kept(&t));
  /* Beside ADJ_ADJTIME, other bits are not looked at (but ADJ_SETOFFSET is a change). */
  fill(&t, ADJ_OFFSET_SS_READ | ADJ_STATUS | ADJ_TICK);
  r = adjtimex_raw(&t);
  printf("ADJ_OFFSET_SS_READ|ADJ_STATUS|ADJ_TICK: same state %d\n", r == state);
  fill(&t, ADJ_OFFSET_SS_READ | ADJ_SETOFFSET);
  ERR("ADJ_OFFSET_SS_READ|ADJ_SETOFFSET", adjtimex_raw(&t));

  static const struct { const char *name; unsigned modes; } changes[] = {
    { "ADJ_OFFSET", ADJ_OFFSET }, { "ADJ_FREQUENCY", ADJ_FREQUENCY }, { "ADJ_MAXERROR", ADJ_MAXERROR },
    { "ADJ_ESTERROR", ADJ_ESTERROR }, { "ADJ_STATUS", ADJ_STATUS }, { "ADJ_TIMECONST", ADJ_TIMECONST },
    { "ADJ_TAI", ADJ_TAI }, { "ADJ_SETOFFSET", ADJ_SETOFFSET }, { "ADJ_MICRO", ADJ_MICRO }, { "ADJ_NANO", ADJ_NANO },
    { "ADJ_TICK", ADJ_TICK }, { "ADJ_OFFSET_SINGLESHOT", ADJ_OFFSET_SINGLESHOT }, { "unused bit 0x40", 0x40 },
    { "bit 0x10000", 0x10000 }, { "ADJ_ADJTIME alone", 0x8000 }, { "ADJ_ADJTIME|ADJ_STATUS", 0x8010 },
    { "ADJ_ADJTIME|ADJ_OFFSET_READONLY", 0xa000 },
  };
  for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
    fill(&t, changes[i].modes);
    t.tick = 10000;
    t.time.tv_sec = 0;
    t.time.tv_usec = 0;
    struct timex before = t;
    errno = 0;
    r = adjtimex_raw(&t);
    printf("adjtimex(%s): %ld %s, unchanged %d\n", changes[i].name, r, r == -1 ? strerrorname_np(errno) : "ok",
           memcmp(&before, &t, sizeof t) == 0);
    fill(&t, changes[i].modes);
    t.tick = 10000;
    ERR("  clock_adjtime(CLOCK_REALTIME)", clock_adjtime_raw(CLOCK_REALTIME, &t));
  }

  /* Bad pointers. */
  ERR("adjtimex(NULL)", adjtimex_raw(NULL));
  ERR("clock_adjtime(CLOCK_REALTIME, NULL)", clock_adjtime_raw(CLOCK_REALTIME, NULL));
  ERR("clock_adjtime(CLOCK_MONOTONIC, NULL)", clock_adjtime_raw(CLOCK_MONOTONIC, NULL));
  ERR("clock_adjtime(10, NULL)", clock_adjtime_raw(10, NULL));
  long pg = sysconf(_SC_PAGESIZE);
  unsigned char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + pg, pg);
  struct timex *tail = (struct timex *)(m + pg - sizeof(struct timex) + 8); /* its last 8 bytes unmapped */
  memset(tail, 0, sizeof(struct timex) - 8);
  ERR("adjtimex(struct crossing into an unmapped page)", adjtimex_raw(tail));
  ERR("adjtimex(unmapped)", adjtimex_raw((struct timex *)(m + pg)));
  struct timex *ro = (struct timex *)m;
  memset(ro, 0, sizeof *ro);
  mprotect(m, pg, PROT_READ);
  ERR("adjtimex(read-only struct)", adjtimex_raw(ro));
  ERR("clock_adjtime(CLOCK_REALTIME, read-only struct)", clock_adjtime_raw(CLOCK_REALTIME, ro));
  ERR("clock_adjtime(CLOCK_MONOTONIC, read-only struct)", clock_adjtime_raw(CLOCK_MONOTONIC, ro));

  /* Clocks. */
  static const struct { const char *name; long id; } clocks[] = {
    { "CLOCK_MONOTONIC", CLOCK_MONOTONIC }, { "CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID },
    { "CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID }, { "CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW },
    { "CLOCK_REALTIME_COARSE", CLOCK_REALTIME_COARSE }, { "CLOCK_MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE },
    { "CLOCK_BOOTTIME", CLOCK_BOOTTIME }, { "CLOCK_REALTIME_ALARM", CLOCK_REALTIME_ALARM },
    { "CLOCK_BOOTTIME_ALARM", CLOCK_BOOTTIME_ALARM }, { "10 (none)", 10 }, { "CLOCK_TAI", CLOCK_TAI },
    { "12 (none)", 12 }, { "15 (none)", 15 }, { "100", 100 }, { "-1 (a CPU clock id)", -1 },
    { "process CPU clock of pid 0", -6 }, { "clock fd 0", ((~0L) << 3) | 3 }, { "clock fd 999", ((~999L) << 3) | 3 },
  };
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    char label[96];
    fill(&t, 0);
    snprintf(label, sizeof label, "clock_adjtime(%s, 0)", clocks[i].name);
    ERR(label, clock_adjtime_raw(clocks[i].id, &t));
    fill(&t, ADJ_OFFSET);
    snprintf(label, sizeof label, "clock_adjtime(%s, ADJ_OFFSET)", clocks[i].name);
    ERR(label, clock_adjtime_raw(clocks[i].id, &t));
  }
  return 0;
}
