/* Every rt_sig* syscall's argument rules: rt_sigaction (EINVAL for 0/65/SIGKILL/SIGSTOP and a
   bad sigsetsize, EFAULT), rt_sigprocmask (bad how, SIGKILL/SIGSTOP never blocked),
   rt_sigpending, rt_sigsuspend, rt_sigtimedwait (EAGAIN, EINVAL, taking a pending signal
   with its siginfo), rt_sigqueueinfo/rt_tgsigqueueinfo (EPERM for kernel codes, ESRCH). */
#include "pm.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static volatile int got, got_code, got_val;
static void on_sig(int s, siginfo_t *si, void *uc) { (void)uc; got = s; got_code = si->si_code; got_val = si->si_value.sival_int; }

int main(void) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO;
  ERR("sigaction 0", syscall(SYS_rt_sigaction, 0, &sa, NULL, 8));
  ERR("sigaction 65", syscall(SYS_rt_sigaction, 65, &sa, NULL, 8));
  ERR("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
  ERR("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL));
  ERR("query SIGKILL", sigaction(SIGKILL, NULL, &old));
  ERR("sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR1, &sa, NULL, 4));
  ERR("act EFAULT", syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8));
  ERR("oldact EFAULT", syscall(SYS_rt_sigaction, SIGUSR1, NULL, (void *)8, 8));
  ERR("sigaction 64 ok", syscall(SYS_rt_sigaction, 64, NULL, &old, 8));
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGRTMIN + 1, &sa, NULL);
  sigaction(SIGUSR1, NULL, &old);
  printf("handler kept: %d flags_siginfo=%d\n", old.sa_sigaction == on_sig, (old.sa_flags & SA_SIGINFO) != 0);

  sigset_t set, cur;
  sigemptyset(&set);
  ERR("procmask bad how", syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8));
  ERR("procmask size 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
  ERR("procmask EFAULT", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8));
  sigfillset(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("block all: KILL=%d STOP=%d USR1=%d RT5=%d\n", sigismember(&cur, SIGKILL), sigismember(&cur, SIGSTOP), sigismember(&cur, SIGUSR1), sigismember(&cur, SIGRTMIN + 5));
  raise(SIGUSR1);
  sigpending(&cur);
  printf("pending USR1=%d USR2=%d got=%d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2), got);
  ERR("sigpending size 16", syscall(SYS_rt_sigpending, &cur, 16));
  ERR("sigpending EFAULT", syscall(SYS_rt_sigpending, (void *)8, 8));
  /* sigtimedwait takes it with its siginfo */
  siginfo_t si;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  struct timespec zero = {0, 0};
  int s = sigtimedwait(&set, &si, &zero);
  printf("sigtimedwait: sig=%d code_tkill=%d got=%d\n", s, si.si_code == SI_TKILL, got);
  ERR("sigtimedwait nothing", sigtimedwait(&set, &si, &zero));
  struct timespec badts = {0, 2000000000};
  ERR("sigtimedwait bad ts", sigtimedwait(&set, &si, &badts));
  ERR("sigtimedwait size", syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 4));
  /* queued rt signals with values */
  union sigval v = {.sival_int = 11};
  sigqueue(getpid(), SIGRTMIN + 1, v);
  v.sival_int = 22;
  sigqueue(getpid(), SIGRTMIN + 1, v);
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + 1);
  s = sigtimedwait(&set, &si, &zero);
  printf("rt 1: code_queue=%d value=%d\n", si.si_code == SI_QUEUE, si.si_value.sival_int);
  s = sigtimedwait(&set, &si, &zero);
  printf("rt 2: value=%d\n", si.si_value.sival_int);
  siginfo_t q;
  memset(&q, 0, sizeof q);
  q.si_code = SI_QUEUE;
  q.si_value.sival_int = 33;
  ERR("sigqueueinfo self", syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 1, &q));
  ERR("tgsigqueueinfo self", syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGRTMIN + 1, &q));
  ERR("sigqueueinfo sig 0", syscall(SYS_rt_sigqueueinfo, getpid(), 0, &q));
  ERR("sigqueueinfo EFAULT", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, (void *)8));
  q.si_code = SI_USER;
  pid_t child = fork();
  if (child == 0) { pause(); _exit(0); }
  ERR("sigqueueinfo SI_USER to other", syscall(SYS_rt_sigqueueinfo, child, SIGUSR2, &q));
  q.si_code = SI_QUEUE;
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  ERR("sigqueueinfo ESRCH", syscall(SYS_rt_sigqueueinfo, child, SIGUSR2, &q));
  /* unblock: the two queued by rt_sigqueueinfo/rt_tgsigqueueinfo are delivered */
  got = 0;
  sigprocmask(SIG_SETMASK, &(sigset_t){0}, NULL);
  printf("delivered after unblock: sig_is_rt1=%d code_queue=%d value=%d\n", got == SIGRTMIN + 1, got_code == SI_QUEUE, got_val);
  /* sigsuspend */
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR1);
  got = 0;
  sigset_t none;
  sigemptyset(&none);
  int r = sigsuspend(&none);
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("sigsuspend: ret=%d %s got=%d mask_restored=%d\n", r, strerrorname_np(errno), got, sigismember(&cur, SIGUSR1));
  ERR("sigsuspend size", syscall(SYS_rt_sigsuspend, &none, 4));
  ERR("sigsuspend EFAULT", syscall(SYS_rt_sigsuspend, (void *)8, 8));
  return 0;
}
