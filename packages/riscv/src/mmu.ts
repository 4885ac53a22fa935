// Sv39 page-table walk (RISC-V Privileged ISA 20211203, 4.3.2 "Virtual Address
// Translation Process", with the Sv39 parameters of 4.4: LEVELS = 3, PTESIZE = 8,
// 9-bit VPN fields, 44-bit PPN) and the soft TLB that caches its results.
//
// A/D bits follow Svade: hardware never writes them; an access with A = 0, or a store
// with D = 0, raises a page fault. Implicit PTE reads are checked by PMP as S-mode
// reads (3.7.1); a PMP or bus failure on a PTE read is an access fault of the original
// access type (4.3.2 step 2). Reserved PTE bits 63:54 (no Svnapot, no Svpbmt) fault.

import { ACCESS_EXEC, ACCESS_WRITE, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, Priv } from './constants.ts';

export const WALK_PAGE_FAULT = -1;
export const WALK_ACCESS_FAULT = -2;

/** What the walk needs from the hart: PMP-checked reads of physical memory. */
export interface WalkMemory {
  /** Read the 64-bit PTE at `pa` (after an S-mode PMP read check) into out[0]=lo, out[1]=hi; false on fault. */
  readPte(pa: number, out: Int32Array): boolean;
}

const pte = new Int32Array(2);

/**
 * Translate the Sv39 virtual address (vlo, vhi). Returns the physical address of the
 * 4 KiB page containing it (a JS number), or WALK_PAGE_FAULT / WALK_ACCESS_FAULT.
 * `rootPage` is satp.PPN * 4096; `priv` the effective privilege of the access.
 */
export function sv39Walk(
  mem: WalkMemory, rootPage: number, vlo: number, vhi: number,
  access: number, priv: Priv, sum: boolean, mxr: boolean,
): number {
  // Bits 63:39 must all equal bit 38 (4.4.1).
  if ((((vhi >> 6) + 1) >>> 1) !== 0) return WALK_PAGE_FAULT;
  const vpn = [
    (vlo >>> 12) & 0x1ff,
    (vlo >>> 21) & 0x1ff,
    ((vlo >>> 30) | (vhi << 2)) & 0x1ff,
  ];
  let a = rootPage;
  for (let i = 2; i >= 0; i--) {
    if (!mem.readPte(a + vpn[i] * 8, pte)) return WALK_ACCESS_FAULT;
    const lo = pte[0], hi = pte[1];
    if (!(lo & PTE_V) || (lo & (PTE_R | PTE_W)) === PTE_W) return WALK_PAGE_FAULT;
    if ((hi >>> 22) !== 0) return WALK_PAGE_FAULT; // bits 63:54 reserved
    // PPN = PTE bits 53:10
    const ppn0 = (lo >>> 10) & 0x1ff;
    const ppn1 = (lo >>> 19) & 0x1ff;
    const ppn2 = ((lo >>> 28) | ((hi & 0x3fffff) << 4)) >>> 0; // 26 bits
    if (!(lo & (PTE_R | PTE_X))) {
      // pointer to the next level
      a = (ppn2 * 512 * 512 + ppn1 * 512 + ppn0) * 4096;
      continue;
    }
    // Leaf: permission checks (4.3.2 step 5).
    if (lo & PTE_U) {
      if (priv === Priv.S && (!sum || access === ACCESS_EXEC)) return WALK_PAGE_FAULT;
    } else if (priv === Priv.U) return WALK_PAGE_FAULT;
    if (access === ACCESS_EXEC) {
      if (!(lo & PTE_X)) return WALK_PAGE_FAULT;
    } else if (access === ACCESS_WRITE) {
      if (!(lo & PTE_W)) return WALK_PAGE_FAULT;
    } else if (!(lo & PTE_R) && !(mxr && (lo & PTE_X))) return WALK_PAGE_FAULT;
    // Misaligned superpage (step 6).
    if ((i >= 1 && ppn0 !== 0) || (i === 2 && ppn1 !== 0)) return WALK_PAGE_FAULT;
    // Svade (step 7).
    if (!(lo & PTE_A) || (access === ACCESS_WRITE && !(lo & PTE_D))) return WALK_PAGE_FAULT;
    const p1 = i >= 2 ? vpn[1] : ppn1;
    const p0 = i >= 1 ? vpn[0] : ppn0;
    return (ppn2 * 512 * 512 + p1 * 512 + p0) * 4096;
  }
  return WALK_PAGE_FAULT; // i < 0: no leaf (step 4)
}
