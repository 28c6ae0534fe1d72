# signet — the two commands are `make run` and `make test`; see README.md.
CARGO ?= cargo
CARGO_FLAGS ?= -j2
SIGNET := target/debug/signet
VECTORS := crates/auth/tests/vectors
PYTHON_VENV := .venv-test
PYTHON_STAMP := $(PYTHON_VENV)/.installed
# Test tools built from crates.io live outside the repo.
TOOLS ?= $(HOME)/.cache/signet-tools
S3S_FS := $(TOOLS)/bin/s3s-fs
FACES := $(TOOLS)/faces
OHA := $(TOOLS)/bin/oha

.PHONY: run build test test-minio test-deps browser-deps image-tools cluster-tools system-deps vectors bench bench-engine bench-deps bench-tools bench-w3-ab fuzz fuzz-deps soak soak-deps lint fmt clean

# libjpeg-turbo 3 is built from the source vendored in turbojpeg-sys: it needs
# cmake, and nasm for its SIMD code (Debian's own libturbojpeg is 2.x, too old).
# cmake and nasm build libjpeg-turbo and libheif; libheif (HEIC, AVIF
# sources) links Debian's libde265 (HEVC) and dav1d/libaom (AV1).
# fonts-droid-fallback (Apache-2.0) is the text fallback for characters the
# chosen font lacks (CJK): the config's default `fallback_font`.
HEIF_DEV := libde265-dev libdav1d-dev libaom-dev
system-deps:
	@command -v cmake >/dev/null && command -v nasm >/dev/null && command -v pkg-config >/dev/null \
		&& pkg-config --exists libde265 dav1d aom \
		&& test -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake nasm pkg-config $(HEIF_DEV) fonts-droid-fallback; }

build: system-deps
	$(CARGO) build $(CARGO_FLAGS) --bin signet

run: build
	@scripts/demo.sh $(SIGNET) examples/signet.toml

# Node jsonwebtoken and PyJWT make fresh token vectors for the auth tests;
# s3s-fs is the real S3 server the storage and end-to-end tests start.
# Chromium (Debian's) and playwright-core drive the browser tests; Debian's
# jpegtran makes progressive JPEGs for the pipeline tests, and its ffmpeg
# makes and plays the HLS streams of the video tests. Debian's redis-server
# carries the cluster tests' invalidations (over TLS too, with a CA that
# openssl makes), nginx-light routes their requests.
test-deps: $(VECTORS)/node_modules/jsonwebtoken $(PYTHON_STAMP) $(S3S_FS) browser-deps image-tools cluster-tools $(FACES)/astronaut.png

cluster-tools:
	@command -v redis-server >/dev/null && test -x /usr/sbin/nginx && command -v openssl >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server nginx-light openssl; }

# Tools that make the test media at test time: jpegtran, ffmpeg, and for
# the source-format corpus ImageMagick, libavif's avifenc, libheif's
# heif-enc, libjxl's cjxl, exiftool, a real photo (MATE's wallpapers),
# colord's RGB profiles (Adobe RGB, ProPhoto) and Ghostscript's CMYK one
# (libgs-common: ICC files only), libwebp's img2webp (webp) for animations.
IMAGE_TOOLS := libjpeg-turbo-progs ffmpeg imagemagick libavif-bin libheif-examples libjxl-tools \
	libimage-exiftool-perl mate-backgrounds colord-data libgs-common webp
image-tools:
	@command -v jpegtran >/dev/null && command -v ffmpeg >/dev/null && command -v avifenc >/dev/null \
		&& command -v heif-enc >/dev/null && command -v cjxl >/dev/null && command -v exiftool >/dev/null \
		&& command -v img2webp >/dev/null \
		&& test -x /usr/bin/convert && test -f /usr/share/backgrounds/mate/nature/LadyBird.jpg \
		&& test -f /usr/share/color/icc/colord/AdobeRGB1998.icc \
		&& test -f /usr/share/color/icc/ghostscript/default_cmyk.icc || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(IMAGE_TOOLS); }

BROWSER := tests/browser
browser-deps: $(BROWSER)/node_modules/playwright-core
	@test -x /usr/bin/chromium || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

$(BROWSER)/node_modules/playwright-core: $(BROWSER)/package.json $(BROWSER)/package-lock.json
	npm ci --prefix $(BROWSER) --no-audit --no-fund

