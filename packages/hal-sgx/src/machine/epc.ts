/**
 * The EPC, the EPCM and the SGX instruction semantics that touch them (a model of Intel SDM
 * vol. 3D, chapters 35-38: ECREATE, EADD, EEXTEND, EINIT; SGX2 EAUG, EMODPR, EMODT, EREMOVE from
 * the host (ENCLS), EACCEPT and EMODPE from the enclave (ENCLU)).
 *
 * The EPCM holds, per EPC page: VALID, the page type (SECS/TCS/REG/TRIM), R/W/X, PENDING,
 * MODIFIED, PR and the linear address the page was added at. An enclave access succeeds only
 * when the page is VALID, REG, neither PENDING nor MODIFIED, mapped at the linear address the
 * EPCM records, and the access is within the EPCM rights. The model turns exactly that rule into
 * the Sv39 table the hart walks (LinearMap below): a PTE exists for a user-range page only while
 * the page is accessible, and carries the EPCM rights. Every change of the EPCM updates the table
 * and flushes the hart's TLB.
 *
 * SGX2 rules enforced (SDM 38.x, "EACCEPT", "EMODPE", "EMODPR", "EMODT", "EAUG"):
 * - EAUG: a free EPC page at an unused linear address inside ELRANGE of an initialized enclave;
 *   the page becomes REG, RW, PENDING.
 * - EACCEPT(SECINFO): the page must exist (else #PF, which the host's driver may answer with
 *   EAUG) and SECINFO must match the EPCM exactly: PENDING with the page pending, type and rights
 *   equal; PR with PR set and rights equal; MODIFIED with MODIFIED set and type equal. It clears
 *   the matched bit.
 * - EACCEPTCOPY(SECINFO, source): the page must exist (else #PF, as EACCEPT) and be PENDING, REG and
 *   RW as EAUG left it; SECINFO must be a REG page with no status bits and not W without R. The
 *   4096 source bytes (enclave memory: the kernel's own) are copied in and the EPCM rights become
 *   exactly SECINFO's, PENDING cleared, in one step: a page arrives with its contents and final
 *   rights (read-only or executable too) without a later EMODPR.
 * - EMODPE: only extends rights (new = old | SECINFO rights) of a REG page that is not PENDING or
 *   MODIFIED; SECINFO with W but not R is refused.
 * - EMODPR: only restricts (new = old & SECINFO rights) a REG page that is not PENDING or MODIFIED;
 *   sets PR until the enclave EACCEPTs.
 * - EMODT: REG -> TRIM (or TCS) of a page that is not PENDING or MODIFIED; sets MODIFIED.
 * - EREMOVE: of a running enclave, only TRIM pages the enclave accepted (the Linux driver's rule
 *   for SGX_IOC_ENCLAVE_REMOVE_PAGES).
 */
import { MrEnclaveBuilder } from '../mrenclave.ts';
import { einit, type SgxEnclaveIdentity } from '../sigstruct.ts';
import {
  PAGE, EPC_BASE, SI_R, SI_W, SI_X, SI_PENDING, SI_MODIFIED, SI_PR, PT_SECS, PT_TCS, PT_REG, PT_TRIM,
  SGX_SUCCESS, SGX_PAGE_ATTRIBUTES_MISMATCH, SGX_PAGE_NOT_MODIFIABLE, SGX_GP, SGX_PF, SGX_INVALID_MEASUREMENT,
  SGX_INVALID_SIGNATURE, SGX_INVALID_SIG_STRUCT, SGX_INVALID_ATTRIBUTE,
} from './protocol.ts';

const ST_PENDING = 1, ST_MODIFIED = 2, ST_PR = 4;
const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;

/** Sv39 tables in a reserved physical area, built by the machine (never by the enclave). */
export class LinearMap {
  private readonly dv: DataView;
  private readonly free: number[] = [];
  /** Valid entries per table page (index = page in the area), to give empty tables back. */
  private readonly used: Int32Array;
  readonly rootPa: number;

