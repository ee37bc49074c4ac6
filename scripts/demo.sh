#!/usr/bin/env bash
# Imports the bundled Linux auditd trails (testdata/auditd) into a fresh log directory,
# verifies it, and queries it. Usage: scripts/demo.sh [LOG_DIR]  (default: target/demo-log)
set -euo pipefail
cd "$(dirname "$0")/.."
log_dir="${1:-target/demo-log}"

cargo build --release --quiet -p audit-log
bin=target/release/audit-log
rm -rf "$log_dir"

echo "== import"
# Exit status 1 means some input lines could not be imported; they are listed above the
# totals. One bundled line (a record auditd itself wrote as "msg=?") is such a line.
status=0
"$bin" import --format auditd --dir "$log_dir" --service-id auditd-sample testdata/auditd/*.log || status=$?
if [ "$status" -gt 1 ]; then
    exit "$status"
fi

echo "== verify"
"$bin" verify "$log_dir"

echo "== query: authentication events"
"$bin" query "$log_dir" --type auth_success --type auth_failure

echo "== tail -n 3"
"$bin" tail "$log_dir" -n 3
