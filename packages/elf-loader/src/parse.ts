/*
 * ELF64 executable parser for RV64 Linux, modelled on fs/binfmt_elf.c load_elf_binary
 * (Linux 6.x) and the ELF gABI (System V ABI, ch. 4-5) with the RISC-V psABI e_flags.
 * Accepts ET_EXEC and ET_DYN without PT_INTERP (static-PIE); refuses everything else
 * with a one-line ElfError. All addresses are JS numbers: valid ones are < 2^38.
 */
import {
  EF_RISCV_FLOAT_ABI, EF_RISCV_RVC, EF_RISCV_RVE, ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, ELFCLASS32, ELFCLASS64,
  ELFDATA2LSB, ELFDATA2MSB, ELF_ET_DYN_BASE, EM_RISCV, ET_CORE, ET_DYN, ET_EXEC, ET_NONE, ET_REL, EV_CURRENT,
  PAGE_SIZE, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR, PT_TLS, TASK_SIZE_SV39,
} from './constants.ts';
import { ElfError } from './errors.ts';

export interface ElfSegment {
  vaddr: number;
  memsz: number;
  filesz: number;
  offset: number;
  /** p_flags bits PF_R | PF_W | PF_X */
  flags: number;
  readable: boolean;
  writable: boolean;
  executable: boolean;
  align: number;
}

export interface ElfTls {
  vaddr: number;
  memsz: number;
  filesz: number;
  offset: number;
  align: number;
}

export type FloatAbi = 'soft' | 'single' | 'double' | 'quad';

export interface ElfImage {
  /** ET_EXEC or ET_DYN (static-PIE) */
  type: 'exec' | 'dyn';
  /** e_entry as linked (add loadBias for the run-time address) */
  entry: number;
  phoff: number;
  phnum: number;
  phentsize: number;
  /** linked address of the program header table in memory (AT_PHDR - loadBias) */
  phdrVaddr: number;
  /** PT_LOAD segments in file order (ascending vaddr, checked) */
  segments: ElfSegment[];
  tls: ElfTls | null;
  /** PT_PHDR's vaddr if present */
  ptPhdr: number | null;
  /** PT_GNU_STACK present, and its PF_X; riscv's default without it is a non-executable stack */
  hasGnuStack: boolean;
  executableStack: boolean;
  eFlags: number;
  rvc: boolean;
  floatAbi: FloatAbi;
  rve: boolean;
  /** page_down(lowest vaddr) and page_up(highest vaddr+memsz), linked addresses */
  minVaddr: number;
  maxVaddr: number;
  /** 0 for ET_EXEC; for ET_DYN see ParseOptions.dynBase */
  loadBias: number;
  /** length of the file the image was parsed from */
  fileSize: number;
}

export interface ParseOptions {
  /**
   * Largest total image (page-rounded sum of PT_LOAD memsz) accepted: the enclave
   * memory available to the program. Default 1 GiB.
   */
  memoryLimit?: number;
  /**
   * Where an ET_DYN image goes. Linux maps a PIE with interpreter at ELF_ET_DYN_BASE
   * (plus ASLR) and a static-PIE in the mmap area at a random address; we have no ASLR,
   * so both use ELF_ET_DYN_BASE ((TASK_SIZE/3)*2 = 0x2aaaaaaaaa for Sv39), aligned down
   * to the largest PT_LOAD p_align as load_elf_binary does.
   */
  dynBase?: number;
  /** Lowest mappable user address (Linux vm.mmap_min_addr, default 4096). */
  minAddress?: number;
  /** Top of the user address space (TASK_SIZE); default 2^38 (Sv39). */
  taskSize?: number;
}

const MACHINES: Record<number, string> = {
  2: 'SPARC', 3: 'Intel 80386', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 'IBM S/390', 40: 'ARM',
  42: 'SuperH', 43: 'SPARC V9', 50: 'IA-64', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V', 247: 'BPF',
  258: 'LoongArch',
};

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
/** u64 as a number; values >= 2^53 lose precision but are all far beyond every limit checked. */
function u64(b: Uint8Array, o: number): number {
  return u32(b, o + 4) * 0x1_0000_0000 + u32(b, o);
}

const pageDown = (x: number): number => x - (x % PAGE_SIZE);
const pageUp = (x: number): number => pageDown(x + PAGE_SIZE - 1);
const hex = (x: number): string => '0x' + x.toString(16);
function isPow2(x: number): boolean {
  if (!Number.isSafeInteger(x) || x <= 0) return false;
  let p = 1;
  while (p < x) p *= 2;
  return p === x;
}