  constructor(private readonly area: Uint8Array, private readonly areaPa: number) {
    this.dv = new DataView(area.buffer, area.byteOffset, area.byteLength);
    const pages = area.length / PAGE;
    this.used = new Int32Array(pages);
    for (let i = pages - 1; i >= 1; i--) this.free.push(i);
    this.rootPa = areaPa;
    area.fill(0);
  }

  private entry(tablePa: number, idx: number): number {
    return tablePa - this.areaPa + idx * 8;
  }
  private read(off: number): number {
    return this.dv.getUint32(off, true) + this.dv.getUint32(off + 4, true) * 2 ** 32;
  }
  private write(off: number, v: number): void {
    this.dv.setUint32(off, v % 2 ** 32, true);
    this.dv.setUint32(off + 4, Math.floor(v / 2 ** 32), true);
  }
  private child(tablePa: number, idx: number, create: boolean): number {
    const off = this.entry(tablePa, idx);
    const e = this.read(off);
    if (e & PTE_V) return Math.floor(e / 1024) * PAGE;
    if (!create) return -1;
    const p = this.free.pop();
    if (p === undefined) return -1;
    this.area.fill(0, p * PAGE, (p + 1) * PAGE);
    this.used[p] = 0;
    const pa = this.areaPa + p * PAGE;
    this.write(off, (pa / PAGE) * 1024 + PTE_V);
    this.used[(tablePa - this.areaPa) / PAGE]++;
    return pa;
  }

  /** Maps the linear page va to pa with R/W/X (SECINFO bits); false when the table area is full. */
  map(va: number, pa: number, rights: number): boolean {
    const l1 = this.child(this.rootPa, Math.floor(va / 2 ** 30) % 512, true);
    if (l1 < 0) return false;
    const l0 = this.child(l1, Math.floor(va / 2 ** 21) % 512, true);
    if (l0 < 0) return false;
    const off = this.entry(l0, Math.floor(va / PAGE) % 512);
    const had = this.read(off) & PTE_V;
    let f = PTE_V | PTE_U | PTE_A | PTE_D;
    if (rights & SI_R) f |= PTE_R;
    if (rights & SI_W) f |= PTE_W | PTE_R;
    if (rights & SI_X) f |= PTE_X;
    // No rights at all: no PTE (Sv39 has no "valid but inaccessible" leaf).
    if ((f & (PTE_R | PTE_X)) === 0) { if (had) this.unmap(va); return true; }
    this.write(off, (pa / PAGE) * 1024 + f);
    if (!had) this.used[(l0 - this.areaPa) / PAGE]++;
    return true;
  }

  unmap(va: number): void {
    const i2 = Math.floor(va / 2 ** 30) % 512, i1 = Math.floor(va / 2 ** 21) % 512, i0 = Math.floor(va / PAGE) % 512;
    const l1 = this.child(this.rootPa, i2, false);
    if (l1 < 0) return;
    const l0 = this.child(l1, i1, false);
    if (l0 < 0) return;
    const off = this.entry(l0, i0);
    if (!(this.read(off) & PTE_V)) return;
    this.write(off, 0);
    const p0 = (l0 - this.areaPa) / PAGE;
    if (--this.used[p0] > 0) return;
    this.write(this.entry(l1, i1), 0);
    this.free.push(p0);
    const p1 = (l1 - this.areaPa) / PAGE;
    if (--this.used[p1] > 0) return;
    this.write(this.entry(this.rootPa, i2), 0);
    this.free.push(p1);
  }

  get freeTables(): number {
    return this.free.length;
  }
}

export interface HartHooks {
  /** The table changed: flush cached translations. */
  flushTlb(): void;
  /** An EPC page got new contents behind the hart's back. */
  physWritten(pa: number, len: number): void;
}

export type EinitStatus = { status: 0; identity: SgxEnclaveIdentity } | { status: number; reason: string };

