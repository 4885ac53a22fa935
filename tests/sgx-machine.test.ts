/**
 * The SGX model's pieces in isolation: the machine's MRENCLAVE equals the host's; EINIT refuses a
 * SIGSTRUCT for another MRENCLAVE (and a tampered one); the SGX2 rules of EAUG / EACCEPT /
 * EACCEPTCOPY / EMODPE / EMODPR / EMODT / EREMOVE; the hart's table follows the EPCM; OCALL replies are checked against
 * the bounds the enclave set; and the runtime bundle holds SGX code only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Epc, LinearMap } from '../packages/hal-sgx/src/machine/epc.ts';
import {
  PAGE, EPC_BASE, ELRANGE_SIZE, RT_BASE, SSA_FRAME_PAGES, SI_R, SI_W, SI_X, SI_PENDING, SI_MODIFIED, SI_PR, PT_REG,
  PT_TRIM, siFlags, sgxBuildPlan, SGX_PF, SGX_PAGE_ATTRIBUTES_MISMATCH, SGX_PAGE_NOT_MODIFIABLE, SGX_INVALID_MEASUREMENT,
  SGX_INVALID_SIGNATURE, MS_RETVAL, MS_OUT_LEN, MS_DATA, ECMD_ORET, DEFAULT_TCS,
} from '../packages/hal-sgx/src/machine/protocol.ts';
import { mrenclaveOf, SgxEnclave, sgxExpectedMeasurement } from '../packages/hal-sgx/src/host/enclave.ts';
import { loadOrCreateDevKey } from '../packages/hal-sgx/src/host/devkey.ts';
import { defaultSigstructBody, signSigstruct, SIGSTRUCT_ENCLAVEHASH_OFFSET, mrsignerOf } from '../packages/hal-sgx/src/sigstruct.ts';
import { OcallChannel } from '../packages/hal-sgx/src/runtime/platform.ts';
import type { SgxMachine } from '../packages/hal-sgx/src/machine/machine.ts';

const key = loadOrCreateDevKey(fileURLToPath(new URL('../.cache/teeos/sgx-dev-key.pem', import.meta.url)));
const te = new TextEncoder();
const runtime = te.encode('export function sgxMain() {}');
const app = new Uint8Array(9000).fill(7);

function newEpc(pages = 512) {
  const epcBytes = new Uint8Array(pages * PAGE);
  const area = new Uint8Array(64 * PAGE);
  let flushes = 0;
  const map = new LinearMap(area, EPC_BASE + epcBytes.length);
  const epc = new Epc(epcBytes, map, { flushTlb: () => { flushes++; }, physWritten: () => {} }, { base: 0, size: RT_BASE });
  return { epc, area, map, flushes: () => flushes };
}

function build(sigEnclavehash?: Uint8Array) {
  const t = newEpc();
  const plan = sgxBuildPlan(runtime, app, DEFAULT_TCS);
  t.epc.ecreate(0, ELRANGE_SIZE, SSA_FRAME_PAGES);
  plan.ops.forEach((o, i) => t.epc.eadd(o.lin, i, o.flags, o.data, o.measure));
  const want = mrenclaveOf(plan.ops);
  const sig = signSigstruct(defaultSigstructBody(sigEnclavehash ?? want), key);
  return { ...t, plan, want, sig, used: plan.ops.length };
}

/** Reads the leaf PTE the machine built for va (0 when none). */
function pte(area: Uint8Array, rootPa: number, va: number): number {
  const dv = new DataView(area.buffer, area.byteOffset, area.byteLength);
  const areaPa = rootPa;
  let table = rootPa;
  for (const shift of [30, 21, 12]) {
    const e = dv.getUint32(table - areaPa + (Math.floor(va / 2 ** shift) % 512) * 8, true);
    if (!(e & 1)) return 0;
    if (shift === 12) return e;
    table = Math.floor(e / 1024) * PAGE;
  }
  return 0;
}

