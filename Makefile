# signet — the two commands are `make run` and `make test`; see README.md.
CARGO ?= cargo
CARGO_FLAGS ?= -j2
SIGNET := target/debug/signet
VECTORS := crates/auth/tests/vectors
PYTHON_VENV := .venv-test

.PHONY: run build test test-deps vectors bench lint fmt clean

build:
	$(CARGO) build $(CARGO_FLAGS) --bin signet

run: build
	@scripts/demo.sh $(SIGNET) examples/signet.toml

# Node jsonwebtoken and PyJWT make fresh token vectors for the auth tests.
test-deps: $(VECTORS)/node_modules/jsonwebtoken $(PYTHON_VENV)/bin/python

$(VECTORS)/node_modules/jsonwebtoken: $(VECTORS)/package.json $(VECTORS)/package-lock.json
	npm ci --prefix $(VECTORS) --no-audit --no-fund

$(PYTHON_VENV)/bin/python: $(VECTORS)/requirements.txt
	python3 -m venv $(PYTHON_VENV)
	$(PYTHON_VENV)/bin/pip install --quiet -r $(VECTORS)/requirements.txt

test: test-deps
	SIGNET_REQUIRE_PEERS=1 $(CARGO) test $(CARGO_FLAGS) --workspace --all-targets

# Regenerates the committed token vectors (fixed timestamps, so reproducible).
vectors: test-deps
	cd $(VECTORS) && node node.js > node.json
	cd $(VECTORS) && ../../../../$(PYTHON_VENV)/bin/python pyjwt.py > pyjwt.json

bench:
	$(CARGO) bench $(CARGO_FLAGS) --bench auth

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(CARGO_FLAGS) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(PYTHON_VENV) $(VECTORS)/node_modules