export class Epc {
  readonly pages: number;
  private readonly valid: Uint8Array;
  private readonly type: Uint8Array;
  private readonly rights: Uint8Array;
  private readonly state: Uint8Array;
  private readonly lin: Float64Array;
  /** Linear page number -> EPC page (for pages whose EPCM entry is VALID). */
  private readonly byLin = new Map<number, number>();
  private secs: { base: number; size: number; ssaFrameSize: number; mr: MrEnclaveBuilder } | null = null;
  identity: SgxEnclaveIdentity | null = null;
  mrenclave: Uint8Array | null = null;

  constructor(readonly bytes: Uint8Array, private readonly map: LinearMap, private readonly hooks: HartHooks,
    /** The linear range whose accessible pages the hart's table carries (the user range). */
    private userRange: { base: number; size: number }) {
    this.pages = bytes.length / PAGE;
    this.valid = new Uint8Array(this.pages);
    this.type = new Uint8Array(this.pages);
    this.rights = new Uint8Array(this.pages);
    this.state = new Uint8Array(this.pages);
    this.lin = new Float64Array(this.pages);
  }

  get initialized(): boolean {
    return this.identity !== null;
  }

  private inElrange(va: number): boolean {
    const s = this.secs;
    return s !== null && Number.isSafeInteger(va) && va % PAGE === 0 && va >= s.base && va + PAGE <= s.base + s.size;
  }
  private epcOk(p: number): boolean {
    return Number.isInteger(p) && p >= 0 && p < this.pages;
  }
  private accessible(p: number): boolean {
    return this.valid[p] === 1 && this.type[p] === PT_REG && (this.state[p] & (ST_PENDING | ST_MODIFIED)) === 0;
  }
  /** Brings the hart's table in line with the EPCM entry of page p. */
  private sync(p: number): void {
    const va = this.lin[p];
    if (va < this.userRange.base || va >= this.userRange.base + this.userRange.size) return;
    if (this.valid[p] && this.accessible(p)) this.map.map(va, EPC_BASE + p * PAGE, this.rights[p]);
    else this.map.unmap(va);
    this.hooks.flushTlb();
  }

  // ---- build (ENCLS before EINIT) ----
  ecreate(base: number, size: number, ssaFrameSize: number): void {
    if (this.secs) throw new Error('ECREATE: the SECS exists');
    const mr = new MrEnclaveBuilder().ecreate(ssaFrameSize, size);
    this.secs = { base, size, ssaFrameSize, mr };
    // The runtime area is the top GiB of ELRANGE whatever its size (a smaller ELRANGE leaves room
    // for untrusted shared memory above it): the user range the table carries ends below it.
    const top = base + size - 2 ** 30;
    if (this.userRange.base + this.userRange.size > top) this.userRange = { base: this.userRange.base, size: Math.max(0, top - this.userRange.base) };
  }

  /** SECS.BASEADDR and SECS.SIZE (after ECREATE). */
  get elrange(): { base: number; size: number } | null {
    return this.secs ? { base: this.secs.base, size: this.secs.size } : null;
  }

  eadd(va: number, p: number, flags: number, data: Uint8Array, measure: boolean): void {
    const s = this.secs;
    if (!s || this.initialized) throw new Error('EADD: no enclave being built');
    if (!this.inElrange(va) || !this.epcOk(p) || this.valid[p] || this.byLin.has(va / PAGE)) throw new Error(`EADD: bad page 0x${va.toString(16)}`);
    if (data.length !== PAGE) throw new Error('EADD: page contents must be 4096 bytes');
    const type = (flags >> 8) & 0xff;
    if (type !== PT_REG && type !== PT_TCS) throw new Error('EADD: only REG and TCS pages');
    if (flags & (SI_PENDING | SI_MODIFIED | SI_PR)) throw new Error('EADD: SECINFO status bits must be clear');
    s.mr.addPage(va - s.base, flags, data, measure);
    this.bytes.set(data, p * PAGE);
    this.hooks.physWritten(EPC_BASE + p * PAGE, PAGE);
    this.valid[p] = 1;
    this.type[p] = type;
    this.rights[p] = type === PT_TCS ? 0 : flags & (SI_R | SI_W | SI_X);
    this.state[p] = 0;
    this.lin[p] = va;
    this.byLin.set(va / PAGE, p);
    this.sync(p);
  }

