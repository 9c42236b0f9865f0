#!/usr/bin/env python3
"""Merges library manifests into an app manifest, as the Android build's merger does for
the parts a library declares here: `uses-permission` (once each) and the `application`'s
components, with `${applicationId}` replaced by the app's package. Refuses a library whose
minSdk is above the app's. Used for the sample APK (no Gradle here).

usage: merge_manifest.py APP_MANIFEST OUT LIBRARY_MANIFEST...
"""
import sys
import xml.etree.ElementTree as ET

ANDROID = "http://schemas.android.com/apk/res/android"
ET.register_namespace("android", ANDROID)


def attr(el, name):
    return el.get(f"{{{ANDROID}}}{name}")


def min_sdk(root):
    sdk = root.find("uses-sdk")
    return int(attr(sdk, "minSdkVersion") or 1) if sdk is not None else 1


def main(app_path, out_path, *libraries):
    tree = ET.parse(app_path)
    app = tree.getroot()
    package = app.get("package")
    application = app.find("application")
    have = {attr(p, "name") for p in app.findall("uses-permission")}
    components = {attr(c, "name") for c in application}
    insert_at = list(app).index(application)
    for path in libraries:
        lib = ET.parse(path).getroot()
        if min_sdk(lib) > min_sdk(app):
            sys.exit(f"{path}: minSdk {min_sdk(lib)} is above the app's {min_sdk(app)}")
        for permission in lib.findall("uses-permission"):
            if attr(permission, "name") not in have:
                app.insert(insert_at, permission)
                insert_at += 1
                have.add(attr(permission, "name"))
        lib_application = lib.find("application")
        for component in [] if lib_application is None else list(lib_application):
            if attr(component, "name") in components:
                continue
            for key, value in list(component.attrib.items()):
                component.set(key, value.replace("${applicationId}", package))
            application.append(component)
            components.add(attr(component, "name"))
    tree.write(out_path, encoding="utf-8", xml_declaration=True)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
