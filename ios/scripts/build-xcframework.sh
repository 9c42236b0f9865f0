#!/usr/bin/env bash
# Builds ios/build/WaybillCoreFFI.xcframework from the Rust core, on macOS with Xcode:
# device (arm64), simulator (arm64 + x86_64, merged with lipo) and macOS (for `swift test`),
# for the deployment targets Package.swift declares.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

# Pinned to Package.swift's platforms: rustc and cc read these.
export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0

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

# The header and module map go in a folder of their own: an XCFramework's Headers/ root
# is shared by every framework an app links, so a bare module.modulemap there collides
# with any other library packaged the same way.
headers="$out/headers"
mkdir -p "$headers/WaybillCoreFFI"
cp "$here/Sources/WaybillCoreFFI/include/WaybillCoreFFI.h" "$headers/WaybillCoreFFI/"
cp "$here/Sources/WaybillCoreFFI/include/module.modulemap" "$headers/WaybillCoreFFI/module.modulemap"

xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libwaybill_ffi.a -headers "$headers" \
  -library "$out/sim/libwaybill_ffi.a" -headers "$headers" \
  -library target/aarch64-apple-darwin/release/libwaybill_ffi.a -headers "$headers" \
  -output "$out/WaybillCoreFFI.xcframework"
echo "built $out/WaybillCoreFFI.xcframework"
