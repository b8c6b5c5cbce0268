# Everything a user or CI runs. Each target installs what it needs (a Python virtualenv with
# moto's server and cargo-lambda) so a fresh clone works with one command.

SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed
PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PATH

.PHONY: all deps deps-browser build test lint deny audit soak fuzz run report report-html stack-up stack-down clean tables lint-infra package bench

all: build

# The virtualenv is rebuilt when the pinned requirements change.
$(STAMP): scripts/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
	touch $(STAMP)

deps: $(STAMP)

## Headless Chromium (Debian's package) and playwright-core (npm, no browser download) for the
## dashboard tests. The install is timed: on a fresh machine it is most of this target's cost.
BROWSER_DIR := tests/integration/browser
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BROWSER_STAMP): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps-browser: $(BROWSER_STAMP)
	@command -v chromium >/dev/null || { \
	  start=$$(date +%s); \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null && \
	  echo "chromium installed in $$(( $$(date +%s) - start )) s"; }
	@chromium --version 2>/dev/null | head -1

# The template linters pin boto3 versions that clash with moto's and with each other, so each
# gets its own virtualenv; checkov's lives inside .venv-infra so one ignored folder holds both.
INFRA_VENV := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed
CHECKOV_VENV := $(INFRA_VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(INFRA_STAMP): scripts/requirements-infra.txt
	python3 -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-infra.txt
	touch $(INFRA_STAMP)

$(CHECKOV_STAMP): scripts/requirements-checkov.txt
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-checkov.txt
	touch $(CHECKOV_STAMP)

build:
	cargo build --workspace --bins

## The README's test command: formatting, lints, unit and integration tests.
test: deps deps-browser lint-infra deny
	cargo fmt --all -- --check
	cargo build --workspace --all-targets
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	cargo test --workspace --no-fail-fast

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

## The dependency tree's licenses, bans (no OpenSSL) and sources (deny.toml).
deny: deps
	cargo-deny check licenses bans sources

## Known vulnerabilities (RustSec): needs the advisory database from github.com.
audit: deps
	cargo-deny check advisories

## The long soak (60 sync runs with faults on both sides, kills and deadlines) and a 300 MB
## hostile blob; prints runs, faults by kind and the final comparison with the truth.
SOAK_RUNS ?= 60
soak: deps build
	cargo build -p integration-tests --tests
	SOAK_RUNS=$(SOAK_RUNS) HOSTILE_BLOB_MB=300 cargo test -p integration-tests --test soak --test hostile -- --nocapture

## Fuzz the parsers that read network input (cargo-fuzz on nightly), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for target in blob service_error events; do \
	  cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 || exit 1; done

## Offline checks of infra/template.yaml: CloudFormation and SAM lint, and checkov's security
## checks (each one the template skips says why in the resource's Metadata). Dummy credentials
## and no metadata lookups keep sam from reaching for AWS.
lint-infra: $(INFRA_STAMP) $(CHECKOV_STAMP)
	$(INFRA_VENV)/bin/cfn-lint infra/template.yaml
	AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=lint AWS_SECRET_ACCESS_KEY=lint \
	  AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 \
	  $(INFRA_VENV)/bin/sam validate --lint -t infra/template.yaml
	$(CHECKOV_VENV)/bin/checkov -f infra/template.yaml --framework cloudformation --quiet --compact \
	  --skip-download

## The template's DynamoDB tables, in whatever DynamoDB AWS_ENDPOINT_URL names (moto locally).
tables: deps
	python scripts/tables.py create

## The arm64 deployment zips, as `cargo lambda deploy` and the console take them. zig (PyPI's
## ziglang, in .venv) is the cross linker; arm64 gets its own --lambda-dir because every build
## writes <binary>/bootstrap.
LAMBDA_DIR := target/lambda-arm64
LAMBDA_BINS := audit-subscription audit-sync $(if $(wildcard functions/report/Cargo.toml),audit-report)
package: deps
	rustup target add aarch64-unknown-linux-gnu
	cargo lambda build --release --arm64 --lambda-dir $(LAMBDA_DIR) --output-format zip \
	  $(addprefix --bin ,$(LAMBDA_BINS))
	@for bin in $(LAMBDA_BINS); do ls -l $(LAMBDA_DIR)/$$bin/bootstrap.zip; done

## Performance (BENCHMARKS.md): tenants of 10k, 100k and 1M records through parsing, the sync into a
## black-hole DynamoDB and into moto, a baseline, cold starts; then the criterion micro-benchmarks.
## Release build. BENCH_SIZES=10k,100k limits the sizes (see bench/src/main.rs for the rest).
## The table is printed and written to target/bench/results.md.
bench: deps
	cargo build --release -p audit-bench -p audit-sync -p audit-subscription -p audit-report
	target/release/audit-bench
	cargo bench -p audit-records --bench parse -- --warm-up-time 1 --measurement-time 3
	cargo bench -p audit-core --bench items -- --warm-up-time 1 --measurement-time 3

## The README's run command: an emulated tenant and moto on loopback, the functions through
## cargo-lambda: start the subscription, sync twice, print the usage report (ARGS=--json for JSON,
## ARGS=--html for the dashboard page in .local/report.html).
run: deps build
	scripts/run-local.sh $(ARGS)

## The usage report as a table (ARGS=--json for JSON), from the local stack or AWS_ENDPOINT_URL.
report: build
	scripts/report.sh $(ARGS)

## The dashboard page of the same report, written to $(REPORT_HTML) (EVENT='{"from": ...}').
REPORT_HTML ?= .local/report.html
report-html: build
	REPORT_HTML=$(REPORT_HTML) scripts/report.sh --html $(if $(EVENT),'$(EVENT)')

stack-up: deps build
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

clean:
	scripts/stack.sh down
	cargo clean
	rm -rf $(VENV) $(INFRA_VENV) .local $(BROWSER_DIR)/node_modules