# s3s-fs, pinned, built once into a tool folder outside the repo. It is only a
# test server: a light release profile keeps the build short.
$(S3S_FS):
	CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
		$(CARGO) install s3s-fs@0.14.1 --features binary --locked $(CARGO_FLAGS) --root $(TOOLS)

$(VECTORS)/node_modules/jsonwebtoken: $(VECTORS)/package.json $(VECTORS)/package-lock.json
	npm ci --prefix $(VECTORS) --no-audit --no-fund

# PyJWT for token vectors, Sirv's Python SDK for the REST API test.
$(PYTHON_STAMP): $(VECTORS)/requirements.txt tests/e2e/sdk/requirements.txt
	test -x $(PYTHON_VENV)/bin/python || python3 -m venv $(PYTHON_VENV)
	$(PYTHON_VENV)/bin/pip install --quiet -r $(VECTORS)/requirements.txt \
		-r tests/e2e/sdk/requirements.txt
	touch $@

# The second run builds the server without its default `s3` feature (as
# `make bench` does) and runs the test that it refuses an S3 config.
# Public-domain portraits for the face-crop tests: NASA's photo of Eileen
# Collins and the "cameraman" (a face in three-quarter view), as scikit-image
# ships them in Debian's python3-skimage; only the package file is fetched
# (not installed) and the two PNGs taken out of it.
$(FACES)/astronaut.png:
	mkdir -p $(FACES)
	cd $(FACES) && { apt-get download python3-skimage 2>/dev/null || \
		{ apt-get update -qq && apt-get download python3-skimage; }; } \
		&& for f in camera astronaut; do dpkg-deb --fsys-tarfile python3-skimage_*.deb \
			| tar -xO ./usr/lib/python3/dist-packages/skimage/data/$$f.png > $$f.png.part \
			&& mv $$f.png.part $$f.png; done \
		&& rm -f python3-skimage_*.deb

test: system-deps test-deps
	SIGNET_REQUIRE_PEERS=1 SIGNET_S3S_FS=$(S3S_FS) SIGNET_FACE_PHOTOS=$(FACES) $(CARGO) test $(CARGO_FLAGS) --workspace --all-targets
	$(CARGO) test $(CARGO_FLAGS) -p signet-server --no-default-features --lib s3_storage_is_refused

# The storage suite and the S3 end-to-end tests against MinIO from
# deploy/docker-compose.yml (needs a docker engine; see docs/operations.md).
MINIO_ENV := SIGNET_S3_ENDPOINT=http://127.0.0.1:9000 SIGNET_TEST_S3_BUCKET=signet-test \
	AWS_ACCESS_KEY_ID=signet-minio AWS_SECRET_ACCESS_KEY=signet-minio-secret
test-minio: system-deps test-deps
	docker compose -f deploy/docker-compose.yml up -d --wait minio
	docker compose -f deploy/docker-compose.yml run --rm minio-init
	$(MINIO_ENV) SIGNET_REQUIRE_PEERS=1 $(CARGO) test $(CARGO_FLAGS) --test e2e -- s3:: api::
	$(MINIO_ENV) $(CARGO) test $(CARGO_FLAGS) -p signet-storage --test suite

# Regenerates the committed token vectors (fixed timestamps, so reproducible).
vectors: test-deps
	cd $(VECTORS) && node node.js > node.json
	cd $(VECTORS) && ../../../../$(PYTHON_VENV)/bin/python pyjwt.py > pyjwt.json

# The side-by-side benchmark (docs/benchmarks.md): signet against sharp,
# thumbor, nginx and vipsthumbnail on one corpus, driven by wrk; the table
# lands in target/bench/report.md. BENCH_SECONDS per measured cell. The peers
# install (apt, pip, npm: mostly downloads; log in target/bench-deps.log)
# while cargo builds signet and the corpus writer, in one cargo run so they
# share one build of the image stack. Every server reads a local folder, so
# signet is built without the S3 back end (the AWS SDK is a fifth of the
# release build; docs/benchmarks.md shows both builds serve alike).
BENCH_SECONDS ?= 6
bench: system-deps
	@mkdir -p target
	@echo "installing the peers in the background: target/bench-deps.log"
	@$(MAKE) --no-print-directory bench-deps > target/bench-deps.log 2>&1 & deps=$$!; \
	$(CARGO) build --release $(CARGO_FLAGS) -p signet -p signet-bench-corpus --bins \
		--no-default-features; built=$$?; \
	wait $$deps || { tail -30 target/bench-deps.log; exit 1; }; exit $$built
	target/release/signet-bench-corpus
	$(BENCH_VENV)/bin/python benches/peers/servers.py --signet target/release/signet \
		--thumbor $(BENCH_VENV)/bin/thumbor --seconds $(BENCH_SECONDS)
	python3 benches/peers/cluster.py --signet target/release/signet
	python3 benches/peers/search.py --signet target/release/signet

