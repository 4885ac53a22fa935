/**
 * The Reverse Map Table (model), for the shared window: which of its pages are hypervisor-owned
 * (shared) and which are guest-owned (private). Guest RAM is always private here; window pages
 * start private and change only through a Page State Change the guest asked for and the
 * hypervisor carried out (GHCB spec 56421: MSR protocol PSC and VMGEXIT PSC; the hypervisor's
 * RMPUPDATE is applied by the machine when the hypervisor reports success).
 */
import { SNP_PAGE_STATE_PRIVATE, SNP_PAGE_STATE_SHARED } from '../ghcb.ts';
import { PAGE } from './protocol.ts';

export class SharedWindowRmp {
  private readonly shared: Uint8Array;
  constructor(readonly base: number, readonly pages: number) {
    this.shared = new Uint8Array(pages);
  }
  private index(gpa: number): number {
    const i = (gpa - this.base) / PAGE;
    return Number.isInteger(i) && i >= 0 && i < this.pages ? i : -1;
  }
  contains(gpa: number): boolean {
    return this.index(gpa) >= 0;
  }
  isShared(gpa: number): boolean {
    const i = this.index(gpa);
    return i >= 0 && this.shared[i] === 1;
  }
  /** RMPUPDATE for one page; false when the GPA is not in the window or the op is unknown. */
  update(gpa: number, op: number): boolean {
    const i = this.index(gpa);
    if (i < 0 || (op !== SNP_PAGE_STATE_SHARED && op !== SNP_PAGE_STATE_PRIVATE)) return false;
    this.shared[i] = op === SNP_PAGE_STATE_SHARED ? 1 : 0;
    return true;
  }
}

/**
 * struct snp_psc_desc (Linux arch/x86/include/asm/sev.h): hdr { u16 cur_entry; u16 end_entry;
 * u32 reserved; } then entries u64 { cur_page:12, gfn:40, operation:4, pagesize:1, rsvd:7 }.
 */
export const VMGEXIT_PSC_MAX_ENTRY = 253;
export interface PscEntry { gfn: number; op: number; pageSize: number }
export function encodePscDesc(entries: PscEntry[]): Uint8Array {
  if (entries.length === 0 || entries.length > VMGEXIT_PSC_MAX_ENTRY) throw new RangeError('1..253 PSC entries');
  const b = new Uint8Array(8 + 8 * entries.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0, true);
  dv.setUint16(2, entries.length - 1, true);
  entries.forEach((e, i) => {
    const v = (BigInt(e.gfn) << 12n) | (BigInt(e.op & 0xf) << 52n) | (BigInt(e.pageSize & 1) << 56n);
    dv.setBigUint64(8 + 8 * i, v, true);
  });
  return b;
}
export function decodePscDesc(b: Uint8Array): { cur: number; end: number; entries: PscEntry[] } | null {
  if (b.length < 8) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const cur = dv.getUint16(0, true), end = dv.getUint16(2, true);
  if (dv.getUint32(4, true) !== 0 || end >= VMGEXIT_PSC_MAX_ENTRY || 8 + 8 * (end + 1) > b.length || cur > end + 1) return null;
  const entries: PscEntry[] = [];
  for (let i = 0; i <= end; i++) {
    const v = dv.getBigUint64(8 + 8 * i, true);
    entries.push({ gfn: Number((v >> 12n) & ((1n << 40n) - 1n)), op: Number((v >> 52n) & 0xfn), pageSize: Number((v >> 56n) & 1n) });
  }
  return { cur, end, entries };
}
