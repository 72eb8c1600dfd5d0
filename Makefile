# The two commands of the README:
#   make demo   set up, build everything, run the capture demo
#   make test   set up, run every test (Rust and C) and the benchmarks' smoke modes
PREFIX ?= /usr/local
CARGO ?= cargo

.PHONY: setup build demo test lint install bench clean

setup:
	@bash .ci/setup

# build.rs leaves the soname link libringcap.so.0 beside the library; it is
# made again here in case it was removed since build.rs last ran.
build: setup
	$(CARGO) build --release --all-targets
	ln -sf libringcap.so target/release/libringcap.so.0

demo: build
	bash examples/demo.sh target/release

# cargo test links the tests against the rlib only: build the cdylib the
# C tests load first. The test-hooks feature adds the test-only exports
# some C tests drive the kernel's error paths with.
test: setup
	$(CARGO) build --lib --features test-hooks
	ln -sf libringcap.so target/debug/libringcap.so.0
	$(CARGO) test --no-fail-fast --features test-hooks
	bench/run --smoke
	bash bench/tx/run.sh --smoke

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

install: build
	sh pkgconfig/install.sh $(PREFIX) target/release

# Capture benchmarks (about 15 minutes), then transmit (about 5).
bench: build
	bench/run
	bash bench/tx/run.sh --runs 7

clean:
	$(CARGO) clean
