#!/usr/bin/env bash
# Contract test: the committed docs/openapi.json must equal what the server generates, and
# schemathesis (property-based, from that document) must find no server error, no
# undocumented status and no reply that breaks its schema, on a running server.
set -euo pipefail
cd "$(dirname "$0")/.."

server=target/debug/waybill-server
venv=target/venv
"$server" --print-openapi | diff -u docs/openapi.json - \
  || { echo "docs/openapi.json is stale: run 'make openapi' and commit"; exit 1; }

"$venv/bin/pip" install -q -r scripts/requirements-contract.txt

tmp=$(mktemp -d)
"$server" --db "$tmp/server.sqlite3" --listen 127.0.0.1:0 --seed-demo > "$tmp/url" 2> "$tmp/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do [ -s "$tmp/url" ] && break; sleep 0.05; done
url=$(head -n1 "$tmp/url")

register() { # installation id, role → bearer token (Python's urllib: no curl needed)
  "$venv/bin/python" - "$url" "$1" "$2" <<'PY'
import json, sys, urllib.request
url, installation, role = sys.argv[1:]
body = json.dumps({"installation_id": installation, "role": role,
                   "app_id": "contract-test", "app_version": "0"}).encode()
request = urllib.request.Request(f"{url}/v1/devices", data=body,
                                 headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(request))["token"])
PY
}

run() { # token, then schemathesis filters
  local token=$1; shift
  "$venv/bin/schemathesis" run "$url/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${CONTRACT_EXAMPLES:-30}" \
    --seed 20261122 \
    --no-color "$@"
}

# Rights requests get their own account: a generated cancellation closes the account it
# is sent with, which would turn every later call into a 401.
run "$(register schemathesis-driver driver)" --exclude-path /v1/rights-requests
run "$(register schemathesis-rights shipper)" --include-path /v1/rights-requests
# Errands and their cancellation as a shipper (a driver only ever gets 403 there).
run "$(register schemathesis-shipper shipper)" --include-path-regex '^/v1/(errands|orders/\{id\}/cancel)$'
