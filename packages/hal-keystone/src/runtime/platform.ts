/**
 * The HAL on Keystone: what Eyrie (keystone runtime/) does for the kernel, modelled.
 * - execution: sret into U-mode, take the trap back in S-mode (runtime/sys/entry.S role);
 * - memory: the EPM; the kernel owns Sv39 page tables and switches satp;
 * - host calls: edge calls in the UTM (runtime/call/syscall.c, io_wrap.c), then
 *   SBI_SM_STOP_ENCLAVE(STOP_EDGE_CALL_HOST) until the host resumes us;
 * - identity: SBI_SM_ATTEST_ENCLAVE and SBI_SM_GET_SEALING_KEY.
 */
import { HartUserRegisters, runUserOnHart } from '@teeos/riscv/supervisor';
import type {
  EnclaveMemory, Execution, HostChannel, HostReply, HostRequest, Identity, Platform, ReplyOf, UserRegisters, UserTrap,
} from '@teeos/hal';
import type { KeystoneMachine } from '../machine/machine.ts';
import type { RuntimeParams } from '../machine/protocol.ts';
import {
  CALL_STATUS_OK, EDGECALL_CONSOLE, EDGECALL_SYSCALL, SBI_SM_ATTEST_ENCLAVE, SBI_SM_EXIT_ENCLAVE,
  SBI_SM_GET_SEALING_KEY, SBI_SM_RANDOM, SBI_SM_STOP_ENCLAVE, STAT_SIZE, STOP_EDGE_CALL_HOST, SYS_clock_gettime,
  SYS_fstat, SYS_ioctl, SYS_read, SYS_write, TCGETS, TERMIOS_SIZE, TIOCGWINSZ, WINSIZE_SIZE,
} from '../constants.ts';
import { EDGE_DATA, SARGS, getI64, readHeader, setI64, setU64, validRange, writeRequestHeader } from '../edge/wire.ts';
import { KEYSTONE_REPORT_SIZE, ENCLAVE_HASH_OFFSET } from '../identity/report.ts';
import { SEALING_KEY_SIZE } from '../identity/sealing.ts';

const CSR_SATP = 0x180, CSR_TIME = 0xc01;
const SATP_MODE_SV39 = 8n << 60n;
/** The `time` CSR ticks at 10 MHz in this machine model. */
const NS_PER_TICK = 100;