# Peers and tools, benchmark only (nothing here is needed to run signet):
# libvips-tools, nginx and wrk (the load generator) from Debian; pyvips,
# thumbor and numpy pinned in a venv; sharp pinned with npm (it ships its own
# libvips).
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
SHARP := benches/peers/sharp/node_modules/sharp
bench-deps: system-deps bench-tools image-tools $(BENCH_STAMP) $(SHARP)
	@command -v vipsthumbnail >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-tools; }

bench-tools:
	@command -v nginx >/dev/null && command -v wrk >/dev/null && command -v jpegtran >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk libjpeg-turbo-progs; }

# W3 (cache hits with a JWT on every request) of BASE, an older signet
# binary, side by side with this tree's in ABBA halves: a change's
# before/after (docs/benchmarks.md). Needs only wrk, nginx and python3.
bench-w3-ab: system-deps bench-tools
	@test -x "$(BASE)" || { echo "give BASE=path/to/an/older/signet"; exit 2; }
	$(CARGO) build --release $(CARGO_FLAGS) -p signet -p signet-bench-corpus --bins --no-default-features
	target/release/signet-bench-corpus
	python3 benches/peers/servers.py --only W3 --baseline $(BASE) --seconds $(BENCH_SECONDS)

$(BENCH_STAMP): benches/peers/requirements.txt
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q -r benches/peers/requirements.txt
	touch $@

$(SHARP): benches/peers/sharp/package.json benches/peers/sharp/package-lock.json
	npm ci --prefix benches/peers/sharp --no-audit --no-fund

# In-process micro-benchmarks (criterion): token verification, and signet's
# pipeline against libvips (pyvips) and `signet transform` against
# `vipsthumbnail` on the same files.
bench-engine: bench-deps
	$(CARGO) bench $(CARGO_FLAGS) --bench auth
	$(CARGO) bench $(CARGO_FLAGS) --bench engine -- 'pipeline-jpeg-q80|encode-400px-q80|effects-2.7mp'
	$(CARGO) build --release $(CARGO_FLAGS) --bin signet
	$(BENCH_VENV)/bin/python benches/peers/engine.py --corpus target/bench-corpus \
		--criterion target/criterion --signet target/release/signet

# Fuzzing on stable Rust: cargo-afl (AFL++; its install builds AFL++ too).
# `make fuzz` runs every target for FUZZ_SECONDS (CI: 20 s each); crashes land
# in fuzz/regressions/ and fail the run. See docs/reliability.md.
CARGO_AFL := $(TOOLS)/bin/cargo-afl
FUZZ_SECONDS ?= 60
fuzz-deps: $(CARGO_AFL)
$(CARGO_AFL):
	$(CARGO) install cargo-afl@0.18.2 --locked $(CARGO_FLAGS) --root $(TOOLS)

fuzz: system-deps fuzz-deps
	PATH="$(TOOLS)/bin:$$PATH" FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# Load and soak on loopback with oha (constant rate, latency correction).
# SOAK_SECONDS=60 for a short run; the report lands in target/soak/.
SOAK_SECONDS ?= 600
soak-deps: $(OHA)
$(OHA):
	$(CARGO) install oha@1.16.0 --locked $(CARGO_FLAGS) --root $(TOOLS)

soak: system-deps soak-deps
	$(CARGO) build --release $(CARGO_FLAGS) --bin signet
	python3 scripts/soak.py --signet target/release/signet --oha $(OHA) --seconds $(SOAK_SECONDS)

lint: system-deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(CARGO_FLAGS) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(PYTHON_VENV) $(VECTORS)/node_modules