  /** EINIT: the SIGSTRUCT must carry the MRENCLAVE this build produced, signed (RSA-3072, e = 3). */
  einit(sigstruct: Uint8Array): EinitStatus {
    const s = this.secs;
    if (!s || this.initialized) return { status: SGX_GP, reason: 'EINIT: no enclave being built' };
    const mrenclave = s.mr.einit();
    const r = einit(sigstruct, mrenclave);
    if (!r.ok) {
      const status = { SGX_INVALID_SIG_STRUCT, SGX_INVALID_SIGNATURE, SGX_INVALID_MEASUREMENT, SGX_INVALID_ATTRIBUTE }[r.error];
      // EINIT failed: the measurement is consumed; the enclave can never be initialized.
      this.secs = null;
      return { status, reason: r.reason };
    }
    this.identity = r.identity;
    this.mrenclave = mrenclave;
    return { status: 0, identity: r.identity };
  }

  // ---- SGX2, host side (ENCLS) ----
  eaug(va: number, p: number): number {
    if (!this.initialized || !this.inElrange(va) || !this.epcOk(p)) return SGX_GP;
    if (this.valid[p] || this.byLin.has(va / PAGE)) return SGX_PAGE_NOT_MODIFIABLE;
    this.bytes.fill(0, p * PAGE, (p + 1) * PAGE);
    this.hooks.physWritten(EPC_BASE + p * PAGE, PAGE);
    this.valid[p] = 1;
    this.type[p] = PT_REG;
    this.rights[p] = SI_R | SI_W;
    this.state[p] = ST_PENDING;
    this.lin[p] = va;
    this.byLin.set(va / PAGE, p);
    this.sync(p);
    return SGX_SUCCESS;
  }

  emodpr(p: number, rights: number): number {
    if (!this.initialized || !this.epcOk(p) || !this.valid[p]) return SGX_GP;
    if ((rights & ~(SI_R | SI_W | SI_X)) !== 0 || (rights & (SI_R | SI_W)) === SI_W) return SGX_GP;
    if (this.type[p] !== PT_REG || this.state[p] & (ST_PENDING | ST_MODIFIED)) return SGX_PAGE_NOT_MODIFIABLE;
    this.rights[p] &= rights;
    this.state[p] |= ST_PR;
    this.sync(p);
    return SGX_SUCCESS;
  }

  emodt(p: number, type: number): number {
    if (!this.initialized || !this.epcOk(p) || !this.valid[p]) return SGX_GP;
    if (type !== PT_TRIM && type !== PT_TCS) return SGX_GP;
    if (this.type[p] !== PT_REG || this.state[p] & (ST_PENDING | ST_MODIFIED)) return SGX_PAGE_NOT_MODIFIABLE;
    this.type[p] = type;
    this.rights[p] = 0;
    this.state[p] = ST_MODIFIED;
    this.sync(p);
    return SGX_SUCCESS;
  }

  eremove(p: number): number {
    if (!this.epcOk(p) || !this.valid[p]) return SGX_GP;
    if (this.initialized && (this.type[p] !== PT_TRIM || this.state[p] & ST_MODIFIED)) return SGX_PAGE_NOT_MODIFIABLE;
    this.valid[p] = 0;
    this.byLin.delete(this.lin[p] / PAGE);
    this.map.unmap(this.lin[p]);
    this.hooks.flushTlb();
    this.bytes.fill(0, p * PAGE, (p + 1) * PAGE);
    return SGX_SUCCESS;
  }

