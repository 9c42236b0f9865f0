#!/usr/bin/env python3
"""The core's architecture, checked (docs/architecture.md, "Allowed directions").

- No import circle among the core's top-level modules, none among bindings/ files.
- Every import of a core module is one the layer table in docs/architecture.md allows:
  engines never import the client or the scheduler.
- Each engine's SQL names only its own tables; `meta` only through `db::meta`.
- Only the gate issues tickets; client.rs and sync.rs hold no SQL and stay small.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORE = ROOT / "core" / "src"
BINDINGS = ROOT / "bindings" / "src"
failures = []


def code(path):
    """A file's text without its unit tests (a test may set up any table)."""
    text = path.read_text()
    cut = text.find("#[cfg(test)]\nmod tests")
    return text if cut < 0 else text[:cut]


def module_of(path):
    rel = path.relative_to(CORE)
    return rel.parts[0].removesuffix(".rs")


def layer_table():
    """`module: allowed imports` lines between the layering markers of the doc."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- layers -->\n```text\n(.*?)```", doc, re.S)
    if not block:
        sys.exit("layering: docs/architecture.md has no <!-- layers --> block")
    table = {}
    for line in block.group(1).splitlines():
        if ":" in line:
            name, allowed = line.split(":", 1)
            table[name.strip()] = set(allowed.split())
    return table


def find_cycle(graph):
    state = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
            if nxt not in state:
                found = visit(nxt, stack + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


# 1. The core's module graph and its allowed directions.
table = layer_table()
graph = {}
for path in sorted(CORE.rglob("*.rs")):
    mod = module_of(path)
    if mod == "lib":
        continue
    for used in re.findall(r"\bcrate::([a-z_]+)", code(path)):
        if used != mod:
            graph.setdefault(mod, set()).add(used)
            allowed = table.get(mod)
            if allowed is None:
                failures.append(f"{mod}: not in the layer table of docs/architecture.md")
            elif used not in allowed and "*" not in allowed:
                failures.append(f"{path.relative_to(ROOT)}: {mod} may not import {used}")
cycle = find_cycle(graph)
if cycle:
    failures.append("import circle in core: " + " -> ".join(cycle))

# 2. bindings/: files import each other without a circle.
bgraph = {}
for path in sorted(BINDINGS.glob("*.rs")):
    name = path.stem
    for used in re.findall(r"\bcrate::([a-z_]+)", code(path)):
        if used != name and (BINDINGS / f"{used}.rs").exists():
            bgraph.setdefault(name, set()).add(used)
cycle = find_cycle(bgraph)
if cycle:
    failures.append("import circle in bindings: " + " -> ".join(cycle))

# 3. Each engine's SQL touches its own tables only.
OWNERS = {
    "account": {"session"},
    "orders": {"orders", "outbox", "rejections", "order_history", "order_parties"},
    "track": {"track_fixes", "track_batches", "track_events"},
    "proof": {"proofs", "proof_fixes", "proof_terminations"},
    "privacy": {"consent_ledger", "consent_receipts_sent", "manifests", "permissions",
                "rights_requests", "transparency_log"},
}
ALL_TABLES = set().union(*OWNERS.values()) | {"meta"}
SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+([a-z_]+)")
for engine, own in OWNERS.items():
    for path in sorted((CORE / engine).rglob("*.rs")):
        for table in SQL_TABLE.findall(code(path)):
            if table in ALL_TABLES and table not in own:
                failures.append(f"{path.relative_to(ROOT)}: the {engine} engine names table {table}")
for path in sorted(CORE.rglob("*.rs")):
    if path.parent.name != "db" and re.search(r"\b(?:FROM|INTO)\s+meta\b", code(path)):
        failures.append(f"{path.relative_to(ROOT)}: meta is read and written through db::meta only")

# 4. Only the gate issues tickets.
for path in sorted(CORE.rglob("*.rs")):
    if "Ticket::issue" in code(path) and path.parent.name != "privacy":
        failures.append(f"{path.relative_to(ROOT)}: only the privacy gate issues tickets")

# 5. The composer and the scheduler stay small and hold no SQL.
for name, limit in (("client.rs", 600), ("sync.rs", 250)):
    path = CORE / name
    lines = len(path.read_text().splitlines())
    if lines > limit:
        failures.append(f"core/src/{name}: {lines} lines (at most {limit})")
    if re.search(r"\b(SELECT|INSERT|DELETE|UPDATE)\s", code(path)):
        failures.append(f"core/src/{name}: holds SQL (it belongs to an engine)")

for f in failures:
    print("layering:", f, file=sys.stderr)
sys.exit(1 if failures else 0)
