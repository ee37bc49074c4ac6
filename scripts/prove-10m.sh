#!/usr/bin/env bash
# Writes a log of 10 million records (about 3 GB, in $AUDIT_LARGE_DIR or the system's temporary
# folder) with checkpoints, then times inclusion proofs of 200 random records.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p audit-logging --test large_log -- --ignored --nocapture 2>&1 | grep -E "wrote|prove_inclusion|test result|panicked"
