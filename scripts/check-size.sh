#!/usr/bin/env bash
# Size budget of the mobile library: builds the release cdylib (the mobile profile) for
# the host, prints its stripped size and fails when it exceeds the budget. The budget is
# a ratchet: lower it when the library shrinks (docs/library-size.md); the goal is 4 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_BYTES="${WAYBILL_SIZE_BUDGET:-3998000}"
# Linked as a phone's copy is: Android (minSdk 24) packs relative relocations in its own
# format (`--pack-dyn-relocs=android`, .cargo/config.toml) and iOS uses chained fixups,
# where the host's plain RELA table would add ~216 KB no phone carries (docs/library-size.md).
# The x86_64 code is therefore linked with the Android packing, with `--target` so build
# scripts are not, in a target dir of its own: glibc cannot load the result, which is only
# measured here, never run.
host=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="-C link-arg=-Wl,--pack-dyn-relocs=android" \
  cargo build -q --release -p waybill-ffi --target "$host" --target-dir target/size
lib="target/size/$host/release/libwaybill_ffi.so"
size=$(stat -c %s "$lib")
awk -v s="$size" -v b="$BUDGET_BYTES" 'BEGIN { printf "libwaybill_ffi.so (x86_64, release, stripped, Android relocation packing): %d bytes (%.2f MiB), budget %d bytes\n", s, s / 1048576, b }'
if [ "$size" -gt "$BUDGET_BYTES" ]; then
    echo "the mobile library is $((size - BUDGET_BYTES)) bytes over its budget: see docs/library-size.md"
    exit 1
fi
