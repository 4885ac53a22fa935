/**
 * The HAL on the SEV-SNP model: what a confidential-VM guest kernel's platform layer does.
 * - execution: sret into U-mode, take the trap back in S-mode (the guest kernel's own vCPU);
 * - memory: private guest RAM; the guest kernel owns Sv39 page tables (paging 'sv39');
 * - host calls: the GHCB (GHCB spec 56421). At start the guest negotiates the protocol
 *   (SEV_INFO), checks SNP support (HV_FEATURES), makes the GHCB page shared with an MSR-protocol
 *   Page State Change, registers it (REG_GPA), then makes the guest-request pages and the I/O
 *   buffer shared with a VMGEXIT PSC. Host calls are TEE OS hypercalls (machine/hypercall.ts);
 * - identity: SNP_GUEST_REQUEST messages encrypted with VMPCK0 from the SECRETS page
 *   (MSG_REPORT_REQ, MSG_KEY_REQ), handled by the PSP.
 */
import { HartUserRegisters, runUserOnHart } from '@teeos/riscv/supervisor';
import type {
  EnclaveMemory, Execution, HostChannel, HostReply, HostRequest, Identity, Platform, ReplyOf, UserRegisters, UserTrap,
} from '@teeos/hal';
import { sha384 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import type { SevMachine } from '../machine/machine.ts';
import { PAGE, SECRETS_VMPCK0_OFFSET, VMPCK_SIZE, type BootTable } from '../machine/protocol.ts';
import {
  GhcbPage, GHCB_RAX_OFFSET, GHCB_SW_EXIT_INFO_1_OFFSET, GHCB_SW_EXIT_INFO_2_OFFSET, GHCB_SW_SCRATCH_OFFSET,
  GHCB_SHARED_BUFFER_OFFSET, GHCB_MSR_SEV_INFO_RESP, GHCB_MSR_HV_FT_RESP, GHCB_MSR_PSC_RESP, GHCB_MSR_REG_GPA_RESP,
  GHCB_HV_FT_SNP, SNP_PAGE_STATE_SHARED, SVM_VMGEXIT_PSC, SVM_VMGEXIT_GUEST_REQUEST, GHCB_PROTOCOL_MAX,
  sevInfoRequest, hvFeaturesRequest, pscRequest, regGpaRequest, termRequest, ghcbInfo, decodeRegGpa,
} from '../ghcb.ts';
import {
  SnpGuestChannel, encodeReportReq, decodeReportRsp, decodeGuestMsgHdr, SNP_MSG_REPORT_REQ, SNP_MSG_KEY_REQ,
  SNP_GUEST_MSG_HDR_SIZE, SNP_GUEST_MSG_SIZE,
} from '../guest-msg.ts';
import { encodePscDesc, VMGEXIT_PSC_MAX_ENTRY } from '../machine/rmp.ts';
import {
  SVM_VMGEXIT_TEEOS_HYPERCALL, TEEOS_HC_WRITE, TEEOS_HC_READ, TEEOS_HC_FSTAT, TEEOS_HC_TCGETS, TEEOS_HC_WINSIZE,
  TEEOS_HC_CLOCK, TEEOS_HC_CONSOLE, TEEOS_HC_EXIT, TEEOS_HC_FS, HC_FS_ARGS, TEEOS_HC_TCSETS, HC_OP, HC_ARG0, HC_ARG1, HC_OUT_LEN, HC_OUT0, HC_OUT1, HC_DATA,
  STAT_SIZE, TERMIOS_SIZE, SEV_TERM_SET_TEEOS, TEEOS_TERM_PANIC,
} from '../machine/hypercall.ts';

const CSR_SATP = 0x180, CSR_TIME = 0xc01;
const SATP_MODE_SV39 = 8n << 60n;
/** The `time` CSR ticks at 10 MHz in this machine model. */
const NS_PER_TICK = 100;
const EIO = 5;
/** SNP_REPORT_SIZE without importing the report codec (and its P-384 code) into the guest. */
const REPORT_SIZE = 0x4a0;
const REPORT_MEASUREMENT_OFFSET = 0x90;

class SevExecution implements Execution {
  readonly regs: UserRegisters;
  readonly hartCount = 1;
  readonly preemptive = false;
  constructor(private readonly m: SevMachine) {
    this.regs = new HartUserRegisters(m.hart);
  }
  runUser(budget: number): UserTrap {
    return runUserOnHart(this.m.hart, budget);
  }
  instret(): number {
    return this.m.hart.instret;
  }
  codeWritten(paddr: number, len: number): void {
    this.m.hart.notifyPhysWrite(paddr, len);
  }
}

class SevMemory implements EnclaveMemory {
  readonly bytes: Uint8Array;
  readonly phys;
  readonly free;
  readonly appImage;
  readonly paging = 'sv39' as const;
  constructor(private readonly m: SevMachine, t: BootTable) {
    this.bytes = m.ram;
    this.phys = { base: m.ramBase, size: m.ram.length };
    this.free = { base: t.freeGpa, size: m.ramBase + m.ram.length - t.freeGpa };
    this.appImage = { base: t.appGpa, size: Math.ceil(t.appLen / PAGE) * PAGE, length: t.appLen };
  }
  activatePageTable(rootPaddr: number, asid: number): void {
    this.m.hart.writeCSR(CSR_SATP, SATP_MODE_SV39 | (BigInt(asid & 0xffff) << 44n) | BigInt(rootPaddr / 4096));
  }
  flushTlb(): void {
    this.m.hart.flushTLB();
  }
}

/** The GHCB and the VMGEXITs made through it. */
export class Ghcb {
  readonly page: GhcbPage;
  readonly io: Uint8Array;
  readonly req: Uint8Array;
  readonly resp: Uint8Array;

  constructor(private readonly m: SevMachine, private readonly t: BootTable) {
    if (t.ghcbGpa % PAGE || t.reqGpa % PAGE || t.respGpa % PAGE || t.ioGpa % PAGE) throw new Error('SEV: unaligned shared pages');
    // SEV_INFO: the hypervisor's GHCB protocol range must include ours.
    const info = this.msr(sevInfoRequest());
    if (ghcbInfo(info) !== GHCB_MSR_SEV_INFO_RESP) throw new Error('SEV: no SEV_INFO response');
    const max = Number(info >> 48n), min = Number((info >> 32n) & 0xffffn);
    if (min > GHCB_PROTOCOL_MAX || max < GHCB_PROTOCOL_MAX) throw new Error(`SEV: GHCB protocol ${min}..${max} does not include ${GHCB_PROTOCOL_MAX}`);
    const ft = this.msr(hvFeaturesRequest());
    if (ghcbInfo(ft) !== GHCB_MSR_HV_FT_RESP || ((ft >> 12n) & GHCB_HV_FT_SNP) === 0n) throw new Error('SEV: the hypervisor does not support SNP');
    // The GHCB page becomes shared (MSR-protocol PSC), then registered (REG_GPA).
    const gfn = BigInt(t.ghcbGpa / PAGE);
    const psc = this.msr(pscRequest(gfn, SNP_PAGE_STATE_SHARED));
    if (ghcbInfo(psc) !== GHCB_MSR_PSC_RESP || psc >> 32n !== 0n) throw new Error('SEV: PSC of the GHCB page failed');
    const bytes = m.shared(t.ghcbGpa, PAGE);
    if (!bytes) throw new Error('SEV: the GHCB page is not shared after PSC');
    const reg = this.msr(regGpaRequest(gfn));
    if (ghcbInfo(reg) !== GHCB_MSR_REG_GPA_RESP || decodeRegGpa(reg) !== gfn) throw new Error('SEV: GHCB registration refused');
    this.page = new GhcbPage(bytes);
    this.page.bytes.fill(0);
    this.page.protocolVersion = GHCB_PROTOCOL_MAX;
    this.page.usage = 0;
    // The guest-request pages and the I/O buffer become shared through the GHCB (VMGEXIT PSC).
    const gfns: number[] = [t.reqGpa / PAGE, t.respGpa / PAGE];
    for (let p = 0; p < t.ioLen; p += PAGE) gfns.push((t.ioGpa + p) / PAGE);
    for (let i = 0; i < gfns.length; i += VMGEXIT_PSC_MAX_ENTRY) {
      const desc = encodePscDesc(gfns.slice(i, i + VMGEXIT_PSC_MAX_ENTRY).map((g) => ({ gfn: g, op: SNP_PAGE_STATE_SHARED, pageSize: 0 })));
      this.page.invalidate();
      this.page.sharedBuffer.fill(0);
      this.page.sharedBuffer.set(desc);
      this.page.set(GHCB_SW_SCRATCH_OFFSET, BigInt(t.ghcbGpa + GHCB_SHARED_BUFFER_OFFSET));
      this.page.setExit(SVM_VMGEXIT_PSC, 0n, 0n);
      this.exit();
      if (this.page.get(GHCB_SW_EXIT_INFO_2_OFFSET) !== 0n) throw new Error('SEV: VMGEXIT PSC failed');
    }
    const io = m.shared(t.ioGpa, t.ioLen), req = m.shared(t.reqGpa, PAGE), resp = m.shared(t.respGpa, PAGE);
    if (!io || !req || !resp) throw new Error('SEV: shared pages are not shared after PSC');
    this.io = io;
    this.req = req;
    this.resp = resp;
  }

  /** An MSR-protocol request: write the MSR, VMGEXIT, read the answer. */
  private msr(v: bigint): bigint {
    this.m.writeGhcbMsr(v);
    this.m.vmgexit();
    return this.m.readGhcbMsr();
  }

  /** A GHCB-protocol VMGEXIT (sev_es_wr_ghcb_msr(__pa(ghcb)); VMGEXIT). */
  exit(): void {
    this.m.writeGhcbMsr(BigInt(this.t.ghcbGpa));
    this.m.vmgexit();
  }

  /** MSR-protocol termination request: the guest asks to be stopped; it does not come back. */
  terminate(reason: number): void {
    this.m.writeGhcbMsr(termRequest(SEV_TERM_SET_TEEOS, reason));
    this.m.vmgexit();
  }
}

/** TEE OS hypercalls through the GHCB. The reply is believed only within the bounds the request set. */
class GhcbChannel implements HostChannel {
  readonly maxPayload: number;
  count = 0;
  private readonly dv: DataView;
  constructor(private readonly g: Ghcb, private readonly t: BootTable) {
    this.dv = new DataView(g.io.buffer, g.io.byteOffset, g.io.byteLength);
    this.maxPayload = g.io.length - HC_DATA;
  }

  /** Sends one hypercall; returns ret (or -EIO when the host refused or answered out of bounds). */
  private hypercall(op: number, arg0: number, arg1: number, dataLen: number, fill?: (dv: DataView) => void): number {
    const dv = this.dv, p = this.g.page;
    dv.setUint32(HC_OP, op, true);
    dv.setUint32(4, 0, true);
    dv.setBigInt64(HC_ARG0, BigInt(arg0), true);
    dv.setBigUint64(HC_ARG1, BigInt(arg1), true);
    for (let o = HC_OUT_LEN; o < HC_DATA; o += 8) dv.setBigUint64(o, 0n, true);
    fill?.(dv);
    p.invalidate();
    p.set(GHCB_SW_SCRATCH_OFFSET, BigInt(this.t.ioGpa));
    p.setExit(SVM_VMGEXIT_TEEOS_HYPERCALL, BigInt(op), BigInt(HC_DATA + dataLen));
    this.count++;
    this.g.exit();
    const rax = p.get(GHCB_RAX_OFFSET);
    if (p.get(GHCB_SW_EXIT_INFO_1_OFFSET) !== 0n || rax === undefined) return -EIO;
    const ret = BigInt.asIntN(64, rax);
    if (ret < -4095n || ret > BigInt(Number.MAX_SAFE_INTEGER)) return -EIO;
    return Number(ret);
  }

  private outLen(max: number): number {
    const n = this.dv.getBigUint64(HC_OUT_LEN, true);
    return n > BigInt(max) ? -1 : Number(n);
  }

  call<R extends HostRequest>(req: R): ReplyOf<R> {
    return this.dispatch(req) as ReplyOf<R>;
  }

  private dispatch(req: HostRequest): HostReply {
    const io = this.g.io, dv = this.dv;
    switch (req.op) {
      case 'write': {
        const n = Math.min(req.data.length, this.maxPayload);
        io.set(req.data.subarray(0, n), HC_DATA);
        const ret = this.hypercall(TEEOS_HC_WRITE, req.fd, n, n);
        return { op: 'write', ret: ret > n ? -EIO : ret };
      }
      case 'read': {
        const len = Math.min(req.len, this.maxPayload);
        const ret = this.hypercall(TEEOS_HC_READ, req.fd, len, 0);
        if (ret < 0) return { op: 'read', ret, data: new Uint8Array(0) };
        const got = this.outLen(len);
        if (ret > len || got !== ret) return { op: 'read', ret: -EIO, data: new Uint8Array(0) };
        return { op: 'read', ret, data: io.slice(HC_DATA, HC_DATA + ret) };
      }
      case 'fstat': {
        const ret = this.hypercall(TEEOS_HC_FSTAT, req.fd, STAT_SIZE, 0);
        if (ret === 0 && this.outLen(STAT_SIZE) !== STAT_SIZE) return { op: 'fstat', ret: -EIO, stat: new Uint8Array(STAT_SIZE) };
        return { op: 'fstat', ret, stat: ret === 0 ? io.slice(HC_DATA, HC_DATA + STAT_SIZE) : new Uint8Array(STAT_SIZE) };
      }
      case 'tcgets': {
        const ret = this.hypercall(TEEOS_HC_TCGETS, req.fd, TERMIOS_SIZE, 0);
        if (ret === 0 && this.outLen(TERMIOS_SIZE) !== TERMIOS_SIZE) return { op: 'tcgets', ret: -EIO, termios: new Uint8Array(TERMIOS_SIZE) };
        return { op: 'tcgets', ret, termios: ret === 0 ? io.slice(HC_DATA, HC_DATA + TERMIOS_SIZE) : new Uint8Array(TERMIOS_SIZE) };
      }
      case 'winsize': {
        const ret = this.hypercall(TEEOS_HC_WINSIZE, req.fd, 0, 0);
        const rows = Number(dv.getBigInt64(HC_OUT0, true)), cols = Number(dv.getBigInt64(HC_OUT1, true));
        if (ret === 0 && (rows < 0 || rows > 0xffff || cols < 0 || cols > 0xffff)) return { op: 'winsize', ret: -EIO, rows: 0, cols: 0 };
        return { op: 'winsize', ret, rows: ret === 0 ? rows : 0, cols: ret === 0 ? cols : 0 };
      }
      case 'tcsets': {
        if (req.termios.length !== TERMIOS_SIZE || req.action < 0 || req.action > 2) return { op: 'tcsets', ret: -22 };
        io.set(req.termios, HC_DATA);
        const ret = this.hypercall(TEEOS_HC_TCSETS, req.fd, req.action, TERMIOS_SIZE);
        return { op: 'tcsets', ret: ret > 0 ? -EIO : ret };
      }
      case 'fs': {
        const room = this.maxPayload;
        if (req.data.length > room || req.outLen > room || req.outLen < 0) return { op: 'fs', ret: -22, data: new Uint8Array(0) };
        io.set(req.data, HC_DATA);
        const ret = this.hypercall(TEEOS_HC_FS, req.nr, req.data.length, Math.max(req.data.length, req.outLen), (d) => {
          d.setBigUint64(HC_OUT_LEN, BigInt(req.outLen), true);
          for (let i = 0; i < 4; i++) d.setBigInt64(HC_FS_ARGS + 8 * i, BigInt(Math.trunc(req.args[i] ?? 0)), true);
        });
        const got = this.outLen(req.outLen);
        if (got < 0) return { op: 'fs', ret: -EIO, data: new Uint8Array(0) };
        const data = new Uint8Array(req.outLen);
        data.set(io.subarray(HC_DATA, HC_DATA + got));
        return { op: 'fs', ret, data };
      }
      case 'clock': {
        const ret = this.hypercall(TEEOS_HC_CLOCK, req.clock === 'realtime' ? 0 : 1, 0, 0);
        const sec = Number(dv.getBigInt64(HC_OUT0, true)), nsec = Number(dv.getBigInt64(HC_OUT1, true));
        return { op: 'clock', ret, sec, nsec };
      }
    }
  }

  console(line: string): void {
    const b = new TextEncoder().encode(line.endsWith('\n') ? line : line + '\n');
    const n = Math.min(b.length, this.maxPayload);
    this.g.io.set(b.subarray(0, n), HC_DATA);
    this.hypercall(TEEOS_HC_CONSOLE, 0, n, n);
  }

  exit(status: number): void {
    this.hypercall(TEEOS_HC_EXIT, status, 0, 0);
  }
}

/** SNP_GUEST_REQUEST messages to the PSP, encrypted with VMPCK0. */
class SevIdentity implements Identity {
  private readonly channel: SnpGuestChannel;
  constructor(private readonly g: Ghcb, private readonly t: BootTable, m: SevMachine) {
    const off = t.secretsGpa - m.ramBase + SECRETS_VMPCK0_OFFSET;
    this.channel = new SnpGuestChannel(m.ram.slice(off, off + VMPCK_SIZE), 0);
  }

  private guestRequest(type: number, payload: Uint8Array): Uint8Array {
    const msg = this.channel.request(type, payload);
    this.g.req.fill(0);
    this.g.req.set(msg);
    this.g.resp.fill(0);
    const p = this.g.page;
    p.invalidate();
    p.setExit(SVM_VMGEXIT_GUEST_REQUEST, BigInt(this.t.reqGpa), BigInt(this.t.respGpa));
    this.g.exit();
    const fw = p.get(GHCB_SW_EXIT_INFO_2_OFFSET);
    if (fw !== 0n) {
      // The outstanding request is never completed: like Linux's snp_disable_vmpck, no further
      // message can be sent on this VMPCK (that would reuse a sequence number).
      throw new Error(`SNP_GUEST_REQUEST failed (exit info 2 = ${fw === undefined ? 'not set' : '0x' + fw.toString(16)})`);
    }
    const size = SNP_GUEST_MSG_HDR_SIZE + decodeGuestMsgHdr(this.g.resp).msgSz;
    if (size > SNP_GUEST_MSG_SIZE) throw new Error('SNP_GUEST_REQUEST: response larger than a page');
    const r = this.channel.response(this.g.resp.slice(0, size));
    if (!r.ok) throw new Error(`SNP_GUEST_REQUEST: bad response: ${r.reason}`);
    return r.payload;
  }

  report(userData: Uint8Array): Uint8Array {
    if (userData.length > 64) throw new RangeError('SEV-SNP report data is at most 64 bytes');
    const data = new Uint8Array(64);
    data.set(userData);
    const rsp = decodeReportRsp(this.guestRequest(SNP_MSG_REPORT_REQ, encodeReportReq({ userData: data, vmpl: 0 })));
    if (rsp.status !== 0 || rsp.reportSize !== REPORT_SIZE || rsp.report.length !== REPORT_SIZE) {
      throw new Error(`MSG_REPORT_RSP status 0x${rsp.status.toString(16)}, size ${rsp.reportSize}`);
    }
    return rsp.report;
  }

  measurement(): Uint8Array {
    return this.report(new Uint8Array(0)).slice(REPORT_MEASUREMENT_OFFSET, REPORT_MEASUREMENT_OFFSET + 48);
  }

  /**
   * MSG_KEY_REQ (struct snp_derived_key_req: root_key_select 0 = VCEK root, guest_field_select =
   * policy | measurement, vmpl 0, guest_svn 0, tcb_version 0), then the label mixed in inside the
   * guest: HMAC-SHA-384(derived key, "TEEOS-SEAL" || label)[0..32].
   */
  sealingKey(label: Uint8Array): Uint8Array {
    const req = new Uint8Array(0x20);
    new DataView(req.buffer).setBigUint64(8, 1n | 8n, true);
    const rsp = this.guestRequest(SNP_MSG_KEY_REQ, req);
    if (rsp.length !== 0x40 || new DataView(rsp.buffer, rsp.byteOffset).getUint32(0, true) !== 0) throw new Error('MSG_KEY_RSP failed');
    const key = rsp.slice(0x20, 0x40);
    const msg = new Uint8Array(10 + label.length);
    msg.set(new TextEncoder().encode('TEEOS-SEAL'));
    msg.set(label, 10);
    return hmac(sha384, key, msg).slice(0, 32);
  }
}

export class SevPlatform implements Platform {
  readonly name = 'sev';
  readonly exec: SevExecution;
  readonly memory: SevMemory;
  readonly host: GhcbChannel;
  readonly identity: SevIdentity;
  private readonly ghcb: Ghcb;

  constructor(private readonly m: SevMachine, t: BootTable) {
    this.exec = new SevExecution(m);
    this.memory = new SevMemory(m, t);
    this.ghcb = new Ghcb(m, t);
    this.host = new GhcbChannel(this.ghcb, t);
    this.identity = new SevIdentity(this.ghcb, t, m);
  }

  random(buf: Uint8Array): void {
    this.m.rdrand(buf);
  }

  monotonicNs(): number {
    return Number(this.m.hart.readCSR(CSR_TIME)) * NS_PER_TICK;
  }

  sleepNs(ns: number): void {
    // HLT until the next timer: the model blocks the vCPU's thread for that long.
    const ms = Math.min(Math.max(ns / 1e6, 0), 1000);
    Atomics.wait(this.idleWord, 0, 0, ms);
  }
  private readonly idleWord = new Int32Array(new SharedArrayBuffer(4));

  exit(waitStatus: number): void {
    this.host.exit(waitStatus);
    this.m.halt();
  }

  log(line: string): void {
    this.host.console(line);
  }

  /** A kernel failure: ask the hypervisor to terminate us (GHCB MSR protocol TERM). */
  panic(): void {
    try {
      this.ghcb.terminate(TEEOS_TERM_PANIC);
    } finally {
      this.m.halt();
    }
  }
}

/** Before the GHCB exists a failure can only be reported by the MSR protocol. */
export function terminateEarly(m: SevMachine): void {
  try {
    m.writeGhcbMsr(termRequest(SEV_TERM_SET_TEEOS, TEEOS_TERM_PANIC));
    m.vmgexit();
  } catch { /* the hypervisor stopped us, as asked */ }
  m.halt();
}
