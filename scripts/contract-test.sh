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

register() { # installation id, role, phone → bearer token, signed in by a code the way an
  # app is since accounts (ADR 0007): ask a code, read it where the dev sender writes it
  # (next to the database: the stand-in for the phone network), present it with an age.
  # Python's urllib: no curl needed. Any failure ends the whole test (see `token` below).
  "$venv/bin/python" - "$url" "$1" "$2" "$3" "$tmp/server.sqlite3.dev-codes.jsonl" <<'PY'
import json, sys, urllib.request
url, installation, role, phone, codes = sys.argv[1:]
def post(path, body):
    request = urllib.request.Request(f"{url}{path}", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as reply:
        return reply.status, reply.read()
status, _ = post("/v1/sign-in/codes", {"phone": phone, "installation_id": installation})
assert status == 202, f"code request: {status}"
sent = [json.loads(line) for line in open(codes)]
code = [s["code"] for s in sent if s["phone"] == phone and s["purpose"] == "sign_in"][-1]
_, body = post("/v1/devices", {"installation_id": installation, "role": role,
                               "app_id": "contract-test", "app_version": "0",
                               "phone_code": {"phone": phone, "code": code}, "age": "adult"})
print(json.loads(body)["token"])
PY
}

token() { # like register, but a failure stops the script: `run "$(register …)"` would not
  local t
  t=$(register "$@") && [ -n "$t" ] || { echo "contract test: could not sign $1 in" >&2; exit 1; }
  printf '%s' "$t"
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

# What can end the caller's session gets an account of its own, so the main run keeps a
# live one: a generated cancellation (rights requests) or a minor's age closes the account,
# a sign-out ends the token (every later call would be a 401 or a 410).
ending='^/v1/(rights-requests|account/age|account/sign-out|account/devices/\{id\})$'
driver=$(token schemathesis-driver driver +4915550000001)
ender=$(token schemathesis-ender shipper +4915550000002)
shipper=$(token schemathesis-shipper shipper +4915550000003)
run "$driver" --exclude-path-regex "$ending"
run "$ender" --include-path-regex "$ending"
# Errands and their cancellation as a shipper (a driver only ever gets 403 there).
run "$shipper" --include-path-regex '^/v1/(errands|orders/\{id\}/cancel)$'
