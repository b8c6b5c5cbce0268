# Everything a user or CI runs. Each target installs what it needs (a Python virtualenv with
# moto's server and cargo-lambda) so a fresh clone works with one command.

SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed
PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PATH

.PHONY: all deps build test lint run stack-up stack-down clean

all: build

# The virtualenv is rebuilt when the pinned requirements change.
$(STAMP): scripts/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
	touch $(STAMP)

deps: $(STAMP)

build:
	cargo build --workspace --bins

## The README's test command: formatting, lints, unit and integration tests.
test: deps
	cargo fmt --all -- --check
	cargo build --workspace --all-targets
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	cargo test --workspace --no-fail-fast

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

## The README's run command: an emulated tenant and moto on loopback, the functions through
## cargo-lambda: start the subscription and list it.
run: deps build
	scripts/run-local.sh

stack-up: deps build
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

clean:
	scripts/stack.sh down
	cargo clean
	rm -rf $(VENV) .local
