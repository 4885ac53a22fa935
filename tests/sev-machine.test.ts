/**
 * The SEV-SNP model's pieces in isolation: the PSP's launch digest equals the host's, the
 * trust anchor is the PSP's VCEK, guest requests are sealed with VMPCK0 and replays refused, the
 * hypervisor refuses GHCB traffic until the guest made the page shared and registered it, the
 * RMP keeps the shared window private until a PSC, and the runtime bundle holds SEV code only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Psp } from '../packages/hal-sev/src/machine/psp.ts';
import { SharedWindowRmp, encodePscDesc, decodePscDesc } from '../packages/hal-sev/src/machine/rmp.ts';
import {
  sevLaunchPlan, RAM_BASE, PAGE, SECRETS_VMPCK0_OFFSET, SHARED_BASE, SHARED_SIZE, GHCB_GPA, IO_GPA, CTL_MSR_Q,
  CTL_BYTES,
} from '../packages/hal-sev/src/machine/protocol.ts';
import { launchDigestOf } from '../packages/hal-sev/src/machine/measure.ts';
import { Hypervisor, sevModelVcekPublicKey, type HostServices } from '../packages/hal-sev/src/host/index.ts';
import { SnpGuestChannel, encodeReportReq, decodeReportRsp, SNP_MSG_REPORT_REQ } from '../packages/hal-sev/src/guest-msg.ts';
import { verifySnpReport } from '../packages/hal-sev/src/report.ts';
import {
  GhcbPage, pscRequest, regGpaRequest, decodeGhcbMsr, SNP_PAGE_STATE_SHARED, GHCB_RAX_OFFSET, GHCB_SW_SCRATCH_OFFSET,
  GHCB_SW_EXIT_INFO_1_OFFSET,
} from '../packages/hal-sev/src/ghcb.ts';
import { SVM_VMGEXIT_TEEOS_HYPERCALL, TEEOS_HC_WRITE, HC_DATA, HC_ARG0, HC_ARG1 } from '../packages/hal-sev/src/machine/hypercall.ts';

function launch() {
  const te = new TextEncoder();
  const plan = sevLaunchPlan(te.encode('export async function boot() {}'), te.encode('export function sevMain() {}'), new Uint8Array(10000).fill(7));
  const psp = new Psp();
  const ram = new Uint8Array(4 << 20);
  psp.launchStart((1n << 16n) | (1n << 17n));
  for (const u of plan.updates) psp.launchUpdate(u, { bytes: ram, base: RAM_BASE });
  const f = psp.launchFinish();
  return { plan, psp, ram, measurement: f.measurement };
}

test('the PSP measures what the host expects; the trust anchor is its VCEK', () => {
  const { plan, psp, measurement } = launch();
  assert.deepEqual(measurement, launchDigestOf(plan.updates));
  assert.deepEqual(psp.vcekPublicKey, sevModelVcekPublicKey());
  assert.deepEqual(new Psp().vcekPublicKey, psp.vcekPublicKey, 'the model VCEK is deterministic');
});

test('a launch digest changes with any page of the application', () => {
  const te = new TextEncoder();
  const a = sevLaunchPlan(te.encode('s'), te.encode('r'), new Uint8Array([1, 2, 3]));
  const b = sevLaunchPlan(te.encode('s'), te.encode('r'), new Uint8Array([1, 2, 4]));
  assert.notDeepEqual(launchDigestOf(a.updates), launchDigestOf(b.updates));
});

test('guest requests: sealed with VMPCK0 from the SECRETS page, report signed over the data, replay refused', () => {
  const { plan, psp, ram, measurement } = launch();
  const off = plan.table.secretsGpa - RAM_BASE + SECRETS_VMPCK0_OFFSET;
  const ch = new SnpGuestChannel(ram.slice(off, off + 32), 0);
  const data = new Uint8Array(64).fill(0x5a);
  const req = ch.request(SNP_MSG_REPORT_REQ, encodeReportReq({ userData: data, vmpl: 0 }));
  const reqPage = new Uint8Array(PAGE), respPage = new Uint8Array(PAGE);
  reqPage.set(req);
  assert.equal(psp.guestRequest(reqPage, respPage), 0);
  const r = ch.response(respPage.slice(0, 0x60 + new DataView(respPage.buffer).getUint16(0x36, true)));
  assert.ok(r.ok);
  const rsp = decodeReportRsp(r.payload);
  const v = verifySnpReport(rsp.report, { vcekPublicKey: sevModelVcekPublicKey(), expectedMeasurement: measurement, expectedReportData: data });
  assert.ok(v.ok, v.ok ? '' : v.reason);
  // The same request again (a replay by the hypervisor) is refused by the PSP.
  assert.notEqual(psp.guestRequest(reqPage, new Uint8Array(PAGE)), 0);
  // A wrong key is refused too.
  const other = new SnpGuestChannel(new Uint8Array(32).fill(1), 0, 3n);
  const bad = new Uint8Array(PAGE);
  bad.set(other.request(SNP_MSG_REPORT_REQ, encodeReportReq({ userData: data, vmpl: 0 })));
  assert.notEqual(psp.guestRequest(bad, new Uint8Array(PAGE)), 0);
});

test('the RMP keeps the shared window private until a page state change', () => {
  const rmp = new SharedWindowRmp(SHARED_BASE, 4);
  assert.equal(rmp.isShared(SHARED_BASE), false);
  assert.equal(rmp.update(SHARED_BASE + PAGE, SNP_PAGE_STATE_SHARED), true);
  assert.equal(rmp.isShared(SHARED_BASE + PAGE), true);
  assert.equal(rmp.update(RAM_BASE, SNP_PAGE_STATE_SHARED), false, 'guest RAM is never shared');
  const d = decodePscDesc(encodePscDesc([{ gfn: 0x40003, op: 2, pageSize: 0 }, { gfn: 0x40004, op: 1, pageSize: 0 }]));
  assert.deepEqual(d, { cur: 0, end: 1, entries: [{ gfn: 0x40003, op: 2, pageSize: 0 }, { gfn: 0x40004, op: 1, pageSize: 0 }] });
});

test('the hypervisor refuses GHCB traffic until the GHCB is shared and registered', () => {
  const shared = new SharedArrayBuffer(SHARED_SIZE);
  const q = new BigUint64Array(new SharedArrayBuffer(CTL_BYTES));
  const writes: string[] = [];
  const services = { write: (_fd: number, d: Uint8Array) => { writes.push(new TextDecoder().decode(d)); return d.length; } } as unknown as HostServices;
  const hv = new Hypervisor(shared, q, CTL_MSR_Q, services);
  const bytes = new Uint8Array(shared);
  const ghcb = new GhcbPage(bytes.subarray(0, PAGE));
  const io = new DataView(shared, IO_GPA - SHARED_BASE);
  const hypercall = () => {
    io.setUint32(0, TEEOS_HC_WRITE, true);
    io.setBigInt64(HC_ARG0, 1n, true);
    io.setBigUint64(HC_ARG1, 2n, true);
    bytes.set(new TextEncoder().encode('hi'), IO_GPA - SHARED_BASE + HC_DATA);
    ghcb.invalidate();
    ghcb.set(GHCB_SW_SCRATCH_OFFSET, BigInt(IO_GPA));
    ghcb.setExit(SVM_VMGEXIT_TEEOS_HYPERCALL, BigInt(TEEOS_HC_WRITE), BigInt(HC_DATA + 2));
    q[CTL_MSR_Q] = BigInt(GHCB_GPA);
    return hv.handleExit();
  };
  // Before any PSC: refused, nothing written.
  assert.equal(hypercall().kind, 'terminate');
  assert.deepEqual(writes, []);
  // Shared but not registered: refused.
  q[CTL_MSR_Q] = pscRequest(BigInt(GHCB_GPA / PAGE), SNP_PAGE_STATE_SHARED);
  hv.handleExit();
  assert.equal(decodeGhcbMsr(q[CTL_MSR_Q]).kind, 'PSC_RESP');
  assert.equal(hypercall().kind, 'terminate');
  q[CTL_MSR_Q] = regGpaRequest(BigInt(GHCB_GPA / PAGE));
  hv.handleExit();
  // Registered, but the I/O page is still private: the call is refused (exit info 1 = 1).
  assert.equal(hypercall().kind, 'resume');
  assert.equal(ghcb.get(GHCB_SW_EXIT_INFO_1_OFFSET), 1n);
  assert.deepEqual(writes, []);
  q[CTL_MSR_Q] = pscRequest(BigInt(IO_GPA / PAGE), SNP_PAGE_STATE_SHARED);
  hv.handleExit();
  assert.equal(hypercall().kind, 'resume');
  assert.equal(ghcb.get(GHCB_SW_EXIT_INFO_1_OFFSET), 0n);
  assert.equal(ghcb.get(GHCB_RAX_OFFSET), 2n);
  assert.deepEqual(writes, ['hi']);
  // A PSC outside the shared window fails.
  q[CTL_MSR_Q] = pscRequest(BigInt(RAM_BASE / PAGE), SNP_PAGE_STATE_SHARED);
  hv.handleExit();
  assert.equal(q[CTL_MSR_Q] >> 32n, 1n);
});

test('dist/runtime-sev.cjs holds SEV platform code only', () => {
  const b = readFileSync(new URL('../dist/runtime-sev.cjs', import.meta.url), 'utf8');
  assert.doesNotMatch(b, /[Kk]eystone|SBI_SM_|[Ss]gx|SGX|ENCLU/);
  assert.match(b, /sevMain/);
  assert.doesNotMatch(b, /c7634d81f4372ddf/, 'no P-384 code or PSP in the guest runtime');
});
