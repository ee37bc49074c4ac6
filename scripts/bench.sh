#!/usr/bin/env bash
# Runs the criterion `emit` benchmark and the audit-bench harness, and writes both tables to
# target/audit-bench/results.md (another directory with AUDIT_BENCH_OUT=DIR).
#
# Usage: scripts/bench.sh [--quick] [other harness options, see: cargo run -p audit-bench -- --help]
#
# The full run takes about three minutes on two cores; --quick takes under a minute. Numbers
# only compare within one run on one machine: run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
out_dir=${AUDIT_BENCH_OUT:-$target_dir/audit-bench}
mkdir -p "$out_dir"

criterion_args=(--warm-up-time 2 --measurement-time 5)
for arg in "$@"; do
    if [[ $arg == --quick ]]; then
        criterion_args=(--warm-up-time 1 --measurement-time 2)
    fi
done

cargo build --release -p audit-bench --bins --benches
cargo bench -p audit-bench --bench emit -- "${criterion_args[@]}" 2>&1 | tee "$out_dir/criterion.log"

revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null; then
    revision="$revision with uncommitted changes"
fi
{
    echo "## audit-bench results, $(date -u +%Y-%m-%dT%H:%MZ), revision $revision"
    echo
    echo "Commands: \`cargo bench -p audit-bench --bench emit -- ${criterion_args[*]}\`" \
        "and \`cargo run --release -p audit-bench --${*:+ $*}\`."
    echo
    "$target_dir/release/audit-bench" --criterion-table "$target_dir/criterion"
    echo
    cargo run --quiet --release -p audit-bench -- "$@"
} >"$out_dir/results.md"
cat "$out_dir/results.md"
echo "written to $out_dir/results.md" >&2
