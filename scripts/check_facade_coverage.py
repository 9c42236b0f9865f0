#!/usr/bin/env python3
"""Every function the core exports (the generated Swift bindings' `Waybill` class, the same
UniFFI surface Kotlin gets) must have a facade function of the same name in the Kotlin
`WaybillClient` and the Swift `WaybillClient` (or the Swift name it takes, per the Swift
API Design Guidelines, listed below), unless listed below with the reason.
Exits non-zero naming what is missing."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "ios/Sources/WaybillFFI/WaybillFFI.swift"
SWIFT = ROOT / "ios/Sources/Waybill/WaybillClient.swift"
KOTLIN = ROOT / "android/waybill-kotlin/src/main/kotlin/io/waybill/WaybillClient.kt"

# Exported on purpose but not forwarded one to one, and why.
NOT_FORWARDED = {
    "addListener": "the facades turn change listeners into Flow / AsyncStream",
    "removeListener": "the streams remove their listener when they end",
    "uniffiCloneHandle": "UniFFI plumbing",
}

# Swift facade names that differ from the core's: Swift reads the call site as a phrase.
SWIFT_NAMES = {
    "signInWithCode": "signIn",  # signIn(phone:code:) beside signIn()
    "findByCode": "findOrder",  # findOrder(scannedCode:)
}


def exported(text: str) -> set[str]:
    start = text.index("open class WaybillCore:")
    end = text.index("public func FfiConverterTypeWaybillCore_lift")
    return set(re.findall(r"^open func (\w+)\(", text[start:end], re.M))


def main() -> int:
    core = exported(GENERATED.read_text()) - set(NOT_FORWARDED)
    swift_facade = set(re.findall(r"public (?:static )?func (\w+)", SWIFT.read_text()))
    swift = {core_name for core_name, name in SWIFT_NAMES.items() if name in swift_facade} | swift_facade
    kotlin = set(re.findall(r"^\s*(?:suspend )?(?:fun|val) (\w+)", KOTLIN.read_text(), re.M))
    failed = False
    for name, facade in (("Swift", swift), ("Kotlin", kotlin)):
        missing = sorted(core - facade)
        if missing:
            failed = True
            print(f"{name} facade lacks {len(missing)} core function(s): {', '.join(missing)}")
        else:
            print(f"{name} facade covers all {len(core)} core functions")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
