#!/bin/sh
# CI run of the CPU differential test (tests/diff): our hart vs qemu-riscv64 on random RV64GC
# sequences. Two runs: a seed from the date (stable for a day, so a failure reproduces the same
# day) and a fresh random seed; both seeds are printed with a reproducer command.
#   DIFF_COUNT (default 10000 per seed), DIFF_JOBS (default 2)
set -u
cd "$(dirname "$0")/.."
QEMU="${QEMU_RISCV64:-qemu-riscv64}"
if ! command -v "$QEMU" >/dev/null 2>&1; then
  echo "diff-ci: $QEMU not installed: cannot run the CPU differential test" >&2
  exit 2
fi
COUNT="${DIFF_COUNT:-10000}"
JOBS="${DIFF_JOBS:-2}"
DATE_SEED=$(date -u +%Y%m%d)
RANDOM_SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
rc=0
for SEED in "$DATE_SEED" "$RANDOM_SEED"; do
  echo "diff-ci: $COUNT sequences, seed $SEED   (reproduce: node --import tsx tests/diff/run.ts --count $COUNT --seed $SEED)"
  node --import tsx tests/diff/run.ts --count "$COUNT" --seed "$SEED" --jobs "$JOBS" --max-report 10 || rc=1
done
if [ "$rc" -ne 0 ]; then echo "diff-ci: FAILED (seeds $DATE_SEED, $RANDOM_SEED)"; else echo "diff-ci: OK"; fi
exit "$rc"
