/**
 * The hypervisor's half of the GHCB protocol (what KVM's sev.c does on a VMGEXIT), over the
 * shared window only: it never sees guest RAM. It keeps its own record of which window pages the
 * guest made shared (Page State Change) and which GHCB the guest registered, and refuses GHCB
 * traffic until both hold. Every field it reads is guest-controlled and checked.
 */
import {
  GhcbPage, GHCB_PAGE_SIZE, GHCB_RAX_OFFSET, GHCB_SW_EXIT_CODE_OFFSET, GHCB_SW_EXIT_INFO_1_OFFSET,
  GHCB_SW_EXIT_INFO_2_OFFSET, GHCB_SW_SCRATCH_OFFSET, GHCB_SHARED_BUFFER_OFFSET, GHCB_SHARED_BUFFER_SIZE,
  GHCB_HV_FT_SNP, SNP_PAGE_STATE_PRIVATE, SNP_PAGE_STATE_SHARED, SVM_VMGEXIT_GUEST_REQUEST, SVM_VMGEXIT_PSC,
  decodeGhcbMsr, hvFeaturesResponse, pscResponse, regGpaResponse, sevInfoResponse,
} from '../ghcb.ts';
import { decodePscDesc } from '../machine/rmp.ts';
import { PAGE, SHARED_BASE, SHARED_PAGES } from '../machine/protocol.ts';
import {
  SVM_VMGEXIT_TEEOS_HYPERCALL, TEEOS_HC_WRITE, TEEOS_HC_READ, TEEOS_HC_FSTAT, TEEOS_HC_TCGETS, TEEOS_HC_WINSIZE,
  TEEOS_HC_CLOCK, TEEOS_HC_CONSOLE, TEEOS_HC_EXIT, TEEOS_HC_FS, HC_FS_ARGS, TEEOS_HC_TCSETS, HC_ARG0, HC_ARG1, HC_OUT_LEN, HC_OUT0, HC_OUT1, HC_DATA,
  STAT_SIZE, TERMIOS_SIZE, SEV_TERM_SET_TEEOS,
} from '../machine/hypercall.ts';

/** What the host offers the guest: Linux-shaped services on the host's own descriptors. */
export interface HostServices {
  write(fd: number, data: Uint8Array): number;
  read(fd: number, len: number): Uint8Array | number;
  fstat(fd: number): Uint8Array | number;
  tcgets(fd: number): Uint8Array | number;
  winsize(fd: number): { rows: number; cols: number } | number;
  clock(clockId: number): { sec: number; nsec: number } | number;
  console(text: string): void;
  /** Host file calls (HostFileRequest in @teeos/hal); absent: ENOSYS. */
  fs?(nr: number, args: number[], data: Uint8Array, outLen: number): { ret: number; out?: Uint8Array };
  /** TCSETS (0) / TCSETSW (1) / TCSETSF (2) on a host terminal; absent: ENOTTY. */
  tcsets?(fd: number, action: number, termios: Uint8Array): number;
}

export type ExitAction =
  | { kind: 'resume' }
  /** Forward SNP_GUEST_REQUEST to the PSP, then put its status in sw_exit_info_2 (complete()). */
  | { kind: 'guest-request'; reqGpa: number; respGpa: number }
  /** The guest said its last word (TEEOS_HC_EXIT); resume it so it can halt. */
  | { kind: 'exit'; status: number }
  /** Stop the guest: its termination request, or traffic the hypervisor refuses. */
  | { kind: 'terminate'; status: number; reason: string };

const ENOSYS = 38, EINVAL = 22;
/** The GHCB protocol versions this hypervisor speaks, and the C-bit position it reports. */
const PROTOCOL_MIN = 1, PROTOCOL_MAX = 2, CBIT = 51;

export class Hypervisor {
  /** Window pages the guest made shared, by GPA (the hypervisor's own record). */
  readonly sharedPages = new Set<number>();
  ghcbGpa: number | null = null;
  hostCalls = 0;
  refused = 0;
  private readonly msrView: BigUint64Array;
  private readonly shared: Uint8Array;