test('the machine measures what the host computes; EINIT accepts the signed SIGSTRUCT; MRSIGNER = SHA-256(modulus)', () => {
  const b = build();
  const r = b.epc.einit(b.sig);
  assert.equal(r.status, 0, 'reason' in r ? r.reason : '');
  assert.deepEqual(b.epc.mrenclave, b.want);
  assert.deepEqual(b.epc.identity!.mrsigner, mrsignerOf(key.n));
  assert.deepEqual(b.want, sgxExpectedMeasurement({ runtime, app }, DEFAULT_TCS));
  assert.notDeepEqual(sgxExpectedMeasurement({ runtime, app }, 2), b.want, 'the TCS count is part of MRENCLAVE');
  const app2 = app.slice(); app2[5000] ^= 1;
  assert.notDeepEqual(sgxExpectedMeasurement({ runtime, app: app2 }, DEFAULT_TCS), b.want, 'every app byte is measured');
});

test('EINIT refuses a SIGSTRUCT whose ENCLAVEHASH differs from the measured MRENCLAVE, and a tampered one', () => {
  const other = new Uint8Array(32).fill(0xab);
  const b = build(other);
  const r = b.epc.einit(b.sig);
  assert.equal(r.status, SGX_INVALID_MEASUREMENT);
  assert.equal(b.epc.initialized, false);
  assert.equal(b.epc.eaug(0x10000, b.used), 0x1000, 'nothing runs in an enclave EINIT refused');
  const c = build();
  const bad = c.sig.slice();
  bad[SIGSTRUCT_ENCLAVEHASH_OFFSET] ^= 1; // the signature no longer covers it
  assert.equal(c.epc.einit(bad).status, SGX_INVALID_SIGNATURE);
});

test('SGX2: EAUG + EACCEPT with matching SECINFO; EMODPE only extends; EMODPR only restricts until EACCEPT; the hart table follows the EPCM', () => {
  const b = build();
  assert.equal(b.epc.einit(b.sig).status, 0);
  const va = 0x10000, p = b.used;
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_R | SI_W | SI_PENDING)), SGX_PF, 'no page yet: #PF (the driver may EAUG)');
  assert.equal(b.epc.eaug(va, p), 0);
  assert.equal(b.epc.eaug(va, p + 1), SGX_PAGE_NOT_MODIFIABLE, 'one page per linear address');
  assert.equal(b.epc.page(va), -1, 'a PENDING page is not accessible');
  assert.equal(pte(b.area, b.map.rootPa, va), 0);
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_R | SI_W | SI_X | SI_PENDING)), SGX_PAGE_ATTRIBUTES_MISMATCH, 'EAUG pages are RW');
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_R | SI_W | SI_PENDING)), 0);
  assert.equal(b.epc.page(va), p);
  assert.equal(pte(b.area, b.map.rootPa, va) & 0xff, 0x1 | 0x2 | 0x4 | 0x10 | 0x40 | 0x80, 'V R W U A D');
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_R | SI_W | SI_PENDING)), SGX_PAGE_ATTRIBUTES_MISMATCH, 'accepted once');
  // EMODPE extends.
  assert.equal(b.epc.emodpe(va, SI_X), 0);
  assert.equal(b.epc.pageRights(va), SI_R | SI_W | SI_X);
  assert.equal(b.epc.emodpe(va, SI_W), 0x1000, 'W without R is refused (#GP)');
  // EMODPR restricts (AND), never extends; PR stays until EACCEPT with the exact rights.
  assert.equal(b.epc.emodpr(p, SI_R | SI_X), 0);
  assert.equal(b.epc.pageRights(va), SI_R | SI_X);
  assert.equal(pte(b.area, b.map.rootPa, va) & 0xe, 0x2 | 0x8, 'R X');
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_PR | SI_R)), SGX_PAGE_ATTRIBUTES_MISMATCH);
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_PR | SI_R | SI_X)), 0);
  assert.equal(b.epc.emodpr(p, SI_R | SI_W | SI_X), 0);
  assert.equal(b.epc.pageRights(va), SI_R | SI_X, 'EMODPR cannot add rights');
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_PR | SI_R | SI_W | SI_X)), SGX_PAGE_ATTRIBUTES_MISMATCH);
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_PR | SI_R | SI_X)), 0);
  // Measured image pages keep their EADD rights; the kernel may not EMODPE them to writable... it can
  // (SGX2 allows EMODPE on any REG page), but they are outside the user range the table maps.
  const cfg = b.plan.config;
  assert.equal(b.epc.pageRights(cfg.appLin), SI_R);
  assert.equal(pte(b.area, b.map.rootPa, cfg.appLin), 0, 'the runtime area is not in the hart table');
  // Trim: EMODT -> EACCEPT(MODIFIED) -> EREMOVE; REG pages of a running enclave cannot be EREMOVEd.
  assert.equal(b.epc.eremove(p), SGX_PAGE_NOT_MODIFIABLE);
  assert.equal(b.epc.emodt(p, PT_TRIM), 0);
  assert.equal(b.epc.page(va), -1);
  assert.equal(pte(b.area, b.map.rootPa, va), 0);
  assert.equal(b.epc.eremove(p), SGX_PAGE_NOT_MODIFIABLE, 'not before the enclave accepted the trim');
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_MODIFIED)), SGX_PAGE_ATTRIBUTES_MISMATCH);
  assert.equal(b.epc.eaccept(va, siFlags(PT_TRIM, SI_MODIFIED)), 0);
  assert.equal(b.epc.eremove(p), 0);
  assert.equal(b.epc.eaccept(va, siFlags(PT_REG, SI_R | SI_W | SI_PENDING)), SGX_PF);
  assert.ok(b.flushes() > 0);
  // EAUG outside ELRANGE is refused.
  assert.equal(b.epc.eaug(ELRANGE_SIZE, p), 0x1000);
});

