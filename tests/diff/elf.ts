// Wraps many generated sequences into one static riscv64 ELF that qemu-riscv64 and our hart
// both run. For each sequence: a prologue loading the initial state from its table (scratch
// buffer, fcsr, f0-f31, x1-x31), the sequence, and an epilogue storing x1-x31, f0-f31, fcsr and a
// checksum of the scratch buffer into the sequence's output record, then a "marker" ecall
// (an unknown syscall number, -ENOSYS under Linux) that lets the bare runner follow progress.
// At the end: write(1, out, len) (looping on short writes) and exit_group(0).

import * as E from './enc.ts';
import type { Insn } from './enc.ts';
import { SCRATCH_SIZE, SP_OFF, X9_OFF, S11_OFF, type Sequence } from './gen.ts';

export const TEXT_VADDR = 0x10000;
export const CODE_OFF = 0x1000; // code starts at TEXT_VADDR + CODE_OFF
export const REC_SLOTS = 65; // 0: scratch checksum, 1..31: x (27 unused), 32..63: f, 64: fcsr
export const REC_SIZE = REC_SLOTS * 8;
export const MARKER_SYSCALL = 2047;
const TABLE_SIZE = SCRATCH_SIZE + 8 + 256 + 256;
const CHECKSUM_K = 0x9e3779b1 | 0;

export interface ElfImage {
  bytes: Uint8Array;
  entry: number;
  loadBase: number; // lowest vaddr
  loadEnd: number; // highest vaddr + 1 (incl. bss)
  seqStart: number[]; // address of each sequence's prologue
  bodyStart: number[]; // address of each sequence's first instruction
  exitStub: number; // address of the final write/exit code
  outAddr: number;
  nSeq: number;
}

