#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ for SECONDS each (default 20: the CI run; the long
# run is e.g. `scripts/fuzz.sh 3600`). Seeds from real data in fuzz/seeds/<target>; the
# growing corpus and any crash artefact go to target/fuzz/. A crash or a build failure
# fails the script; a crash leaves its input in target/fuzz/artifacts/<target>/ to turn
# into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-20}"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
export PATH="$PWD/target/venv/bin:$PATH"
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: make target/venv/.tools"; exit 1; }
mkdir -p target/fuzz/logs
total=0
for target in $(cargo +nightly fuzz list --fuzz-dir fuzz); do
    corpus="target/fuzz/corpus/$target"
    artifacts="target/fuzz/artifacts/$target"
    log="target/fuzz/logs/$target.log"
    mkdir -p "$corpus" "$artifacts"
    status=0
    cargo +nightly fuzz run --fuzz-dir fuzz --target-dir target/fuzz/build "$target" \
        "$corpus" "fuzz/seeds/$target" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    echo "fuzz $target: ${runs:-0} executions in ${SECONDS_EACH}s, exit $status"
    if [ "$status" -ne 0 ]; then
        tail -40 "$log"
        echo "fuzz $target FAILED (crash input, if any, in $artifacts/)"
        exit 1
    fi
    total=$((total + ${runs:-0}))
done
echo "fuzz: $total executions in all, no crash"
