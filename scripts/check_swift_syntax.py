#!/usr/bin/env python3
"""Parses every Swift file under the given directories with tree-sitter-swift and fails on
any syntax error. No Swift toolchain runs on Linux CI; this catches broken Swift (generated
or hand-written) before a Mac build does. It does not type-check."""

import pathlib
import re
import sys

import tree_sitter_swift
from tree_sitter import Language, Parser


# Two valid constructs tree-sitter-swift 0.7 cannot parse, both emitted by UniFFI:
# `#if` around a declaration's attributes (`#if swift(>=5.8) @_documentation(...) #endif`)
# and a closure returning the empty tuple (`{ () }`). They are neutralised in place
# (same line numbers); everything else is parsed as written.
DOC_ATTRIBUTE_BLOCK = re.compile(
    rb"^[ \t]*#if swift\(>=5\.8\)\n[ \t]*@_documentation\(visibility: private\)\n[ \t]*#endif\n",
    re.MULTILINE,
)


VOID_CLOSURE = re.compile(rb"\{ \(\) \}")


def without_known_grammar_gaps(source):
    source = DOC_ATTRIBUTE_BLOCK.sub(b"\n\n\n", source)
    return VOID_CLOSURE.sub(b"{    }", source)


def errors(node, found):
    if node.type == "ERROR" or node.is_missing:
        found.append(node)
    for child in node.children:
        errors(child, found)
    return found


def main(roots):
    parser = Parser(Language(tree_sitter_swift.language()))
    paths = [pathlib.Path(root) for root in roots]
    files = sorted({p for path in paths for p in ([path] if path.is_file() else path.rglob("*.swift"))})
    if not files:
        print("check_swift_syntax: no Swift files found", file=sys.stderr)
        return 1
    bad = 0
    for path in files:
        tree = parser.parse(without_known_grammar_gaps(path.read_bytes()))
        for node in errors(tree.root_node, []):
            bad += 1
            line, col = node.start_point
            kind = "missing " + node.type if node.is_missing else "syntax error"
            print(f"{path}:{line + 1}:{col + 1}: {kind}", file=sys.stderr)
    print(f"check_swift_syntax: {len(files)} files, {bad} errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["ios", "Package.swift"]))