test('SGX2: EACCEPTCOPY brings a pending page in with its contents and exactly the SECINFO rights, and nothing else', () => {
  const b = build();
  assert.equal(b.epc.einit(b.sig).status, 0);
  const va = 0x20000, p = b.used;
  const src = new Uint8Array(PAGE).map((_, i) => (i * 7) & 0xff);
  assert.equal(b.epc.eacceptcopy(va, siFlags(PT_REG, SI_R), src), SGX_PF, 'no page yet: #PF (the driver may EAUG)');
  assert.equal(b.epc.eaug(va, p), 0);
  assert.equal(b.epc.eacceptcopy(va, siFlags(PT_REG, SI_W), src), 0x1000, 'W without R: #GP');
  assert.equal(b.epc.eacceptcopy(va, siFlags(PT_REG, SI_R | SI_PENDING), src), 0x1000, 'SECINFO status bits: #GP');
  assert.equal(b.epc.eacceptcopy(va, siFlags(PT_TRIM, SI_R), src), 0x1000, 'only REG pages');
  assert.equal(b.epc.eacceptcopy(va, siFlags(PT_REG, SI_R), src.subarray(1)), 0x1000, 'a whole source page');
  assert.equal(b.epc.page(va), -1, 'still pending');
  assert.equal(b.epc.eacceptcopy(va, siFlags(PT_REG, SI_R | SI_X), src), 0);
  assert.equal(b.epc.page(va), p);
  assert.equal(b.epc.pageRights(va), SI_R | SI_X, 'the rights are exactly SECINFO\'s (no W on the way in)');
  assert.deepEqual(b.epc.bytes.subarray(p * PAGE, (p + 1) * PAGE), src);
  assert.equal(pte(b.area, b.map.rootPa, va) & 0xe, 0x2 | 0x8, 'R X in the hart table');
  assert.equal(b.epc.eacceptcopy(va, siFlags(PT_REG, SI_R | SI_X), src), SGX_PAGE_ATTRIBUTES_MISMATCH, 'only a pending page');
  // A page the host changed before the enclave took it (EMODPR of a pending page is refused; a
  // trimmed page is not pending): EACCEPTCOPY refuses it.
  const va2 = 0x21000;
  assert.equal(b.epc.eaug(va2, p + 1), 0);
  assert.equal(b.epc.emodt(p + 1, PT_TRIM), SGX_PAGE_NOT_MODIFIABLE, 'a pending page cannot be trimmed');
  assert.equal(b.epc.eaccept(va2, siFlags(PT_REG, SI_R | SI_W | SI_PENDING)), 0);
  assert.equal(b.epc.eacceptcopy(va2, siFlags(PT_REG, SI_R), src), SGX_PAGE_ATTRIBUTES_MISMATCH, 'an accepted page cannot be overwritten');
});

