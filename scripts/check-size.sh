#!/usr/bin/env bash
# Size budget of the mobile library: builds the release cdylib (the mobile profile) for
# the host, prints its stripped size and fails when it exceeds the budget. The budget is
# a ratchet: lower it when the library shrinks (docs/library-size.md); the goal is 4 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_BYTES="${WAYBILL_SIZE_BUDGET:-4286000}"
cargo build -q --release -p waybill-ffi
lib=target/release/libwaybill_ffi.so
size=$(stat -c %s "$lib")
awk -v s="$size" -v b="$BUDGET_BYTES" 'BEGIN { printf "libwaybill_ffi.so (x86_64, release, stripped): %d bytes (%.2f MiB), budget %d bytes\n", s, s / 1048576, b }'
if [ "$size" -gt "$BUDGET_BYTES" ]; then
    echo "the mobile library is $((size - BUDGET_BYTES)) bytes over its budget: see docs/library-size.md"
    exit 1
fi
