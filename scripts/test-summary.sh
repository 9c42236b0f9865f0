#!/usr/bin/env bash
# Prints one closing line for the whole test run, summed from each runner's own report:
# cargo's "test result:" lines and Surefire's reports. Exits non-zero if anything failed
# or if no test ran at all.
set -euo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0; ignored=0
while read -r p f i; do
  passed=$((passed + p)); failed=$((failed + f)); ignored=$((ignored + i))
done < <(sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed; ([0-9]+) ignored.*/\1 \2 \3/p' target/test-logs/rust.log)
for report in android/*/target/surefire-reports/*.txt; do
  [ -e "$report" ] || continue
  read -r run fail err skip < <(sed -nE 's/^Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+).*/\1 \2 \3 \4/p' "$report" | head -1)
  passed=$((passed + run - fail - err - skip)); failed=$((failed + fail + err)); ignored=$((ignored + skip))
done
if [ -f target/test-logs/contract.log ]; then
  cases=$(sed -nE 's/^ *([0-9]+) generated, ([0-9]+) passed.*/\2/p' target/test-logs/contract.log \
    | awk '{ s += $1 } END { print s + 0 }')
  echo "contract: ${cases:-0} schemathesis cases passed against docs/openapi.json"
fi
echo "waybill: ${passed} passed, ${failed} failed, ${ignored} skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
