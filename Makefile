# The two commands a new user needs: `make run` and `make test`.
# Everything else here is a step of those two.

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test setup setup-test build lint unit end2end

## Set up, build (release) and start Ferroflow on 127.0.0.1:8080 with data in ./data.
run: setup build
	$(TARGET_DIR)/release/ferroflow serve --bind 127.0.0.1:8080 --data-dir data

## Set up and pass every check and test.
test: setup-test lint unit build end2end

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

build:
	cargo xtask build --release

lint:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --package frontend --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test

end2end:
	node --test --test-concurrency=1 end2end/tests/
