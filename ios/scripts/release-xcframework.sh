#!/usr/bin/env bash
# The iOS half of a release, on a Mac: builds the XCFramework, zips it, computes the
# SwiftPM checksum, and writes the download URL and checksum into Package.swift, so a team
# adds the package by URL and SwiftPM fetches the binary. Upload the zip to BASE_URL and
# commit Package.swift with the release tag.
#   usage: ios/scripts/release-xcframework.sh BASE_URL
#   e.g.   ios/scripts/release-xcframework.sh https://github.com/OWNER/waybill/releases/download/v$(cat VERSION)
set -euo pipefail
base_url=${1:?usage: release-xcframework.sh BASE_URL}
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
"$here/scripts/build-xcframework.sh"
cd "$here/build"
rm -f WaybillCoreFFI.xcframework.zip
ditto -c -k --sequesterRsrc --keepParent WaybillCoreFFI.xcframework WaybillCoreFFI.xcframework.zip
checksum=$(swift package compute-checksum WaybillCoreFFI.xcframework.zip)
cd "$root"
sed -i '' -e "s|^let coreURL = .*|let coreURL = \"$base_url/WaybillCoreFFI.xcframework.zip\"|" \
          -e "s|^let coreChecksum = .*|let coreChecksum = \"$checksum\"|" Package.swift
echo "Package.swift now points at $base_url/WaybillCoreFFI.xcframework.zip ($checksum)"
