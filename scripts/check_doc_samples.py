#!/usr/bin/env python3
"""The Kotlin sample docs/android.md quotes must be the file CI compiles and runs
(android/sample-app/.../DriverApp.kt, from `open class DriverApp` on). Fails when the two
differ, so the documented code cannot drift from the tested code."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "android/sample-app/src/main/kotlin/io/waybill/sample/DriverApp.kt"
DOC = ROOT / "docs/android.md"


def main() -> int:
    code = SAMPLE.read_text()
    expected = code[code.index("open class DriverApp"):].rstrip()
    doc = DOC.read_text()
    start = doc.index("```kotlin\nopen class DriverApp") + len("```kotlin\n")
    quoted = doc[start:doc.index("\n```", start)].rstrip()
    if quoted != expected:
        print(f"{DOC.relative_to(ROOT)} quotes another DriverApp than {SAMPLE.relative_to(ROOT)}: copy it again",
              file=sys.stderr)
        return 1
    print("check_doc_samples: docs/android.md quotes the compiled sample")
    return 0


if __name__ == "__main__":
    sys.exit(main())
