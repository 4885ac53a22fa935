// Physical Memory Protection (RISC-V Privileged ISA 20211203, 3.7): 16 entries, pmpcfg0/2
// and pmpaddr0..15 on RV64, address-matching modes OFF/TOR/NA4/NAPOT, the L (lock) bit,
// priority by lowest entry number, partial matches failing, and M-mode exempt from
// unlocked entries. Grain G = 0 (4 bytes). Physical addresses are JS numbers (< 2^53).

import {
  PAGE_SIZE, PMP_A, PMP_A_NA4, PMP_A_OFF, PMP_A_SHIFT, PMP_A_TOR,
  PMP_COUNT, PMP_L, PMP_R, PMP_W, Priv,
} from './constants.ts';

const TWO32 = 4294967296;
/** pmpaddr holds physical address bits 55:2 (3.7.1): 54 bits. */
const PMPADDR_HI_MASK = 0x3fffff;

export class Pmp {
  readonly cfg = new Uint8Array(PMP_COUNT);
  readonly addrLo = new Int32Array(PMP_COUNT);
  readonly addrHi = new Int32Array(PMP_COUNT);
  /** Decoded byte ranges [start, end) of each active entry (end <= start: matches nothing). */
  private readonly start = new Float64Array(PMP_COUNT);
  private readonly end = new Float64Array(PMP_COUNT);
  /** Indices of entries with A != OFF, in priority order. */
  private active: number[] = [];

  /** pmpcfgN as two 32-bit words: entries base..base+7 (N = 0 or 2). */
  readCfg(n: number): [number, number] {
    const b = n * 4;
    const c = this.cfg;
    return [
      (c[b] | (c[b + 1] << 8) | (c[b + 2] << 16) | (c[b + 3] << 24)) | 0,
      (c[b + 4] | (c[b + 5] << 8) | (c[b + 6] << 16) | (c[b + 7] << 24)) | 0,
    ];
  }

  writeCfg(n: number, lo: number, hi: number): void {
    for (let k = 0; k < 8; k++) {
      const i = n * 4 + k;
      if (this.cfg[i] & PMP_L) continue; // locked: writes ignored
      let v = ((k < 4 ? lo >>> (8 * k) : hi >>> (8 * (k - 4))) & 0xff) & ~0x60; // bits 6:5 are WIRI zero
      if ((v & (PMP_R | PMP_W)) === PMP_W) v &= ~PMP_W; // R=0,W=1 is reserved: WARL to no write
      this.cfg[i] = v;
    }
    this.recompute();
  }

  readAddr(i: number): [number, number] {
    return [this.addrLo[i], this.addrHi[i]];
  }

  writeAddr(i: number, lo: number, hi: number): void {
    if (this.cfg[i] & PMP_L) return;
    // A locked TOR entry i+1 also locks pmpaddr i (its base).
    if (i + 1 < PMP_COUNT && (this.cfg[i + 1] & PMP_L) && ((this.cfg[i + 1] & PMP_A) >> PMP_A_SHIFT) === PMP_A_TOR) return;
    this.addrLo[i] = lo;
    this.addrHi[i] = hi & PMPADDR_HI_MASK;
    this.recompute();
  }

  private addrValue(i: number): number {
    return this.addrHi[i] * TWO32 + (this.addrLo[i] >>> 0);
  }

  private recompute(): void {
    this.active = [];
    for (let i = 0; i < PMP_COUNT; i++) {
      const a = (this.cfg[i] & PMP_A) >> PMP_A_SHIFT;
      if (a === PMP_A_OFF) continue;
      const v = this.addrValue(i);
      if (a === PMP_A_TOR) {
        this.start[i] = i === 0 ? 0 : this.addrValue(i - 1) * 4;
        this.end[i] = v * 4;
      } else if (a === PMP_A_NA4) {
        this.start[i] = v * 4;
        this.end[i] = v * 4 + 4;
      } else {
        // NAPOT: pmpaddr = base/4 | (size/8 - 1): t trailing ones -> size 2^(t+3).
        let t: number;
        const lo = this.addrLo[i];
        if (lo !== -1) t = 31 - Math.clz32(~lo & (lo + 1));
        else {
          const hi = this.addrHi[i];
          const nh = ~hi & PMPADDR_HI_MASK;
          t = nh === 0 ? 54 : 32 + (31 - Math.clz32(nh & -nh));
        }
        const size = Math.pow(2, t + 3);
        this.start[i] = t >= 54 ? 0 : (v - (Math.pow(2, t) - 1)) * 4;
        this.end[i] = this.start[i] + size;
      }
      this.active.push(i);
    }
  }

  /** Is an access of `len` bytes at `pa` of kind `access` (0 R, 1 W, 2 X) by `priv` allowed? */
  check(pa: number, len: number, access: number, priv: Priv): boolean {
    const act = this.active;
    for (let k = 0; k < act.length; k++) {
      const i = act[k];
      const s = this.start[i], e = this.end[i];
      if (pa < e && pa + len > s) {
        if (pa < s || pa + len > e) return false; // matches some bytes but not all
        const c = this.cfg[i];
        if (priv === Priv.M && !(c & PMP_L)) return true;
        return ((c >> access) & 1) !== 0;
      }
    }
    // No match: M-mode succeeds; S/U fail because PMP entries are implemented.
    return priv === Priv.M;
  }

  /**
   * True if every access inside the 4 KiB page at `page` gets the same answer as
   * check(page, PAGE_SIZE, ...), so the result may be cached per page in a TLB.
   */
  pageUniform(page: number): boolean {
    const act = this.active;
    for (let k = 0; k < act.length; k++) {
      const i = act[k];
      const s = this.start[i], e = this.end[i];
      if (page < e && page + PAGE_SIZE > s) return page >= s && page + PAGE_SIZE <= e;
    }
    return true;
  }
}
