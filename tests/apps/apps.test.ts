/**
 * Real programs (busybox, dash, lua 5.4, sqlite3 from Debian's sources, built static for
 * riscv64 by scripts/build-apps): every workload of tests/apps/lib.ts runs in the enclave
 * and under qemu-riscv64 (the same binary and inputs, at test time: nothing recorded), and
 * stdout and the exit status must be identical.
 *
 * Not part of `npm test` (its glob is tests/*.test.ts): .ci/run builds the apps and runs
 * this file. Without the binaries or qemu-riscv64 every test is skipped, saying why.
 * TEEOS_TEE selects the platform model; TEEOS_APPS_ONLY=name,name a subset. A workload
 * that forks is skipped, saying so, on a platform whose enclave cannot fork (probed).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKLOADS, whyNotRunnable, runQemu, runEnclave, forkWorks } from './lib.ts';

const tee = process.env.TEEOS_TEE ?? 'keystone';
const only = process.env.TEEOS_APPS_ONLY?.split(',').filter(Boolean) ?? null;
const skip = whyNotRunnable() ?? false;
const canFork = skip ? false : await forkWorks(tee);
const hostSqlite = spawnSync('sqlite3', ['-version']).status === 0;

describe(`apps on ${tee}`, { concurrency: 2 }, () => {
  for (const w of WORKLOADS) {
    if (only && !only.includes(w.name) && !only.includes(w.program)) continue;
    const why = skip || (w.pending ? `pending: ${w.pending}` : false)
      || (w.forks && !canFork ? `${tee}: the enclave cannot fork yet (a command substitution fails) and this workload forks` : false);
    test(`${w.name} (${w.program}) on ${tee} matches qemu-riscv64`, { skip: why, timeout: 960_000 }, async () => {
      const q = await runQemu(w);
      const e = await runEnclave(w, tee, 900_000);
      const diag = `${e.timedOut ? 'timed out\n' : ''}enclave stderr:\n${e.stderr.slice(0, 3000)}\nqemu stderr:\n${q.stderr.slice(0, 1000)}`;
      assert.equal(e.stdout, q.stdout, diag);
      assert.equal(e.status, q.status, diag);
    });
  }

  // The database file the enclave wrote is a valid SQLite file for the host's own sqlite3
  // (Debian's package), with the same contents as the one qemu-riscv64 wrote: the workload
  // runs with its scratch path on a --mount host directory. The WAL workload (20,000 rows,
  // WAL, checkpoints, savepoints, back to a rollback journal): a file that went through
  // both journal modes, in a fraction of sqlite_workload's time.
  const sq = WORKLOADS.find((w) => w.name === 'sqlite_wal_exclusive')!;
  const why = skip || (hostSqlite ? false : 'no host sqlite3 (apt-get install sqlite3)');
  if (!only || only.includes(sq.name) || only.includes('sqlite3') || only.includes('sqlite_export')) {
    test(`${sq.name}'s database from ${tee} passes the host sqlite3's integrity_check`, { skip: why, timeout: 960_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'teeos-sqlite-export-'));
      try {
        chmodSync(dir, 0o777); // the enclave's uid writes here
        const q = await runQemu(sq, 120_000, join(dir, 'qemu'));
        const e = await runEnclave(sq, tee, 900_000, ['--mount', `${dir}:/export`], '/export/enclave');
        assert.equal(e.stdout, q.stdout, `enclave stderr:\n${e.stderr.slice(0, 3000)}`);
        assert.equal(e.status, q.status);
        const host = (db: string, sql: string): string => {
          const r = spawnSync('sqlite3', ['-readonly', '-cmd', sql, join(dir, db), '.quit'], { encoding: 'utf8', maxBuffer: 256 << 20 });
          assert.equal(r.status, 0, r.stderr);
          return r.stdout;
        };
        assert.equal(host('enclave.db', 'PRAGMA integrity_check'), 'ok\n');
        assert.equal(host('qemu.db', 'PRAGMA integrity_check'), 'ok\n');
        assert.equal(host('enclave.db', '.dump'), host('qemu.db', '.dump'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
