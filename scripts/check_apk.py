#!/usr/bin/env python3
"""Checks the sample APK and the AAR as an Android build would see them: `aapt dump
badging` (package, min and target SDK, the library's permissions, the launchable
activity), the merged manifest's components (`aapt dump xmltree`), the APK's dex and JNA
libraries, and the AAR's layout. Exits non-zero naming what is wrong.

usage: check_apk.py APK AAR
"""
import re
import subprocess
import sys
import zipfile

PERMISSIONS = [
    "android.permission.INTERNET",
    "android.permission.ACCESS_FINE_LOCATION",
    "android.permission.ACCESS_BACKGROUND_LOCATION",
    "android.permission.FOREGROUND_SERVICE_LOCATION",
    "android.permission.POST_NOTIFICATIONS",
    "android.permission.RECEIVE_BOOT_COMPLETED",
]


def main(apk: str, aar: str) -> int:
    problems = []
    badging = subprocess.run(["aapt", "dump", "badging", apk], check=True, capture_output=True, text=True).stdout
    expect = {
        "package": r"package: name='io\.waybill\.sample'",
        "minSdk 24": r"sdkVersion:'24'",
        "targetSdk 34": r"targetSdkVersion:'34'",
        "launchable activity": r"launchable-activity: name='io\.waybill\.sample\.MainActivity'",
    }
    expect.update({p: rf"uses-permission: name='{re.escape(p)}'" for p in PERMISSIONS})
    problems += [f"badging lacks {what}" for what, pattern in expect.items() if not re.search(pattern, badging)]

    tree = subprocess.run(["aapt", "dump", "xmltree", apk, "AndroidManifest.xml"], check=True,
                          capture_output=True, text=True).stdout
    for component in ["io.waybill.android.TrackingService", "io.waybill.android.SyncJobService",
                      "io.waybill.android.CaptureProvider", "io.waybill.sample.waybill.capture"]:
        if component not in tree:
            problems.append(f"merged manifest lacks {component}")
    # foregroundServiceType="location" is 0x8 in the compiled manifest.
    if not re.search(r"foregroundServiceType\(0x[0-9a-f]+\)=\(type 0x11\)0x8", tree):
        problems.append("TrackingService is not a location foreground service")

    with zipfile.ZipFile(apk) as z:
        names = z.namelist()
    if "classes.dex" not in names:
        problems.append("APK has no classes.dex")
    if not any(n.startswith("lib/arm64-v8a/libjnidispatch.so") for n in names):
        problems.append("APK lacks JNA's arm64-v8a library")

    with zipfile.ZipFile(aar) as z:
        entries = set(z.namelist())
        classes = zipfile.ZipFile(z.open("classes.jar")).namelist() if "classes.jar" in entries else []
    for required in ["AndroidManifest.xml", "classes.jar", "proguard.txt", "R.txt"]:
        if required not in entries:
            problems.append(f"AAR lacks {required}")
    for cls in ["io/waybill/WaybillClient.class", "io/waybill/ffi/Waybill.class",
                "io/waybill/android/TrackingService.class"]:
        if cls not in classes:
            problems.append(f"AAR classes.jar lacks {cls}")

    # The optional adapters: each its class, the worker also the rule keeping its constructor.
    for module, cls, rules in [("waybill-work", "io/waybill/work/WaybillSyncWorker.class", True),
                               ("waybill-fused", "io/waybill/fused/FusedLocationSource.class", False)]:
        adapter = aar.replace("waybill-android-", f"{module}-")
        with zipfile.ZipFile(adapter) as z:
            entries = set(z.namelist())
            classes = zipfile.ZipFile(z.open("classes.jar")).namelist() if "classes.jar" in entries else []
        if cls not in classes or (rules and "proguard.txt" not in entries):
            problems.append(f"{adapter} lacks {cls} or its rules")
        pom = open(adapter.replace(".aar", ".pom")).read()
        if "@" in pom:
            problems.append(f"{adapter}'s POM has an unfilled placeholder")

    for p in problems:
        print(f"check_apk: {p}", file=sys.stderr)
    if not problems:
        print(f"check_apk: {apk} and {aar} as expected ({len(expect)} badging lines, {len(names)} APK entries)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
