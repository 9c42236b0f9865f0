#!/usr/bin/env bash
# Keeps the layers honest: UniFFI stays out of the core, storage and HTTP stay out of the
# FFI crate (it converts and forwards; rules live in core/); check_layering.py checks the
# core's module directions, table ownership and size (docs/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
uses() { # uses CRATE-REGEX DIR...: code paths or manifest entries naming a crate
  local crates=$1; shift
  grep -rnE --include='*.rs' "(^|[^a-z_])(${crates})::" "$@" || true
  grep -rnE --include='Cargo.toml' "^(${crates})([ .=]|$)" "$@" || true
}
if [ -n "$(uses 'uniffi' core protocol)" ]; then
  uses 'uniffi' core protocol; echo "layering: core/ and protocol/ must not use uniffi" >&2; fail=1
fi
if [ -n "$(uses 'rusqlite|reqwest|tokio' bindings)" ]; then
  uses 'rusqlite|reqwest|tokio' bindings; echo "layering: bindings/ must not use rusqlite, reqwest or tokio" >&2; fail=1
fi
python3 scripts/check_layering.py || fail=1
exit $fail