/** A machine whose "host" is a function run at EEXIT, over real untrusted memory. */
function fakeMachine(host: (u: Uint8Array, dv: DataView) => void): SgxMachine {
  const untrusted = new Uint8Array(1 << 16);
  const dv = new DataView(untrusted.buffer);
  return {
    untrusted,
    eexit: () => { host(untrusted, dv); return ECMD_ORET; },
  } as unknown as SgxMachine;
}

test('OCALL replies are believed only within the bounds the enclave set', () => {
  const setRet = (dv: DataView, v: bigint) => dv.setBigInt64(MS_RETVAL, v, true);
  // write: the host claims more bytes written than were sent.
  let ch = new OcallChannel(fakeMachine((_u, dv) => setRet(dv, 100n)));
  assert.equal(ch.call({ op: 'write', fd: 1, data: new Uint8Array(10) }).ret, -5);
  // read: out_len differs from the return value.
  ch = new OcallChannel(fakeMachine((_u, dv) => { setRet(dv, 4n); dv.setBigUint64(MS_OUT_LEN, 8n, true); }));
  assert.equal(ch.call({ op: 'read', fd: 0, len: 16 }).ret, -5);
  // read: more than asked for.
  ch = new OcallChannel(fakeMachine((_u, dv) => { setRet(dv, 32n); dv.setBigUint64(MS_OUT_LEN, 32n, true); }));
  assert.equal(ch.call({ op: 'read', fd: 0, len: 16 }).ret, -5);
  // an honest read.
  ch = new OcallChannel(fakeMachine((u, dv) => { u.set([1, 2, 3], MS_DATA); setRet(dv, 3n); dv.setBigUint64(MS_OUT_LEN, 3n, true); }));
  const r = ch.call({ op: 'read', fd: 0, len: 16 });
  assert.deepEqual([r.ret, [...r.data]], [3, [1, 2, 3]]);
  // a return value outside the syscall range.
  ch = new OcallChannel(fakeMachine((_u, dv) => setRet(dv, -100000n)));
  assert.equal(ch.call({ op: 'fstat', fd: 0 }).ret, -5);
  // the host EENTERs with something other than ECMD_ORET.
  const m = { untrusted: new Uint8Array(1 << 16), eexit: () => 0n } as unknown as SgxMachine;
  assert.throws(() => new OcallChannel(m).call({ op: 'winsize', fd: 1 }), /ECMD_ORET/);
});

test('SgxEnclave: the host refuses to run when EINIT refuses its SIGSTRUCT', async () => {
  const dist = new URL('../dist/', import.meta.url);
  const e = new SgxEnclave({ runtime: readFileSync(new URL('runtime-sgx.cjs', dist)), app }, {
    machinePath: new URL('sgx-machine.mjs', dist), epcSize: 8 << 20, tcs: 2, signingKey: key,
  });
  const forged = signSigstruct(defaultSigstructBody(new Uint8Array(32).fill(1)), key);
  await assert.rejects(e.start(forged), /ENCLAVEHASH differs from the measured MRENCLAVE/);
});

test('dist/runtime-sgx.cjs holds SGX platform code only, and no key derivation', () => {
  const b = readFileSync(new URL('../dist/runtime-sgx.cjs', import.meta.url), 'utf8');
  assert.doesNotMatch(b, /[Kk]eystone|SBI_SM_|VMGEXIT|GHCB|SEV-SNP|sevMain/);
  assert.match(b, /sgxMain/);
  assert.doesNotMatch(b, /ff00ff00ff00ff00|THISISOWNEREPOCH|5448495349534f574e455245504f4348/, 'the base keys stay in the machine');
  const m = readFileSync(new URL('../dist/sgx-machine.mjs', import.meta.url), 'utf8');
  assert.doesNotMatch(m, /sevMain|SBI_SM_/);
});
