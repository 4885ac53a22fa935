// Test helper: writes minimal ELF64 little-endian files from a description.
export interface PhdrSpec {
  type: number;
  flags?: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align?: number;
}

export interface ElfSpec {
  class?: number;
  data?: number;
  version?: number;
  type?: number;
  machine?: number;
  entry: number;
  flags?: number;
  phoff?: number;
  phentsize?: number;
  phdrs: PhdrSpec[];
  /** total file size (at least headers); content filled with a byte pattern */
  size: number;
}

export function writeElf(spec: ElfSpec): Uint8Array {
  const out = new Uint8Array(spec.size);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + 3) & 0xff;
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, spec.class ?? 2, spec.data ?? 1, spec.version ?? 1, 0], 0);
  out.fill(0, 8, 16);
  const phoff = spec.phoff ?? 64;
  const u64 = (o: number, x: number): void => {
    v.setUint32(o, x % 2 ** 32, true);
    v.setUint32(o + 4, Math.floor(x / 2 ** 32), true);
  };
  v.setUint16(16, spec.type ?? 2, true);
  v.setUint16(18, spec.machine ?? 243, true);
  v.setUint32(20, 1, true);
  u64(24, spec.entry);
  u64(32, phoff);
  u64(40, 0);
  v.setUint32(48, spec.flags ?? 5, true);
  v.setUint16(52, 64, true);
  v.setUint16(54, spec.phentsize ?? 56, true);
  v.setUint16(56, spec.phdrs.length, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 0, true);
  v.setUint16(62, 0, true);
  spec.phdrs.forEach((p, i) => {
    const o = phoff + i * 56;
    if (o + 56 > out.length) return; // caller builds a truncated table on purpose
    v.setUint32(o, p.type, true);
    v.setUint32(o + 4, p.flags ?? 4, true);
    u64(o + 8, p.offset);
    u64(o + 16, p.vaddr);
    u64(o + 24, p.vaddr);
    u64(o + 32, p.filesz);
    u64(o + 40, p.memsz);
    u64(o + 48, p.align ?? 0x1000);
  });
  return out;
}

/** A plausible static executable: text at 0x10000 (holding the headers), data+bss after it. */
export function basicSpec(): ElfSpec {
  return {
    entry: 0x10100,
    phdrs: [
      { type: 1, flags: 5, offset: 0, vaddr: 0x10000, filesz: 0x1200, memsz: 0x1200 },
      { type: 1, flags: 6, offset: 0x1e00, vaddr: 0x12e00, filesz: 0x300, memsz: 0x2000 },
      { type: 7, flags: 4, offset: 0x1e00, vaddr: 0x12e00, filesz: 0x10, memsz: 0x40, align: 8 },
      { type: 0x6474e551, flags: 6, offset: 0, vaddr: 0, filesz: 0, memsz: 0, align: 16 },
    ],
    size: 0x2200,
  };
}