  // ---- SGX2, enclave side (ENCLU) ----
  eaccept(va: number, flags: number): number {
    if (!this.initialized || !this.inElrange(va)) return SGX_GP;
    const p = this.byLin.get(va / PAGE);
    if (p === undefined) return SGX_PF;
    const type = (flags >> 8) & 0xff, r = flags & (SI_R | SI_W | SI_X);
    const st = this.state[p];
    if (flags & SI_PENDING) {
      if (!(st & ST_PENDING) || this.type[p] !== type || this.rights[p] !== r) return SGX_PAGE_ATTRIBUTES_MISMATCH;
      this.state[p] &= ~ST_PENDING;
    } else if (flags & SI_MODIFIED) {
      if (!(st & ST_MODIFIED) || this.type[p] !== type) return SGX_PAGE_ATTRIBUTES_MISMATCH;
      this.state[p] &= ~ST_MODIFIED;
    } else if (flags & SI_PR) {
      if (!(st & ST_PR) || st & (ST_PENDING | ST_MODIFIED) || this.type[p] !== PT_REG || type !== PT_REG || this.rights[p] !== r) {
        return SGX_PAGE_ATTRIBUTES_MISMATCH;
      }
      this.state[p] &= ~ST_PR;
    } else {
      return SGX_PAGE_ATTRIBUTES_MISMATCH;
    }
    this.sync(p);
    return SGX_SUCCESS;
  }

  eacceptcopy(va: number, flags: number, src: Uint8Array): number {
    if (!this.initialized || !this.inElrange(va) || src.length !== PAGE) return SGX_GP;
    const type = (flags >> 8) & 0xff, r = flags & (SI_R | SI_W | SI_X);
    if (type !== PT_REG || flags & (SI_PENDING | SI_MODIFIED | SI_PR) || (r & (SI_R | SI_W)) === SI_W) return SGX_GP;
    const p = this.byLin.get(va / PAGE);
    if (p === undefined) return SGX_PF;
    if (this.state[p] !== ST_PENDING || this.type[p] !== PT_REG || this.rights[p] !== (SI_R | SI_W)) return SGX_PAGE_ATTRIBUTES_MISMATCH;
    this.bytes.set(src, p * PAGE);
    this.hooks.physWritten(EPC_BASE + p * PAGE, PAGE);
    this.rights[p] = r;
    this.state[p] = 0;
    this.sync(p);
    return SGX_SUCCESS;
  }

  emodpe(va: number, rights: number): number {
    if (!this.initialized || !this.inElrange(va)) return SGX_GP;
    if ((rights & ~(SI_R | SI_W | SI_X)) !== 0 || (rights & (SI_R | SI_W)) === SI_W) return SGX_GP;
    const p = this.byLin.get(va / PAGE);
    if (p === undefined) return SGX_PF;
    if (this.type[p] !== PT_REG || this.state[p] & (ST_PENDING | ST_MODIFIED)) return SGX_PAGE_NOT_MODIFIABLE;
    this.rights[p] |= rights;
    this.sync(p);
    return SGX_SUCCESS;
  }

  // ---- the enclave's own view of its ELRANGE ----
  /** EPC page behind an accessible linear page, or -1. */
  page(va: number): number {
    const p = this.byLin.get(Math.floor(va / PAGE));
    return p !== undefined && this.accessible(p) ? p : -1;
  }
  /** The page at va whatever its type (TCS, SSA), if it is VALID and not PENDING/MODIFIED. */
  anyPage(va: number, type: number): number {
    const p = this.byLin.get(Math.floor(va / PAGE));
    return p !== undefined && this.valid[p] && this.type[p] === type && (this.state[p] & (ST_PENDING | ST_MODIFIED)) === 0 ? p : -1;
  }
  pageRights(va: number): number {
    const p = this.page(va);
    return p < 0 ? 0 : this.rights[p];
  }
  /** The EPC page at a linear address in any state (the host's driver view for EMODPR/EMODT/EREMOVE). */
  epcPageOf(va: number): number {
    return this.byLin.get(Math.floor(va / PAGE)) ?? -1;
  }
  get secsRecord() {
    return this.secs;
  }
}

export { PT_SECS, PT_TCS, PT_REG, PT_TRIM };
