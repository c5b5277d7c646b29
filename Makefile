# Wharf — build, demo, test, bench. Every target installs what it needs (idempotently).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

WASM_TARGET := wasm32-wasip2
# Guests (components and hostile test guests) share one target dir, separate from the host's.
WASM_DIR    := $(CURDIR)/target/wasm
COMPONENTS_OUT := $(CURDIR)/target/components
GUESTS_OUT  := $(CURDIR)/target/test-guests
WHARF       := $(CURDIR)/target/debug/wharf
DEMO_DATA   := $(CURDIR)/target/demo-data

.PHONY: all setup sdk-wit components guests host build symbol-order demo demo-quickstart demo-sftp demo-website test test-host test-components test-workflows peers windows bench infra-check lambda clean

all: build

setup:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)

# Build the task components and copy them to target/components/<task-name>.wasm: every folder of
# components/ is a task whose package is named as the folder (libraries live in crates/ and sdk/).
components: setup
	cargo build --manifest-path components/Cargo.toml --release --target $(WASM_TARGET) --target-dir $(WASM_DIR)
	mkdir -p $(COMPONENTS_OUT)
	for manifest in components/*/Cargo.toml; do
	  task=$$(basename $$(dirname $$manifest))
	  f=$(WASM_DIR)/$(WASM_TARGET)/release/$${task//-/_}.wasm
	  if [ -f "$$f" ]; then cp "$$f" $(COMPONENTS_OUT)/$$task.wasm; fi
	done

# The SDK carries a copy of wit/ so it builds outside this repository; refresh it after changing
# wit/ (sdk/rust/tests/vendored_wit.rs fails until then).
sdk-wit:
	rm -rf sdk/rust/wit
	cp -r wit sdk/rust/wit

# The hostile and no-op guests the sandbox tests and benchmarks run.
guests: setup
	cargo build --manifest-path tests/guests/Cargo.toml --release --target $(WASM_TARGET) --target-dir $(WASM_DIR)
	mkdir -p $(GUESTS_OUT)
	for g in noop hostile sftp-snoop http-snoop ftp-snoop email-snoop; do cp $(WASM_DIR)/$(WASM_TARGET)/release/$${g//-/_}.wasm $(GUESTS_OUT)/$$g.wasm; done

host:
	cargo build

build: components host

# The real job (seed workflow 2, examples/magento-to-sage.yaml): the fake Magento 2 shop on
# 127.0.0.1, an embedded Sage company with stock, Magento → Sage → Magento, then the orders in
# Sage, the shop's order statuses and the stock levels pushed back, side by side.
demo: components
	cargo build --workspace --bin wharf --bin wharf-fake-shop
	bash examples/magento-demo/run.sh

# Builds everything and runs examples/quickstart.yaml on generated data in target/demo-data.
demo-quickstart: build
	rm -rf $(DEMO_DATA)
	$(WHARF) generate --count 1000 --output $(DEMO_DATA)/quickstart/work/product_export.xml
	$(WHARF) --data $(DEMO_DATA) validate examples/quickstart.yaml
	$(WHARF) --data $(DEMO_DATA) run examples/quickstart.yaml
	echo
	echo "Working directory after the run:"; ls -R $(DEMO_DATA)/quickstart/work | head -20
	echo "Archive:"; ls -l $(DEMO_DATA)/quickstart/archive

# Seed workflow 1 (examples/sftp-to-sage.yaml) against a local OpenSSH server with sample orders.
demo-sftp: build
	bash examples/sftp-demo/run.sh

demo-website: build
	bash examples/website/demo.sh

test: components guests peers windows test-components test-host test-workflows

# Real peers the tests talk to (moto for S3) and the toolchains the Python and JavaScript
# templates build with (componentize-py, componentize-js), installed into target/peers once.
peers:
	bash host/s3-store/peers/install-moto.sh
	bash host/email/peers/install-aiosmtpd.sh
	bash examples/website/install-php.sh
	bash host/test-peers/prism/install.sh
	bash templates/install-toolchains.sh

# The Sage agent and the fake SDO COM server built for Windows, and a Wine prefix with the fake
# registered, for `cargo test --test wine` (docs/sage50.md). Idempotent.
windows:
	bash host/sage-agent/wine/setup.sh

test-components:
	cargo test --manifest-path components/Cargo.toml --target-dir $(WASM_DIR)

# The Lambda (bootstrap) and runner binaries are started as processes by the cloud tests. They
# are built in the same invocation as the tests, so both share one feature resolution (with
# dev-dependencies) and nothing is compiled twice.
test-host:
	cargo build --workspace --bins --tests
	cargo test --workspace

# The workflow cases in tests/workflows (docs/workflow-tests.md), with the binary test-host built.
test-workflows:
	$(WHARF) --components $(COMPONENTS_OUT):$(GUESTS_OUT) test tests/workflows

bench: components guests
	cargo build --manifest-path components/Cargo.toml --release --example split_native --target-dir $(WASM_DIR)
	cargo bench --bench wharf-bench

# host/cli/symbol-order.txt: the functions a one-task `wharf run` executes (callgrind), which
# host/cli/build.rs has lld place side by side. Regenerate it when the bench's row "functions of
# host/cli/symbol-order.txt linked" falls well below the list's length. The list is taken from
# the `wharf` the bench builds (with the bench's dev-dependencies, whose features change many
# symbols' hashes): a plain `cargo build --release` binary finds about a third of its names.
symbol-order: guests
	cargo bench --bench wharf-bench --no-run
	bash host/cli/symbol-order.sh

# The Lambda deployment zip (target/lambda/wharf-lambda.zip, `bootstrap` inside) for the
# provided.al2023 runtime on x86_64: built with cargo-zigbuild against glibc 2.34 (Amazon Linux
# 2023's), both installed once from PyPI into target/peers/zig-venv.
lambda:
	bash host/lambda/build-zip.sh

# Static checks of the Terraform in infra/: terraform fmt/validate/test when terraform is on PATH,
# and checkov (installed once into target/peers/checkov-venv). Compiles nothing.
infra-check:
	bash infra/check.sh

clean:
	cargo clean
	rm -rf $(WASM_DIR) $(COMPONENTS_OUT) $(GUESTS_OUT) $(DEMO_DATA)
