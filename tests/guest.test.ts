/**
 * Every tests/guest program runs in the enclave and must give the same stdout and exit
 * status as the same binary under qemu-riscv64 (tests/guest/expected, recorded by
 * scripts/gen-guest-expected.sh). The invocation contract is tests/guest/README.md's.
 * TEEOS_TEE selects the platform model (CI runs the suite per model).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const tee = process.env.TEEOS_TEE ?? 'keystone';
/** TEEOS_JIT=0|1|force selects the CPU tier (teeos run --no-jit / --jit / --jit=force); unset: the default. */
const jitEnv = process.env.TEEOS_JIT;
const jitFlag = jitEnv === undefined || jitEnv === '' ? [] : jitEnv === '0' ? ['--no-jit'] : [`--jit=${jitEnv}`];

interface Case { name: string; binary: string; args: string[]; env: Record<string, string>; stdin: string | null }
const cases: Case[] = JSON.parse(readFileSync(guestDir + 'cases.json', 'utf8'));
/**
 * SGX: fork is a new enclave resuming from a sealed checkpoint (hal-sgx runtime/family.ts,
 * linux-abi family.ts). Programs that still differ there would be listed here with the reason
 * (none now: pidfd_getfd and kcmp reach other enclaves, family-fds.ts).
 * (fork_many, 200 enclaves alive at once, runs: 4.7 min and 6.3 GB resident at a load of 9 on
 * 2 cores, each enclave a machine Worker of about 31 MB.)
 */
const NEEDS_FORK = new Map<string, string>([
]);
/**
 * SGX's fixed linear pages cannot put one frame at two addresses: a file page migrates between its
 * mappings, inside one enclave and across enclaves (mmap_file, mmap_alias, mmap_shared and sysv_shm pass).
 */
const NEEDS_SHARED_FILE_PAGES = new Map<string, string>([]);
/**
 * SGX: these wait on futexes in MAP_SHARED memory across fork (a new enclave). The memory itself
 * is shared confidentially (an unlinked shmem object whose pages migrate between the enclaves,
 * docs/sgx-fork.md), but a FUTEX_WAKE reaches only its own enclave's waiters; across enclaves
 * only untrusted shared memory (host memory the host can read and change) wakes them. They run
 * with that insecure opt-in (`--untrusted-shared-memory`), and only they.
 */
// None now: futex_keys, futex_threads, pthread_sync and pshared_sync share their futexes across
// enclaves through the page owner (docs/sgx-fork.md).
const NEEDS_UNTRUSTED_SHM = new Map<string, string>([]);
const teeFlags = (name: string) => (tee === 'sgx' && NEEDS_UNTRUSTED_SHM.has(name) ? ['--untrusted-shared-memory'] : []);
const skipReason = (name: string) => (tee === 'sgx' && NEEDS_FORK.has(name) ? `sgx fork: ${NEEDS_FORK.get(name)}`
  : tee === 'sgx' && NEEDS_SHARED_FILE_PAGES.has(name) ? NEEDS_SHARED_FILE_PAGES.get(name)! : false);

for (const c of cases) {
  test(`guest ${c.name} on ${tee} matches qemu-riscv64`, { timeout: 660_000, skip: skipReason(c.name) }, () => {
    const fd = openSync(c.stdin ? guestDir + c.stdin : '/dev/null', 'r');
    const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, ...teeFlags(c.name), ...jitFlag, c.binary, ...c.args], {
      cwd: guestDir, env: c.env, stdio: [fd, 'pipe', 'pipe'], maxBuffer: 1 << 28, timeout: 600_000, // the interpreter runs malloc's 2.4G instructions in ~45 s
    });
    closeSync(fd);
    const want = readFileSync(`${guestDir}expected/${c.name}.stdout`);
    const status = Number(readFileSync(`${guestDir}expected/${c.name}.status`, 'utf8'));
    const diag = `stderr:\n${r.stderr.toString().slice(0, 4000)}`;
    assert.equal(r.stdout.toString(), want.toString(), diag);
    assert.equal(r.status, status, diag);
  });
}
