/*
 * The initial process stack as Linux's fs/binfmt_elf.c create_elf_tables builds it:
 * argc/argv/envp/auxv, printed as facts that qemu-riscv64 and TEE OS must agree on
 * (no raw addresses, no random bytes, no host-specific ids). See tests/guest/README.md.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];

static const char *yesno(int c) { return c ? "yes" : "no"; }

static const char *base(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int main(int argc, char **argv, char **envp) {
  printf("argc=%d\n", argc);
  printf("argv[0] basename=%s\n", base(argv[0]));
  for (int i = 1; i < argc; i++) printf("argv[%d]=\"%s\"\n", i, argv[i]);
  printf("argv[argc]==NULL: %s\n", yesno(argv[argc] == NULL));
  /* Linux: argv pointers start at sp+8 and sp is 16-byte aligned. */
  printf("argv%%16==8: %s\n", yesno(((uintptr_t)argv & 15) == 8));
  printf("envp==argv+argc+1: %s\n", yesno(envp == argv + argc + 1));
  int envc = 0;
  while (envp[envc]) envc++;
  printf("envc=%d\n", envc);
  /* Printed sorted: qemu-user hands the guest its environment in reverse order (its
     envlist prepends), while Linux's execve keeps the caller's order. Sorting keeps the
     output comparable; the elf-loader tests check that TEE OS keeps Linux's order. */
  const char *sorted[256];
  int ns = envc < 256 ? envc : 256;
  for (int i = 0; i < ns; i++) sorted[i] = envp[i];
  qsort(sorted, ns, sizeof sorted[0], cmpstr);
  for (int i = 0; i < ns; i++) printf("env(sorted)[%d]=\"%s\"\n", i, sorted[i]);
  /* argv/envp strings are packed back to back, argv first (copy_strings). */
  int packed = 1;
  for (int i = 0; i + 1 < argc; i++)
    if (argv[i + 1] != argv[i] + strlen(argv[i]) + 1) packed = 0;
  if (argc > 0 && envc > 0 && envp[0] != argv[argc - 1] + strlen(argv[argc - 1]) + 1) packed = 0;
  for (int i = 0; i + 1 < envc; i++)
    if (envp[i + 1] != envp[i] + strlen(envp[i]) + 1) packed = 0;
  printf("strings packed: %s\n", yesno(packed));

  Elf64_auxv_t *auxv = (Elf64_auxv_t *)(envp + envc + 1);
  unsigned long v[64] = {0};
  int seen[64] = {0};
  int n = 0;
  for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++, n++)
    if (a->a_type < 64) { v[a->a_type] = a->a_un.a_val; seen[a->a_type] = 1; }
  printf("auxv entries>=15: %s\n", yesno(n >= 15));
  printf("getauxval agrees: %s\n", yesno(getauxval(AT_PAGESZ) == v[AT_PAGESZ] && getauxval(AT_ENTRY) == v[AT_ENTRY]));
  printf("AT_PAGESZ=%lu\n", v[AT_PAGESZ]);
  printf("AT_PHENT=%lu\n", v[AT_PHENT]);
  printf("AT_PHNUM=%lu\n", v[AT_PHNUM]);
  printf("AT_ENTRY==_start: %s\n", yesno(v[AT_ENTRY] == (uintptr_t)_start));
  const Elf64_Phdr *ph = (const Elf64_Phdr *)v[AT_PHDR];
  int loads = 0, selfphdr = 0, entry_in_x = 0;
  for (unsigned long i = 0; ph && i < v[AT_PHNUM]; i++) {
    if (ph[i].p_type == PT_LOAD) {
      loads++;
      if ((ph[i].p_flags & PF_X) && v[AT_ENTRY] >= ph[i].p_vaddr && v[AT_ENTRY] < ph[i].p_vaddr + ph[i].p_memsz)
        entry_in_x = 1;
    }
    if (ph[i].p_type == PT_PHDR && ph[i].p_vaddr == v[AT_PHDR]) selfphdr = 1;
  }
  printf("AT_PHDR: PT_LOAD count=%d, entry in PF_X load: %s, PT_PHDR self: %s\n", loads, yesno(entry_in_x), yesno(selfphdr));
  printf("AT_BASE=%lu\n", v[AT_BASE]);
  printf("AT_FLAGS=%lu\n", v[AT_FLAGS]);
  printf("AT_UID==getuid(): %s\n", yesno(seen[AT_UID] && v[AT_UID] == getuid()));
  printf("AT_EUID==geteuid(): %s\n", yesno(seen[AT_EUID] && v[AT_EUID] == geteuid()));
  printf("AT_GID==getgid(): %s\n", yesno(seen[AT_GID] && v[AT_GID] == getgid()));
  printf("AT_EGID==getegid(): %s\n", yesno(seen[AT_EGID] && v[AT_EGID] == getegid()));
  printf("AT_SECURE=%lu\n", v[AT_SECURE]);
  printf("AT_RANDOM non-null: %s\n", yesno(v[AT_RANDOM] != 0));
  /* Linux puts the 16 random bytes just below the argv strings; they are in the stack. */
  printf("AT_RANDOM above auxv: %s\n", yesno(v[AT_RANDOM] > (uintptr_t)auxv));
  printf("AT_HWCAP=%#lx\n", v[AT_HWCAP]);
  printf("AT_CLKTCK=%lu\n", v[AT_CLKTCK]);
  printf("AT_EXECFN==argv[0]: %s\n", yesno(seen[AT_EXECFN] && strcmp((const char *)v[AT_EXECFN], argv[0]) == 0));
  /* qemu-user 7.2 omits AT_MINSIGSTKSZ; Linux >= 6.5 gives the rt_sigframe size. */
  printf("AT_MINSIGSTKSZ absent or sane: %s\n",
         yesno(!seen[AT_MINSIGSTKSZ] || (v[AT_MINSIGSTKSZ] >= 512 && v[AT_MINSIGSTKSZ] <= 16384)));
  printf("AT_PLATFORM absent: %s\n", yesno(!seen[AT_PLATFORM]));
  return 0;
}
