/*
 * Freestanding static-PIE (Debian's riscv64 cross glibc ships no rcrt1.o, so glibc's
 * -static-pie cannot link). Built -nostdlib -fPIE -static-pie: the kernel loads it at a
 * load bias and it relocates itself (R_RISCV_RELATIVE from _DYNAMIC, as glibc's
 * _dl_relocate_static_pie does), then uses raw Linux syscalls. Its pointer table only
 * holds the right addresses if the loader honoured the ET_DYN bias consistently.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#define SYS_write 64
#define SYS_exit_group 94

static long sys3(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c, a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

extern const Elf64_Ehdr __ehdr_start __attribute__((visibility("hidden")));
extern Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));

static const char m1[] = "static-pie: relocated pointer table ok\n";
static const char m2[] = "second string via pointer\n";
/* Absolute addresses in data: each needs an R_RISCV_RELATIVE fixup at run time. */
static const char *table[] = {m1, m2};
static int counter = 5;
static int *pcounter = &counter;
/* volatile index: keeps gcc from folding table[i] into a pc-relative address */
static volatile int zero;

static size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static void puts_(const char *s) { sys3(SYS_write, 1, (long)s, (long)slen(s)); }

static void put_hex(const char *label, unsigned long v) {
  char b[64];
  size_t n = 0;
  for (const char *p = label; *p; p++) b[n++] = *p;
  for (int i = 60; i >= 0; i -= 4) b[n++] = "0123456789abcdef"[(v >> i) & 15];
  b[n++] = '\n';
  sys3(SYS_write, 1, (long)b, (long)n);
}

__attribute__((used)) static void cstart(uintptr_t *sp) {
  uintptr_t base = (uintptr_t)&__ehdr_start; /* pc-relative: the load bias (linked at 0) */
  const Elf64_Rela *rela = 0;
  size_t relasz = 0, relaent = sizeof(Elf64_Rela);
  for (Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
    if (d->d_tag == DT_RELA) rela = (const Elf64_Rela *)(base + d->d_un.d_ptr);
    else if (d->d_tag == DT_RELASZ) relasz = d->d_un.d_val;
    else if (d->d_tag == DT_RELAENT) relaent = d->d_un.d_val;
  }
  size_t nrel = 0, bad = 0;
  for (size_t i = 0; rela && i < relasz / relaent; i++) {
    if (ELF64_R_TYPE(rela[i].r_info) == 3 /* R_RISCV_RELATIVE */) {
      *(uintptr_t *)(base + rela[i].r_offset) = base + rela[i].r_addend;
      nrel++;
    } else bad++;
  }
  long argc = (long)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  while (*envp) envp++;
  Elf64_auxv_t *auxv = (Elf64_auxv_t *)(envp + 1);
  uintptr_t at_phdr = 0, at_entry = 0, at_base = 1;
  for (; auxv->a_type != AT_NULL; auxv++) {
    if (auxv->a_type == AT_PHDR) at_phdr = auxv->a_un.a_val;
    if (auxv->a_type == AT_ENTRY) at_entry = auxv->a_un.a_val;
    if (auxv->a_type == AT_BASE) at_base = auxv->a_un.a_val;
  }
  puts_(table[zero]);
  puts_(table[zero + 1]);
  int *volatile pc = pcounter;
  *pc += 1;
  put_hex("relocations applied: ", nrel);
  put_hex("unexpected relocation types: ", bad);
  put_hex("counter via pointer: ", (unsigned long)counter);
  put_hex("sp % 16: ", (uintptr_t)sp % 16);
  put_hex("bias page aligned: ", (base & 4095) == 0);
  put_hex("bias nonzero: ", base != 0);
  put_hex("AT_PHDR == bias + e_phoff: ", at_phdr == base + __ehdr_start.e_phoff);
  put_hex("AT_ENTRY == bias + e_entry: ", at_entry == base + __ehdr_start.e_entry);
  put_hex("AT_BASE: ", at_base);
  put_hex("argc: ", (unsigned long)argc);
  for (long i = 0; i < argc; i++) { if (i) { puts_(argv[i]); puts_("\n"); } }
  sys3(SYS_exit_group, bad ? 1 : 0, 0, 0);
}

/* Entry: a0 is undefined (rtld_fini for dynamic), sp points at argc. */
__asm__(".text\n.globl _start\n.type _start,@function\n_start:\n"
        "\t.option push\n\t.option norelax\n\tlla gp, __global_pointer$\n\t.option pop\n"
        "\tmv a0, sp\n\tandi sp, sp, -16\n\tcall cstart\n\tunimp\n");