  constructor(shared: SharedArrayBuffer | Uint8Array, ctl: SharedArrayBuffer | BigUint64Array, private readonly msrIndex: number,
    private readonly services: HostServices) {
    this.shared = shared instanceof Uint8Array ? shared : new Uint8Array(shared);
    this.msrView = ctl instanceof BigUint64Array ? ctl : new BigUint64Array(ctl);
  }

  private inWindow(gpa: number): boolean {
    return Number.isSafeInteger(gpa) && gpa >= SHARED_BASE && gpa < SHARED_BASE + SHARED_PAGES * PAGE;
  }
  /** The window's bytes for [gpa, gpa+len) when every page is in the window and shared, else null. */
  private sharedRange(gpa: number, len: number): Uint8Array | null {
    if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(len) || len <= 0) return null;
    if (!this.inWindow(gpa) || !this.inWindow(gpa + len - 1)) return null;
    for (let p = gpa - (gpa % PAGE); p < gpa + len; p += PAGE) if (!this.sharedPages.has(p)) return null;
    return this.shared.subarray(gpa - SHARED_BASE, gpa - SHARED_BASE + len);
  }

  /** The GHCB as registered, if it is usable (registered and shared). */
  ghcb(): GhcbPage | null {
    if (this.ghcbGpa === null) return null;
    const b = this.sharedRange(this.ghcbGpa, GHCB_PAGE_SIZE);
    return b ? new GhcbPage(b) : null;
  }

  /** One VMGEXIT: reads the GHCB MSR and acts on it. */
  handleExit(): ExitAction {
    const msr = this.msrView[this.msrIndex];
    const set = (v: bigint) => { this.msrView[this.msrIndex] = v; };
    const m = decodeGhcbMsr(msr);
    switch (m.kind) {
      case 'SEV_INFO_REQ': set(sevInfoResponse(PROTOCOL_MAX, PROTOCOL_MIN, CBIT)); return { kind: 'resume' };
      case 'HV_FT_REQ': set(hvFeaturesResponse(GHCB_HV_FT_SNP)); return { kind: 'resume' };
      case 'PSC_REQ': {
        const gpa = Number(m.gfn) * PAGE;
        set(pscResponse(this.changeState(gpa, m.op) ? 0 : 1));
        return { kind: 'resume' };
      }
      case 'REG_GPA_REQ': {
        const gpa = Number(m.gfn) * PAGE;
        if (this.sharedPages.has(gpa)) { this.ghcbGpa = gpa; set(regGpaResponse(m.gfn)); }
        else set(regGpaResponse((1n << 52n) - 1n)); // GHCB_MSR_REG_GPA_RESP with an invalid GFN
        return { kind: 'resume' };
      }
      case 'TERM_REQ':
        return { kind: 'terminate', status: -1, reason: m.reasonSet === SEV_TERM_SET_TEEOS ? 'the guest kernel failed' : `guest termination request (set ${m.reasonSet}, reason ${m.reason})` };
      case 'GHCB_GPA': return this.ghcbExit(Number(m.gpa));
      default:
        return { kind: 'terminate', status: -1, reason: `unsupported GHCB MSR request 0x${msr.toString(16)}` };
    }
  }

  private changeState(gpa: number, op: number): boolean {
    if (!this.inWindow(gpa)) return false;
    if (op === SNP_PAGE_STATE_SHARED) this.sharedPages.add(gpa);
    else if (op === SNP_PAGE_STATE_PRIVATE) { this.sharedPages.delete(gpa); if (gpa === this.ghcbGpa) this.ghcbGpa = null; }
    else return false;
    return true;
  }

  private ghcbExit(gpa: number): ExitAction {
    const g = this.ghcb();
    if (!g || gpa !== this.ghcbGpa) {
      this.refused++;
      return { kind: 'terminate', status: -1, reason: 'the guest used a GHCB that is not registered and shared; the hypervisor refuses the traffic' };
    }
    const code = g.get(GHCB_SW_EXIT_CODE_OFFSET);
    const info1 = g.get(GHCB_SW_EXIT_INFO_1_OFFSET);
    const info2 = g.get(GHCB_SW_EXIT_INFO_2_OFFSET);
    if (code === undefined || info1 === undefined || info2 === undefined) return this.fail(g);
    if (code === SVM_VMGEXIT_PSC) return this.psc(g);
    if (code === SVM_VMGEXIT_GUEST_REQUEST) {
      const req = Number(info1), resp = Number(info2);
      if (!this.sharedRange(req, PAGE) || !this.sharedRange(resp, PAGE) || req % PAGE || resp % PAGE) {
        g.set(GHCB_SW_EXIT_INFO_2_OFFSET, BigInt(EINVAL) << 32n);
        return { kind: 'resume' };
      }
      return { kind: 'guest-request', reqGpa: req, respGpa: resp };
    }
    if (code === SVM_VMGEXIT_TEEOS_HYPERCALL) return this.hypercall(g, Number(info1), Number(info2));
    return this.fail(g);
  }

  /** Completes a guest request with the PSP's status (SNP: fw_error in the low 32 bits of info 2). */
  complete(fwStatus: number): void {
    this.ghcb()?.set(GHCB_SW_EXIT_INFO_2_OFFSET, BigInt(fwStatus >>> 0));
  }

  private fail(g: GhcbPage): ExitAction {
    this.refused++;
    g.set(GHCB_SW_EXIT_INFO_1_OFFSET, 1n);
    g.set(GHCB_SW_EXIT_INFO_2_OFFSET, 1n);
    return { kind: 'resume' };
  }

  private psc(g: GhcbPage): ExitAction {
    const scratch = g.get(GHCB_SW_SCRATCH_OFFSET);
    if (scratch !== BigInt(this.ghcbGpa! + GHCB_SHARED_BUFFER_OFFSET)) return this.fail(g);
    const buf = g.bytes.subarray(GHCB_SHARED_BUFFER_OFFSET, GHCB_SHARED_BUFFER_OFFSET + GHCB_SHARED_BUFFER_SIZE);
    const d = decodePscDesc(buf);
    if (!d) return this.fail(g);
    for (let i = d.cur; i <= d.end; i++) {
      const e = d.entries[i];
      if (e.pageSize !== 0 || !this.changeState(e.gfn * PAGE, e.op)) return this.fail(g);
      new DataView(buf.buffer, buf.byteOffset, 8).setUint16(0, i + 1, true);
    }
    g.set(GHCB_SW_EXIT_INFO_2_OFFSET, 0n);
    return { kind: 'resume' };
  }

  private hypercall(g: GhcbPage, op: number, len: number): ExitAction {
    const scratch = g.get(GHCB_SW_SCRATCH_OFFSET);
    const gpa = scratch === undefined ? -1 : Number(scratch);
    if (scratch === undefined || len < HC_DATA || !this.sharedRange(gpa, len)) return this.fail(g);
    // Replies may use the shared pages from the request on (the contiguous shared run).
    let end = gpa - (gpa % PAGE);
    while (this.inWindow(end) && this.sharedPages.has(end)) end += PAGE;
    const io = this.shared.subarray(gpa - SHARED_BASE, end - SHARED_BASE);
    const dv = new DataView(io.buffer, io.byteOffset, io.byteLength);
    if (dv.getUint32(0, true) !== op || dv.getUint32(4, true) !== 0) return this.fail(g);
    const arg0 = Number(dv.getBigInt64(HC_ARG0, true));
    const arg1 = dv.getBigUint64(HC_ARG1, true);
    const room = io.length - HC_DATA;
    this.hostCalls++;
    const s = this.services;
    let ret: number;
    const fd = arg0 | 0;
    switch (op) {
      case TEEOS_HC_WRITE: case TEEOS_HC_CONSOLE: {
        if (arg1 > BigInt(len - HC_DATA)) return this.fail(g);
        const data = io.slice(HC_DATA, HC_DATA + Number(arg1));
        if (op === TEEOS_HC_CONSOLE) { s.console(new TextDecoder().decode(data)); ret = 0; }
        else ret = s.write(fd, data);
        break;
      }
      case TEEOS_HC_READ: {
        if (arg1 > BigInt(room)) return this.fail(g);
        const n = Number(arg1);
        const r = s.read(fd, n);
        if (typeof r === 'number') ret = r;
        else { const k = Math.min(r.length, n); io.set(r.subarray(0, k), HC_DATA); dv.setBigUint64(HC_OUT_LEN, BigInt(k), true); ret = k; }
        break;
      }
      case TEEOS_HC_FSTAT: case TEEOS_HC_TCGETS: {
        const size = op === TEEOS_HC_FSTAT ? STAT_SIZE : TERMIOS_SIZE;
        if (room < size) return this.fail(g);
        const r = op === TEEOS_HC_FSTAT ? s.fstat(fd) : s.tcgets(fd);
        if (typeof r === 'number') ret = r;
        else { io.set(r.subarray(0, size), HC_DATA); dv.setBigUint64(HC_OUT_LEN, BigInt(size), true); ret = 0; }
        break;
      }
      case TEEOS_HC_WINSIZE: {
        const r = s.winsize(fd);
        if (typeof r === 'number') ret = r;
        else { dv.setBigInt64(HC_OUT0, BigInt(r.rows), true); dv.setBigInt64(HC_OUT1, BigInt(r.cols), true); ret = 0; }
        break;
      }
      case TEEOS_HC_CLOCK: {
        const r = s.clock(arg0);
        if (typeof r === 'number') ret = r;
        else { dv.setBigInt64(HC_OUT0, BigInt(r.sec), true); dv.setBigInt64(HC_OUT1, BigInt(r.nsec), true); ret = 0; }
        break;
      }
      case TEEOS_HC_TCSETS: {
        if (len - HC_DATA < TERMIOS_SIZE || arg1 > 2n) return this.fail(g);
        ret = s.tcsets ? s.tcsets(fd, Number(arg1), io.slice(HC_DATA, HC_DATA + TERMIOS_SIZE)) : -25;
        break;
      }
      case TEEOS_HC_FS: {
        const outLen = dv.getBigUint64(HC_OUT_LEN, true);
        if (arg1 > BigInt(len - HC_DATA) || outLen > BigInt(room)) return this.fail(g);
        const args = [0, 8, 16, 24].map((o) => Number(dv.getBigInt64(HC_FS_ARGS + o, true)));
        const input = io.slice(HC_DATA, HC_DATA + Number(arg1));
        if (!s.fs) { ret = -ENOSYS; dv.setBigUint64(HC_OUT_LEN, 0n, true); break; }
        const r = s.fs(arg0, args, input, Number(outLen));
        const k = r.out ? Math.min(r.out.length, Number(outLen)) : 0;
        if (r.out) io.set(r.out.subarray(0, k), HC_DATA);
        dv.setBigUint64(HC_OUT_LEN, BigInt(k), true);
        ret = r.ret;
        break;
      }
      case TEEOS_HC_EXIT:
        g.set(GHCB_RAX_OFFSET, 0n);
        g.set(GHCB_SW_EXIT_INFO_1_OFFSET, 0n);
        return { kind: 'exit', status: arg0 };
      default:
        ret = -ENOSYS;
    }
    g.set(GHCB_RAX_OFFSET, BigInt.asUintN(64, BigInt(ret)));
    g.set(GHCB_SW_EXIT_INFO_1_OFFSET, 0n);
    return { kind: 'resume' };
  }
}
