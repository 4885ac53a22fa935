#!/bin/sh
# Records the reference behaviour of every case in tests/guest/cases.json by running
# it under qemu-riscv64: tests/guest/expected/<name>.{stdout,stderr,status}.
# Invocation contract (the TEE OS test runner uses the same one):
#   cwd = tests/guest; argv = [binary, ...args] (argv[0] is the "binary" string as
#   written); environment = exactly "env" (nothing inherited, as `env -i`);
#   stdin = the "stdin" file (relative to tests/guest) or /dev/null when null.
#   status = exit code, or 128+signal number when killed by a signal (as a shell).
# Expected files come only from this script; never edit them by hand.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
qemu=${QEMU_RISCV64:-$(command -v qemu-riscv64)} || { echo "qemu-riscv64 not found" >&2; exit 1; }
cd "$root/tests/guest"
mkdir -p expected
exec node --input-type=module -e '
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, openSync, closeSync } from "node:fs";
import { constants } from "node:os";
const qemu = process.argv[1];
const cases = JSON.parse(readFileSync("cases.json", "utf8"));
const only = new Set(process.argv.slice(2));
const seen = new Set();
for (const c of cases) {
  if (seen.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
  seen.add(c.name);
  if (only.size && !only.has(c.name)) continue;
  const fd = openSync(c.stdin ?? "/dev/null", "r");
  const r = spawnSync(qemu, [c.binary, ...c.args], { env: c.env, stdio: [fd, "pipe", "pipe"], maxBuffer: 1 << 28, timeout: 120000 });
  closeSync(fd);
  if (r.error) throw r.error;
  const status = r.signal ? 128 + constants.signals[r.signal] : r.status;
  writeFileSync(`expected/${c.name}.stdout`, r.stdout);
  writeFileSync(`expected/${c.name}.stderr`, r.stderr);
  writeFileSync(`expected/${c.name}.status`, `${status}\n`);
  console.log(`${c.name.padEnd(16)} status ${status}  stdout ${r.stdout.length} bytes  stderr ${r.stderr.length} bytes`);
}
' "$qemu" "$@"