export function parseElf(bytes: Uint8Array, opts: ParseOptions = {}): ElfImage {
  const memoryLimit = opts.memoryLimit ?? 2 ** 30;
  const taskSize = opts.taskSize ?? TASK_SIZE_SV39;
  const minAddress = opts.minAddress ?? PAGE_SIZE;
  const dynBase = opts.dynBase ?? ELF_ET_DYN_BASE;

  if (bytes.length < 4) throw new ElfError('truncated', `truncated file: ${bytes.length} bytes, no ELF header`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError('not-elf', 'not an ELF file: bad magic');
  }
  if (bytes.length < ELF64_EHDR_SIZE) {
    throw new ElfError('truncated', `truncated file: ${bytes.length} bytes, ELF64 header needs ${ELF64_EHDR_SIZE}`);
  }
  const cls = bytes[4];
  if (cls === ELFCLASS32) throw new ElfError('class', 'wrong ELF class: 32-bit (ELFCLASS32), need 64-bit RISC-V');
  if (cls !== ELFCLASS64) throw new ElfError('class', `wrong ELF class: ${cls}, need ELFCLASS64`);
  const data = bytes[5];
  if (data === ELFDATA2MSB) throw new ElfError('endianness', 'wrong endianness: big-endian ELF, need little-endian');
  if (data !== ELFDATA2LSB) throw new ElfError('endianness', `wrong endianness: EI_DATA=${data}, need little-endian`);
  if (bytes[6] !== EV_CURRENT) throw new ElfError('version', `unsupported ELF version ${bytes[6]}`);

  const eType = u16(bytes, 16);
  const machine = u16(bytes, 18);
  if (machine !== EM_RISCV) {
    const name = MACHINES[machine];
    throw new ElfError('machine', `wrong machine: ${name ? name : `e_machine ${machine}`} executable, need RISC-V`);
  }
  if (u32(bytes, 20) !== EV_CURRENT) throw new ElfError('version', `unsupported ELF version ${u32(bytes, 20)}`);
  if (eType !== ET_EXEC && eType !== ET_DYN) {
    const what = eType === ET_REL ? 'a relocatable object (ET_REL)'
      : eType === ET_CORE ? 'a core dump (ET_CORE)'
      : eType === ET_NONE ? 'of type ET_NONE' : `of type ${eType}`;
    throw new ElfError('type', `not an executable: file is ${what}`);
  }
  const entry = u64(bytes, 24);
  const phoff = u64(bytes, 32);
  const eFlags = u32(bytes, 48);
  const phentsize = u16(bytes, 54);
  const phnum = u16(bytes, 56);

  // load_elf_phdrs: e_phentsize must match, table at most 64 KiB and at most one page (ELF_MIN_ALIGN).
  if (phentsize !== ELF64_PHDR_SIZE) throw new ElfError('phdr', `bad e_phentsize ${phentsize}, expected ${ELF64_PHDR_SIZE}`);
  if (phnum < 1) throw new ElfError('no-load', 'no program headers');
  const phsize = phnum * ELF64_PHDR_SIZE;
  if (phsize > PAGE_SIZE) throw new ElfError('phdr', `too many program headers: ${phnum}`);
  if (phoff > bytes.length || phoff + phsize > bytes.length) {
    throw new ElfError('phdr', `program header table out of file: offset ${hex(phoff)} + ${phsize} > file size ${bytes.length}`);
  }

  const segments: ElfSegment[] = [];
  let tls: ElfTls | null = null;
  let ptPhdr: number | null = null;
  let hasGnuStack = false;
  let executableStack = false;
  let interp = false;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * ELF64_PHDR_SIZE;
    const pType = u32(bytes, o);
    const flags = u32(bytes, o + 4);
    const offset = u64(bytes, o + 8);
    const vaddr = u64(bytes, o + 16);
    const filesz = u64(bytes, o + 32);
    const memsz = u64(bytes, o + 40);
    const align = u64(bytes, o + 48);
    if (pType === PT_INTERP) interp = true;
    else if (pType === PT_PHDR) ptPhdr = vaddr;
    else if (pType === PT_GNU_STACK) {
      hasGnuStack = true;
      executableStack = (flags & PF_X) !== 0;
    } else if (pType === PT_TLS) {
      if (filesz > memsz) throw new ElfError('filesz', `PT_TLS filesz ${hex(filesz)} > memsz ${hex(memsz)}`);
      if (offset + filesz > bytes.length) throw new ElfError('segment-range', `PT_TLS file range out of file`);
      tls = { vaddr, memsz, filesz, offset, align };
    } else if (pType === PT_LOAD) {
      const n = segments.length;
      if (filesz > memsz) throw new ElfError('filesz', `PT_LOAD #${n}: filesz ${hex(filesz)} > memsz ${hex(memsz)}`);
      if (offset > bytes.length || offset + filesz > bytes.length) {
        throw new ElfError('segment-range', `PT_LOAD #${n}: file range ${hex(offset)}+${hex(filesz)} out of file (size ${hex(bytes.length)})`);
      }
      if (memsz > memoryLimit) {
        throw new ElfError('too-large', `PT_LOAD #${n}: memsz ${hex(memsz)} exceeds the memory limit ${hex(memoryLimit)}`);
      }
      if (vaddr >= taskSize || vaddr + memsz > taskSize) {
        throw new ElfError('address', `PT_LOAD #${n}: ${hex(vaddr)}+${hex(memsz)} is outside the user address space (below ${hex(taskSize)})`);
      }
      if (align > 1 && !isPow2(align)) throw new ElfError('align', `PT_LOAD #${n}: p_align ${hex(align)} is not a power of two`);
      // gABI: p_vaddr ≡ p_offset (mod p_align); mmap needs it at least modulo the page size.
      const m = Math.max(align > 1 ? align : 1, PAGE_SIZE);
      if (offset % m !== vaddr % m) {
        throw new ElfError('align', `PT_LOAD #${n}: offset ${hex(offset)} and vaddr ${hex(vaddr)} not congruent modulo ${hex(m)}`);
      }
      segments.push({
        vaddr, memsz, filesz, offset, flags, align,
        readable: (flags & PF_R) !== 0, writable: (flags & PF_W) !== 0, executable: (flags & PF_X) !== 0,
      });
    }
  }
  if (interp) throw new ElfError('dynamic', 'dynamic executables are not supported yet (PT_INTERP present)');
  if (segments.length === 0) throw new ElfError('no-load', 'no PT_LOAD segment');

  // gABI: loadable segments appear in ascending p_vaddr order; byte ranges must not overlap.
  let total = 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (i > 0) {
      const p = segments[i - 1]!;
      if (s.vaddr < p.vaddr + p.memsz) {
        throw new ElfError('overlap', `PT_LOAD #${i} at ${hex(s.vaddr)} overlaps or precedes PT_LOAD #${i - 1} (${hex(p.vaddr)}+${hex(p.memsz)})`);
      }
    }
    total += pageUp(s.vaddr + s.memsz) - pageDown(s.vaddr);
  }
  if (total > memoryLimit) throw new ElfError('too-large', `image needs ${hex(total)} bytes, more than the memory limit ${hex(memoryLimit)}`);

  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const minVaddr = pageDown(first.vaddr);
  const maxVaddr = pageUp(last.vaddr + last.memsz);

  let loadBias = 0;
  if (eType === ET_DYN) {
    // load_elf_binary: load_bias = ELF_ET_DYN_BASE aligned to maximum_alignment(), then
    // ELF_PAGESTART(load_bias - first vaddr).
    let base = dynBase;
    const maxAlign = segments.reduce((a, s) => (s.align > a && isPow2(s.align) ? s.align : a), PAGE_SIZE);
    base -= base % maxAlign;
    loadBias = pageDown(base - minVaddr);
    if (loadBias < 0) loadBias = 0;
  }
  if (minVaddr + loadBias < minAddress) {
    throw new ElfError('address', `PT_LOAD #0 at ${hex(first.vaddr + loadBias)} is below the lowest mappable address ${hex(minAddress)}`);
  }
  if (maxVaddr + loadBias > taskSize) {
    throw new ElfError('address', `image end ${hex(maxVaddr + loadBias)} is outside the user address space (below ${hex(taskSize)})`);
  }

  // AT_PHDR: PT_PHDR if present, else the PT_LOAD whose file range holds e_phoff (Linux 6.x).
  let phdrVaddr: number | null = ptPhdr;
  if (phdrVaddr === null) {
    for (const s of segments) {
      if (s.offset <= phoff && phoff < s.offset + s.filesz) {
        phdrVaddr = phoff - s.offset + s.vaddr;
        break;
      }
    }
  }
  if (phdrVaddr === null) phdrVaddr = 0; // Linux passes 0 then; libc copes (glibc reads phdrs only through AT_PHDR)

  const entryOk = segments.some((s) => s.executable && entry >= s.vaddr && entry < s.vaddr + s.memsz);
  if (!entryOk) throw new ElfError('entry', `entry point ${hex(entry)} is not inside an executable PT_LOAD segment`);

  const abi = eFlags & EF_RISCV_FLOAT_ABI;
  const floatAbi: FloatAbi = abi === 0 ? 'soft' : abi === 2 ? 'single' : abi === 4 ? 'double' : 'quad';
  return {
    type: eType === ET_EXEC ? 'exec' : 'dyn',
    entry, phoff, phnum, phentsize, phdrVaddr, segments, tls, ptPhdr, hasGnuStack, executableStack, eFlags,
    rvc: (eFlags & EF_RISCV_RVC) !== 0, floatAbi, rve: (eFlags & EF_RISCV_RVE) !== 0,
    minVaddr, maxVaddr, loadBias, fileSize: bytes.length,
  };
}