export function buildElf(seqs: Sequence[]): ElfImage {
  // ---- pass 1: sizes, to place data ----
  const n = seqs.length;
  let codeSize = 0;
  for (let i = 0; i < n; i++) codeSize += size(prologue(0x100000, 0x100000)) + seqs[i].bytes.length + size(epilogue(0x100000, 0x100000, i));
  codeSize += size(exitStub(0x100000, 0x1000));
  const textEnd = TEXT_VADDR + CODE_OFF + codeSize;
  const dataVaddr = alignUp(textEnd, 0x1000);
  const tabAddr = dataVaddr;
  // the scratch buffer straddles a page boundary, at s11 (accesses near s11 cross it)
  const scratchAddr = alignUp(tabAddr + n * TABLE_SIZE, 0x1000) + 0x1000 - S11_OFF;
  const outAddr = alignUp(scratchAddr + SCRATCH_SIZE, 0x1000);
  const outLen = n * REC_SIZE;
  const loadEnd = outAddr + outLen;

  // ---- pass 2: code ----
  const seqStart: number[] = [];
  const bodyStart: number[] = [];
  let pc = TEXT_VADDR + CODE_OFF;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    seqStart.push(pc);
    const pro = E.bytesOf(prologue(tabAddr + i * TABLE_SIZE, scratchAddr));
    chunks.push(pro); pc += pro.length;
    bodyStart.push(pc);
    chunks.push(seqs[i].bytes); pc += seqs[i].bytes.length;
    const epi = E.bytesOf(epilogue(outAddr + i * REC_SIZE, scratchAddr, i));
    chunks.push(epi); pc += epi.length;
  }
  const exitAddr = pc;
  const ex = E.bytesOf(exitStub(outAddr, outLen));
  chunks.push(ex); pc += ex.length;
  if (pc !== textEnd) throw new Error('layout mismatch');

  // ---- data: tables ----
  const data = new Uint8Array(n * TABLE_SIZE);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < n; i++) {
    const b = i * TABLE_SIZE;
    const st = seqs[i].init;
    data.set(st.scratch, b);
    dv.setBigUint64(b + SCRATCH_SIZE, BigInt(st.fcsr), true);
    for (let r = 0; r < 32; r++) dv.setBigUint64(b + SCRATCH_SIZE + 8 + 8 * r, st.f[r], true);
    for (let r = 0; r < 32; r++) dv.setBigUint64(b + SCRATCH_SIZE + 264 + 8 * r, st.x[r], true);
  }

  // ---- ELF file ----
  const textFileOff = 0;
  const textFileSize = textEnd - TEXT_VADDR;
  const dataFileOff = alignUp(textFileSize, 0x1000);
  const shstr = '\0.text\0.data\0.bss\0.shstrtab\0';
  const shstrOff = dataFileOff + data.length;
  const shOff = alignUp(shstrOff + shstr.length, 8);
  const nsh = 5;
  const file = new Uint8Array(shOff + nsh * 64);
  const fv = new DataView(file.buffer);
  // ELF header
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  fv.setUint16(16, 2, true); // ET_EXEC
  fv.setUint16(18, 243, true); // EM_RISCV
  fv.setUint32(20, 1, true);
  fv.setBigUint64(24, BigInt(TEXT_VADDR + CODE_OFF), true); // entry
  fv.setBigUint64(32, 64n, true); // phoff
  fv.setBigUint64(40, BigInt(shOff), true);
  fv.setUint32(48, 0x5, true); // EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE
  fv.setUint16(52, 64, true);
  fv.setUint16(54, 56, true);
  fv.setUint16(56, 2, true);
  fv.setUint16(58, 64, true);
  fv.setUint16(60, nsh, true);
  fv.setUint16(62, 4, true); // shstrndx
  const ph = (o: number, flags: number, off: number, va: number, filesz: number, memsz: number): void => {
    fv.setUint32(o, 1, true); // PT_LOAD
    fv.setUint32(o + 4, flags, true);
    fv.setBigUint64(o + 8, BigInt(off), true);
    fv.setBigUint64(o + 16, BigInt(va), true);
    fv.setBigUint64(o + 24, BigInt(va), true);
    fv.setBigUint64(o + 32, BigInt(filesz), true);
    fv.setBigUint64(o + 40, BigInt(memsz), true);
    fv.setBigUint64(o + 48, 0x1000n, true);
  };
  ph(64, 5, textFileOff, TEXT_VADDR, textFileSize, textFileSize); // R X
  ph(120, 6, dataFileOff, dataVaddr, data.length, loadEnd - dataVaddr); // R W
  let p = CODE_OFF;
  for (const c of chunks) { file.set(c, p); p += c.length; }
  file.set(data, dataFileOff);
  for (let i = 0; i < shstr.length; i++) file[shstrOff + i] = shstr.charCodeAt(i);
  const sh = (idx: number, name: number, type: number, flags: number, addr: number, off: number, sz: number, align: number): void => {
    const o = shOff + idx * 64;
    fv.setUint32(o, name, true);
    fv.setUint32(o + 4, type, true);
    fv.setBigUint64(o + 8, BigInt(flags), true);
    fv.setBigUint64(o + 16, BigInt(addr), true);
    fv.setBigUint64(o + 24, BigInt(off), true);
    fv.setBigUint64(o + 32, BigInt(sz), true);
    fv.setBigUint64(o + 48, BigInt(align), true);
  };
  sh(1, 1, 1, 6, TEXT_VADDR + CODE_OFF, CODE_OFF, codeSize, 4); // .text PROGBITS AX
  sh(2, 7, 1, 3, dataVaddr, dataFileOff, data.length, 8); // .data PROGBITS WA
  sh(3, 13, 8, 3, scratchAddr, dataFileOff + data.length, loadEnd - scratchAddr, 16); // .bss NOBITS WA
  sh(4, 18, 3, 0, 0, shstrOff, shstr.length, 1); // .shstrtab
  return {
    bytes: file, entry: TEXT_VADDR + CODE_OFF, loadBase: TEXT_VADDR, loadEnd, seqStart, bodyStart,
    exitStub: exitAddr, outAddr, nSeq: n,
  };
}

function alignUp(v: number, a: number): number { return Math.ceil(v / a) * a; }
function size(is: Insn[]): number { let s = 0; for (const i of is) s += i.size; return s; }

