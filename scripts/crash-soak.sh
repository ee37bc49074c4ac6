#!/usr/bin/env bash
# Kills a writer process with SIGKILL 1000 times at random moments and checks after each kill
# that recovery keeps every acknowledged event exactly once and that the log verifies.
# Prints the tally. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p audit-logging --test crash -- --ignored --exact crash_kills_1000 --nocapture 2>&1 | grep -E "crash tally|test result|panicked"