class KeystoneExecution implements Execution {
  readonly regs: UserRegisters;
  readonly hartCount = 1;
  readonly preemptive = false;
  constructor(private readonly m: KeystoneMachine) {
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

class KeystoneMemory implements EnclaveMemory {
  readonly bytes: Uint8Array;
  readonly phys;
  readonly free;
  readonly appImage;
  readonly paging = 'sv39' as const;
  constructor(private readonly m: KeystoneMachine, p: RuntimeParams) {
    this.bytes = m.epm;
    this.phys = { base: p.dramBase, size: p.dramSize };
    // The top page of the EPM is the runtime's scratch page for SBI calls (report, key).
    this.free = { base: p.freeBase, size: p.dramBase + p.dramSize - p.freeBase - 4096 };
    this.appImage = { base: p.userBase, size: p.freeBase - p.userBase, length: p.freeBase - p.userBase };
  }
  activatePageTable(rootPaddr: number, asid: number): void {
    this.m.hart.writeCSR(CSR_SATP, SATP_MODE_SV39 | (BigInt(asid & 0xffff) << 44n) | BigInt(rootPaddr / 4096));
  }
  flushTlb(): void {
    this.m.hart.flushTLB();
  }
}

/** Edge calls over the UTM. The reply is believed only within the bounds the request set. */
class EdgeCallChannel implements HostChannel {
  readonly maxPayload: number;
  count = 0;
  private readonly dv: DataView;
  constructor(private readonly m: KeystoneMachine) {
    this.dv = new DataView(m.utm.buffer, m.utm.byteOffset, m.utm.byteLength);
    this.maxPayload = Math.min(m.utm.length - SARGS - 16, 1 << 20);
  }

  /** Sends the call in the UTM and waits for the host; returns the syscall ret (or -EIO). */
  private edgeCall(callId: number, argSize: number): number {
    writeRequestHeader(this.dv, callId, argSize);
    this.count++;
    const r = this.m.sbi(SBI_SM_STOP_ENCLAVE, [STOP_EDGE_CALL_HOST]);
    if (r.error !== 0) return -5;
    const h = readHeader(this.dv);
    if (h.status !== CALL_STATUS_OK) return -5; // EIO
    if (!validRange(h.retOffset, h.retSize, this.m.utm.length) || h.retOffset !== EDGE_DATA || h.retSize !== 8) return -5;
    const ret = getI64(this.dv, EDGE_DATA);
    return ret < -4095 ? -5 : ret;
  }

  private syscallHeader(nr: number): void {
    setU64(this.dv, EDGE_DATA, nr);
  }

  call<R extends HostRequest>(req: R): ReplyOf<R> {
    return this.dispatch(req) as ReplyOf<R>;
  }

  private dispatch(req: HostRequest): HostReply {
    const dv = this.dv, utm = this.m.utm;
    switch (req.op) {
      case 'write': {
        this.syscallHeader(SYS_write);
        setI64(dv, SARGS, req.fd);
        setU64(dv, SARGS + 8, req.data.length);
        utm.set(req.data, SARGS + 16);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 16 + req.data.length);
        return { op: 'write', ret: ret > req.data.length ? -5 : ret };
      }
      case 'read': {
        const len = Math.min(req.len, this.maxPayload);
        this.syscallHeader(SYS_read);
        setI64(dv, SARGS, req.fd);
        setU64(dv, SARGS + 8, len);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 16 + len);
        if (ret > len) return { op: 'read', ret: -5, data: new Uint8Array(0) };
        return { op: 'read', ret, data: ret > 0 ? utm.slice(SARGS + 16, SARGS + 16 + ret) : new Uint8Array(0) };
      }
      case 'fstat': {
        this.syscallHeader(SYS_fstat);
        setI64(dv, SARGS, req.fd);
        utm.fill(0, SARGS + 8, SARGS + 8 + STAT_SIZE);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 8 + STAT_SIZE);
        return { op: 'fstat', ret, stat: utm.slice(SARGS + 8, SARGS + 8 + STAT_SIZE) };
      }
      case 'tcgets': {
        this.syscallHeader(SYS_ioctl);
        setI64(dv, SARGS, req.fd);
        setU64(dv, SARGS + 8, TCGETS);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 16 + TERMIOS_SIZE);
        return { op: 'tcgets', ret, termios: utm.slice(SARGS + 16, SARGS + 16 + TERMIOS_SIZE) };
      }
      case 'winsize': {
        this.syscallHeader(SYS_ioctl);
        setI64(dv, SARGS, req.fd);
        setU64(dv, SARGS + 8, TIOCGWINSZ);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 16 + WINSIZE_SIZE);
        return { op: 'winsize', ret, rows: dv.getUint16(SARGS + 16, true), cols: dv.getUint16(SARGS + 18, true) };
      }
      case 'tcsets': {
        // SYS_ioctl(fd, TCSETS + action, termios) with the termios in arg[]
        if (req.termios.length !== TERMIOS_SIZE || req.action < 0 || req.action > 2) return { op: 'tcsets', ret: -22 };
        this.syscallHeader(SYS_ioctl);
        setI64(dv, SARGS, req.fd);
        setU64(dv, SARGS + 8, TCGETS + 1 + req.action);
        utm.set(req.termios, SARGS + 16);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 16 + TERMIOS_SIZE);
        return { op: 'tcsets', ret: ret > 0 ? -5 : ret };
      }
      case 'fs': {
        // sargs_teeos_fs (TEE OS extension): { i64 a0@0 a1@8 a2@16 a3@24; u64 in_len@32; u64 out_len@40; u8 buf[]@48 }
        // buf holds the input; the host writes the output over it from buf[0].
        const room = this.maxPayload - 48;
        if (req.data.length > room || req.outLen > room || req.outLen < 0) return { op: 'fs', ret: -22, data: new Uint8Array(0) };
        this.syscallHeader(req.nr);
        for (let i = 0; i < 4; i++) setI64(dv, SARGS + 8 * i, req.args[i] ?? 0);
        setU64(dv, SARGS + 32, req.data.length);
        setU64(dv, SARGS + 40, req.outLen);
        utm.set(req.data, SARGS + 48);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 48 + Math.max(req.data.length, req.outLen));
        return { op: 'fs', ret, data: utm.slice(SARGS + 48, SARGS + 48 + req.outLen) };
      }
      case 'clock': {
        this.syscallHeader(SYS_clock_gettime);
        setI64(dv, SARGS, req.clock === 'realtime' ? 0 : 1);
        const ret = this.edgeCall(EDGECALL_SYSCALL, 8 + 8 + 16);
        return { op: 'clock', ret, sec: getI64(dv, SARGS + 8), nsec: getI64(dv, SARGS + 16) };
      }
    }
  }

  /** A console line for the operator (EDGECALL_CONSOLE, a TEE OS extension). */
  console(line: string): void {
    const b = new TextEncoder().encode(line.endsWith('\n') ? line : line + '\n');
    const n = Math.min(b.length, this.maxPayload);
    this.m.utm.set(b.subarray(0, n), EDGE_DATA);
    this.edgeCall(EDGECALL_CONSOLE, n);
  }
}