function prologue(tab: number, scratch: number): Insn[] {
  const c: Insn[] = [];
  c.push(...E.la(1, tab), ...E.la(2, scratch), E.opImm('addi', 3, 2, SCRATCH_SIZE));
  c.push(E.load('ld', 4, 1, 0), E.store('sd', 4, 2, 0), E.opImm('addi', 1, 1, 8), E.opImm('addi', 2, 2, 8), E.branch('bne', 2, 3, -16));
  c.push(E.load('ld', 4, 1, 0), E.csr('csrrw', 0, 3, 4));
  for (let i = 0; i < 32; i++) c.push(E.fload('fld', i, 1, 8 + 8 * i));
  for (let r = 3; r < 32; r++) if (r !== 9 && r !== 27) c.push(E.load('ld', r, 1, 264 + 8 * r));
  c.push(...E.la(2, scratch + SP_OFF), ...E.la(9, scratch + X9_OFF), ...E.la(27, scratch + S11_OFF));
  c.push(E.load('ld', 1, 1, 264 + 8));
  return c;
}

function epilogue(out: number, scratch: number, index: number): Insn[] {
  const c: Insn[] = [];
  c.push(...E.la(27, out));
  for (let r = 1; r < 32; r++) if (r !== 27) c.push(E.store('sd', r, 27, 8 * r));
  for (let i = 0; i < 32; i++) c.push(E.fstore('fsd', i, 27, 256 + 8 * i));
  c.push(E.csr('csrrs', 1, 3, 0), E.store('sd', 1, 27, 512));
  c.push(...E.la(1, scratch), E.opImm('addi', 2, 1, SCRATCH_SIZE), ...E.li32(3, CHECKSUM_K), E.opImm('addi', 4, 0, 0));
  c.push(E.load('ld', 5, 1, 0), E.opReg('xor', 4, 4, 5), E.opReg('mul', 4, 4, 3), E.opImm('addi', 1, 1, 8), E.branch('bne', 1, 2, -16));
  c.push(E.store('sd', 4, 27, 0));
  c.push(E.opImm('addi', 17, 0, MARKER_SYSCALL), ...E.la(10, index), E.ecall());
  return c;
}

function exitStub(out: number, len: number): Insn[] {
  const c: Insn[] = [];
  c.push(...E.la(11, out), ...E.la(12, len));
  // loop: write(1, a1, a2); if (a0 <= 0) exit(1); a1 += a0; a2 -= a0; if (a2) loop
  c.push(E.opImm('addi', 17, 0, 64), E.opImm('addi', 10, 0, 1), E.ecall()); // 12 bytes
  c.push(E.branch('bge', 0, 10, 28)); // -> fail
  c.push(E.opReg('add', 11, 11, 10), E.opReg('sub', 12, 12, 10), E.branch('bne', 12, 0, -24));
  c.push(E.opImm('addi', 17, 0, 94), E.opImm('addi', 10, 0, 0), E.ecall());
  c.push(E.opImm('addi', 17, 0, 94), E.opImm('addi', 10, 0, 1), E.ecall()); // fail
  return c;
}

/** A raw binary of just one sequence's instructions, for objdump -b binary. */
export function seqBinary(s: Sequence): Uint8Array { return s.bytes; }

/** Parse the output of the ELF into per-sequence records (bigint[REC_SLOTS]). */
export function parseOutput(buf: Uint8Array, nSeq: number): bigint[][] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: bigint[][] = [];
  for (let i = 0; i < nSeq && (i + 1) * REC_SIZE <= buf.length; i++) {
    const rec: bigint[] = [];
    for (let k = 0; k < REC_SLOTS; k++) rec.push(dv.getBigUint64(i * REC_SIZE + 8 * k, true));
    out.push(rec);
  }
  return out;
}

export function slotName(k: number): string {
  if (k === 0) return 'scratch-checksum';
  if (k < 32) return `x${k}`;
  if (k < 64) return `f${k - 32}`;
  return 'fcsr';
}
