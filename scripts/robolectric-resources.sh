#!/usr/bin/env bash
# Robolectric's resources for a module's tests, as AGP's `includeAndroidResources` makes
# them, from Debian's aapt: the res/ of the given AARs packaged into one resource APK, their
# R classes compiled, and com/android/tools/test_config.properties pointing Robolectric at
# both. WorkManager reads its own R.bool values when it starts; without this it cannot run.
#   robolectric-resources.sh MANIFEST TEST_CLASSES WORK_DIR AAR:R_PACKAGE...
# (AAR may be a glob, for a version Maven resolved transitively.)
set -euo pipefail
manifest=$(realpath "$1") classes=$2 work=$3
shift 3
command -v aapt >/dev/null || { echo "robolectric-resources: aapt missing (make android-tools)" >&2; exit 1; }
framework=/usr/share/android-framework-res/framework-res.apk
[ -f "$framework" ] || { echo "robolectric-resources: $framework missing (make android-tools)" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work/res" "$work/gen" "$classes/com/android/tools"
sources=() packages=()
for spec in "$@"; do
    package=${spec#*:}
    aar=$(compgen -G "${spec%%:*}" | head -1) || { echo "robolectric-resources: no ${spec%%:*}" >&2; exit 1; }
    dir="$work/res/$(basename "$aar" .aar)"
    unzip -qo "$aar" 'res/*' -d "$dir"
    sources+=(-S "$dir/res") packages+=("$package")
done
# Debian's aapt writes every R.java to the same flat path: one run per package.
for package in "${packages[@]}"; do
    out="$work/gen/${package//./\/}"
    mkdir -p "$out"
    aapt package -f -M "$manifest" -I "$framework" "${sources[@]}" --auto-add-overlay \
        --non-constant-id --custom-package "$package" -J "$out"
done
aapt package -f -M "$manifest" -I "$framework" "${sources[@]}" --auto-add-overlay -F "$work/resources.ap_"
javac -nowarn -d "$classes" $(find "$work/gen" -name R.java)
cat > "$classes/com/android/tools/test_config.properties" <<PROPS
android_resource_apk=$work/resources.ap_
android_merged_manifest=$manifest
android_custom_package=$(sed -n 's/.*package="\([^"]*\)".*/\1/p' "$manifest" | head -1)
PROPS
