#!/usr/bin/env bash
# Builds build/WaybillCoreFFI.xcframework from the Rust core, on macOS with Xcode.
# Device (arm64), simulator (arm64 + x86_64, merged with lipo) and macOS (for `swift test`).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin)
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  cargo build --release -p waybill-ffi --target "$t"
done

# Regenerate the bindings from the library that ships, so they cannot drift.
make swift-bindings

out="$here/build"
rm -rf "$out" && mkdir -p "$out/sim"
lipo -create \
  target/aarch64-apple-ios-sim/release/libwaybill_ffi.a \
  target/x86_64-apple-ios/release/libwaybill_ffi.a \
  -output "$out/sim/libwaybill_ffi.a"

headers="$here/Sources/WaybillCoreFFI/include"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libwaybill_ffi.a -headers "$headers" \
  -library "$out/sim/libwaybill_ffi.a" -headers "$headers" \
  -library target/aarch64-apple-darwin/release/libwaybill_ffi.a -headers "$headers" \
  -output "$out/WaybillCoreFFI.xcframework"
echo "built $out/WaybillCoreFFI.xcframework"
