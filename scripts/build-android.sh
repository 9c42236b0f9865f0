#!/usr/bin/env bash
# Builds what an Android team depends on, and proves it with a real APK (`make apk`):
#   target/android/waybill-android-$VERSION.aar   Kotlin facade + bindings + glue, the
#       library manifest, consumer R8 rules (proguard.txt), jni/<abi>/ from
#       $WAYBILL_JNI_DIR (the release job's cargo-ndk output; absent here: no NDK)
#   target/android/waybill-android-$VERSION.pom   its Maven coordinates and dependencies
#   target/android/waybill-work-$VERSION.aar (+ .pom)  background sync on WorkManager
#   target/android/waybill-fused-$VERSION.aar (+ .pom) location from Play services (fused)
#   target/android/waybill-desktop-$VERSION.jar   the host library as a JNA resource and
#       `WaybillForTests` (the real core on a temporary directory), for an app's JVM unit
#       tests
#   target/android/sample.apk                      the sample app: manifest merged, R8 at
#       min-api 24 with the consumer rules, packaged with aapt, zipaligned, signed
# and checks the APK (aapt dump badging: package, SDKs, permissions, launchable activity),
# the merged manifest (services, provider), and that the R8-minified facade still loads
# and calls the real library on the JVM.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(cat VERSION)
OUT=target/android
WORK=$OUT/work
MVN=${MVN:-mvn}
FRAMEWORK_RES=/usr/share/android-framework-res/framework-res.apk
# R8 resolves java.* against the JDK (Robolectric's framework jar has android.* only).
JDK=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
rm -rf "$OUT" && mkdir -p "$WORK"

for tool in aapt zipalign apksigner; do
  command -v $tool >/dev/null || { echo "build-android: $tool missing (apt-get install aapt zipalign apksigner android-framework-res)" >&2; exit 1; }
done
[ -f $FRAMEWORK_RES ] || { echo "build-android: $FRAMEWORK_RES missing (apt-get install android-framework-res)" >&2; exit 1; }

cargo build -q -p waybill-ffi
$MVN -B -q -f android/pom.xml package -DskipTests
INPUTS=android/sample-app/target/apk-inputs
KOTLIN_CLASSES=android/waybill-kotlin/target/classes
GLUE_CLASSES=android/waybill-android/target/classes
SAMPLE_CLASSES=android/sample-app/target/classes

pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" android/pom.xml; }

# --- the AAR ---------------------------------------------------------------------------
AAR=$WORK/aar && mkdir -p $AAR
cp android/waybill-android/src/main/AndroidManifest.xml $AAR/
cp android/waybill-android/consumer-rules.pro $AAR/proguard.txt
: > $AAR/R.txt
(mkdir -p $WORK/classes && cp -r $KOTLIN_CLASSES/. $GLUE_CLASSES/. $WORK/classes/ \
  && cd $WORK/classes && jar --create --file ../aar/classes.jar --date=2026-01-01T00:00:00Z .)
if [ -n "${WAYBILL_JNI_DIR:-}" ]; then
  for abi in arm64-v8a armeabi-v7a x86_64; do
    [ -f "$WAYBILL_JNI_DIR/$abi/libwaybill_ffi.so" ] || { echo "build-android: $WAYBILL_JNI_DIR/$abi/libwaybill_ffi.so missing" >&2; exit 1; }
    mkdir -p $AAR/jni/$abi && cp "$WAYBILL_JNI_DIR/$abi/libwaybill_ffi.so" $AAR/jni/$abi/
  done
else
  echo "build-android: WAYBILL_JNI_DIR not set: the AAR carries no jni/ (the release job adds the NDK builds)"
fi
(cd $AAR && zip -qrX ../../waybill-android-$VERSION.aar .)
sed -e "s/@VERSION@/$VERSION/g" -e "s/@JNA@/$(pom_property jna.version)/g" \
    -e "s/@COROUTINES@/$(pom_property coroutines.version)/g" \
    -e "s/@KOTLIN@/$(pom_property kotlin.version)/g" -e "s/@OKHTTP@/$(pom_property okhttp.version)/g" \
    android/waybill-android/aar.pom.in > $OUT/waybill-android-$VERSION.pom

# --- the optional adapters: WorkManager (apps that ship AndroidX), fused location (Play services)
adapter_aar() { # module: its classes, manifest and consumer rules (if any) as an AAR + its POM
  local module=$1 dir=$WORK/$1-aar
  mkdir -p $dir
  cp android/$module/src/main/AndroidManifest.xml $dir/
  [ ! -f android/$module/consumer-rules.pro ] || cp android/$module/consumer-rules.pro $dir/proguard.txt
  : > $dir/R.txt
  (cd android/$module/target/classes && jar --create --file "$OLDPWD/$dir/classes.jar" --date=2026-01-01T00:00:00Z .)
  (cd $dir && zip -qrX ../../$module-$VERSION.aar .)
  sed -e "s/@VERSION@/$VERSION/g" -e "s/@WORK@/$(pom_property work.version)/g" \
      -e "s/@PLAY_LOCATION@/$(pom_property play.location.version)/g" \
      android/$module/aar.pom.in > $OUT/$module-$VERSION.pom
}
adapter_aar waybill-work
adapter_aar waybill-fused