class KeystoneIdentity implements Identity {
  constructor(private readonly m: KeystoneMachine, private readonly scratch: number, private readonly p: RuntimeParams) {}
  report(userData: Uint8Array): Uint8Array {
    if (userData.length > 1024) throw new RangeError('attestation data is at most 1024 bytes');
    const off = this.scratch - this.p.dramBase;
    const dataPa = this.scratch + KEYSTONE_REPORT_SIZE;
    this.m.epm.set(userData, off + KEYSTONE_REPORT_SIZE);
    const r = this.m.sbi(SBI_SM_ATTEST_ENCLAVE, [this.scratch, dataPa, userData.length]);
    if (r.error !== 0) throw new Error(`SBI_SM_ATTEST_ENCLAVE failed: ${r.error}`);
    return this.m.epm.slice(off, off + KEYSTONE_REPORT_SIZE);
  }
  measurement(): Uint8Array {
    return this.report(new Uint8Array(0)).slice(ENCLAVE_HASH_OFFSET, ENCLAVE_HASH_OFFSET + 64);
  }
  sealingKey(label: Uint8Array): Uint8Array {
    if (label.length > 128) throw new RangeError('key identifier is at most 128 bytes');
    const off = this.scratch - this.p.dramBase;
    this.m.epm.set(label, off + 256);
    const r = this.m.sbi(SBI_SM_GET_SEALING_KEY, [this.scratch, this.scratch + 256, label.length]);
    if (r.error !== 0) throw new Error(`SBI_SM_GET_SEALING_KEY failed: ${r.error}`);
    return this.m.epm.slice(off, off + SEALING_KEY_SIZE);
  }
}

export class KeystonePlatform implements Platform {
  readonly name = 'keystone';
  readonly exec: KeystoneExecution;
  readonly memory: KeystoneMemory;
  readonly host: EdgeCallChannel;
  readonly identity: KeystoneIdentity;

  constructor(private readonly m: KeystoneMachine, p: RuntimeParams) {
    this.exec = new KeystoneExecution(m);
    this.memory = new KeystoneMemory(m, p);
    this.host = new EdgeCallChannel(m);
    this.identity = new KeystoneIdentity(m, p.dramBase + p.dramSize - 4096, p);
  }

  random(buf: Uint8Array): void {
    for (let i = 0; i < buf.length; i += 4) {
      const v = this.m.sbi(SBI_SM_RANDOM, []).value;
      for (let j = 0; j < 4 && i + j < buf.length; j++) buf[i + j] = (v >>> (8 * j)) & 0xff;
    }
  }

  monotonicNs(): number {
    return Number(this.m.hart.readCSR(CSR_TIME)) * NS_PER_TICK;
  }

  sleepNs(ns: number): void {
    // WFI until the timer: the model blocks the hart's thread for that long.
    const ms = Math.min(Math.max(ns / 1e6, 0), 1000);
    Atomics.wait(this.idleWord, 0, 0, ms);
  }
  private readonly idleWord = new Int32Array(new SharedArrayBuffer(4));

  exit(waitStatus: number): void {
    this.m.sbi(SBI_SM_EXIT_ENCLAVE, [waitStatus]);
  }

  log(line: string): void {
    this.host.console(line);
  }
}