# --- the desktop library for JVM unit tests ----------------------------------------------
mkdir -p $WORK/desktop/linux-x86-64 && cp target/debug/libwaybill_ffi.so $WORK/desktop/linux-x86-64/
cp -r android/waybill-testing/target/classes/. $WORK/desktop/
(cd $WORK/desktop && jar --create --file ../../waybill-desktop-$VERSION.jar --date=2026-01-01T00:00:00Z .)

# --- the sample APK ----------------------------------------------------------------------
python3 scripts/merge_manifest.py android/sample-app/src/main/AndroidManifest.xml $WORK/AndroidManifest.xml \
  android/waybill-android/src/main/AndroidManifest.xml
mkdir -p $WORK/jna-aar && (cd $WORK/jna-aar && unzip -q -o "$OLDPWD/$INPUTS/jna.aar")
aapt package -f -M $WORK/AndroidManifest.xml -S android/sample-app/src/main/res -I $FRAMEWORK_RES \
  -G $WORK/aapt-rules.pro -F $WORK/sample.unaligned.apk
cat > $WORK/sample-rules.pro <<'RULES'
-keep class io.waybill.sample.MinifiedSmoke { public static void main(java.lang.String[]); }
-dontwarn kotlinx.coroutines.**
-dontwarn org.jetbrains.annotations.**
# OkHttp's optional TLS providers (its own rules say the same; the JVM run reads none).
-dontwarn org.conscrypt.**
-dontwarn org.bouncycastle.**
-dontwarn org.openjsse.**
RULES
(cd $SAMPLE_CLASSES && jar --create --file "$OLDPWD/$WORK/sample-classes.jar" .)
(cd $KOTLIN_CLASSES && jar --create --file "$OLDPWD/$WORK/facade-classes.jar" .)
PROGRAM="$WORK/sample-classes.jar $AAR/classes.jar $WORK/jna-aar/classes.jar $INPUTS/kotlin-stdlib.jar $INPUTS/kotlinx-coroutines-core-jvm.jar $INPUTS/okhttp.jar $INPUTS/okio-jvm.jar"
mkdir -p $WORK/dex
java -cp $INPUTS/r8.jar com.android.tools.r8.R8 --release --min-api 24 --output $WORK/dex \
  --lib $INPUTS/android-all.jar --lib "$JDK" --pg-conf android/waybill-android/consumer-rules.pro \
  --pg-conf $WORK/aapt-rules.pro --pg-conf $WORK/sample-rules.pro $PROGRAM 2> $WORK/r8.log \
  || { cat $WORK/r8.log >&2; exit 1; }
(cd $WORK/dex && zip -q ../sample.unaligned.apk classes*.dex)
mkdir -p $WORK/lib
for abi in arm64-v8a armeabi-v7a x86_64; do
  [ -d $WORK/jna-aar/jni/$abi ] && mkdir -p $WORK/lib/lib/$abi && cp $WORK/jna-aar/jni/$abi/*.so $WORK/lib/lib/$abi/
  [ -d $AAR/jni/$abi ] && cp $AAR/jni/$abi/*.so $WORK/lib/lib/$abi/
done
(cd $WORK/lib && zip -q -r ../sample.unaligned.apk lib)
zipalign -f -p 4 $WORK/sample.unaligned.apk $WORK/sample.aligned.apk
keytool -genkeypair -keystore $WORK/debug.keystore -storepass android -keypass android -alias sample \
  -keyalg RSA -keysize 2048 -validity 365 -dname "CN=Waybill sample" -noprompt 2>/dev/null
apksigner sign --ks $WORK/debug.keystore --ks-pass pass:android --out $OUT/sample.apk $WORK/sample.aligned.apk
apksigner verify $OUT/sample.apk

# --- checks --------------------------------------------------------------------------------
python3 scripts/check_apk.py $OUT/sample.apk $OUT/waybill-android-$VERSION.aar

# The minified facade on the JVM: R8 with the consumer rules, class files out, then run.
java -cp $INPUTS/r8.jar com.android.tools.r8.R8 --release --classfile --output $WORK/minified.jar \
  --lib "$JDK" \
  --pg-conf android/waybill-android/consumer-rules.pro --pg-conf $WORK/sample-rules.pro \
  $SAMPLE_CLASSES/io/waybill/sample/MinifiedSmoke*.class $WORK/facade-classes.jar $INPUTS/jna.jar \
  $INPUTS/kotlin-stdlib.jar $INPUTS/kotlinx-coroutines-core-jvm.jar $INPUTS/okhttp.jar $INPUTS/okio-jvm.jar \
  2> $WORK/r8-jvm.log \
  || { cat $WORK/r8-jvm.log >&2; exit 1; }
java -Djna.library.path=target/debug -cp $WORK/minified.jar io.waybill.sample.MinifiedSmoke
# The desktop artifact alone (no jna.library.path): JNA finds the library in the jar, as in
# an app's unit tests.
java -cp "$OUT/waybill-desktop-$VERSION.jar:$WORK/sample-classes.jar:$WORK/facade-classes.jar:$INPUTS/jna.jar:$INPUTS/kotlin-stdlib.jar:$INPUTS/kotlinx-coroutines-core-jvm.jar:$INPUTS/okhttp.jar:$INPUTS/okio-jvm.jar" \
  io.waybill.sample.MinifiedSmoke "desktop artifact"
ls -l $OUT/*.aar $OUT/*.pom $OUT/*.jar $OUT/*.apk
