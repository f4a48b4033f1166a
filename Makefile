# Steadfast: one place for the commands the README promises.
#   make demo   set up, then run the demo (the simulation, then examples/node)
#   make test   set up, then run every check CI runs
#   make bench  benchmarks side by side with peer crates, then a ratio table
#   make bench-js  the npm package: overhead vs a bare fetch, cockatiel and opossum, and the limiter's pace (5,000 calls at 10..1000/s), then tables
#   make bench-peers  the npm package beside cockatiel, opossum + p-retry, ky, undici's RetryAgent,
#               bottleneck + p-retry and plain fetch against a fault server: tables, SVGs, sizes, overhead
#   make package  build the npm package `steadfast` into pkg/ (npm pack ./pkg)
#   make test-js  build the package, then test it as a user installs it
#   make test-types  build the package, then check its types and metadata (publint, attw, tsc)
#   make test-runtimes  build the package, then smoke-test it on Node 18, Node 22, Deno, Bun and workerd
#   make test-sim-wasm  replay every scenario in WebAssembly under Node, compare with native
#   make soak-js  200,000 calls of the packed package, heap and wasm memory sampled
#   make test-wasm-hosts  the wasm crate's checks in Node, a Chromium page, a worker and a service worker
#   make test-browser  build the package, then test its web build in headless Chromium:
#               a page, and the examples/extension/ service worker stopped and woken
#   make test-fake-timers  build the package, then drive it with the fake timers users
#               test with: node:test mock.timers, @sinonjs/fake-timers, Jest, Vitest
#   make test-bundlers  build the package, then bundle it with esbuild (browser, Node ESM
#               and CJS), webpack 5 and Vite, and run each bundle (Chromium, or Node alone in a folder)
#   make soak-sim  one engine through a million simulated calls, memory sampled
#   make fuzz   every parser and decoder under property tests, for longer

SHELL := /bin/bash
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: setup demo demo-js tour test fmt-check clippy unit wasm-check sans-io-check doc-check bench bench-sim bench-js bench-peers mutants package test-js test-types test-runtimes test-sim-wasm test-wasm-hosts test-browser test-fake-timers test-bundlers soak-sim soak-js fuzz

## Installs what a fresh machine lacks: the wasm target, rustfmt and clippy.
setup:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup first"; exit 1; }
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
		|| rustup target add wasm32-unknown-unknown
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

## The simulated flaky Etsy-like API: every scenario, Steadfast vs the seed's
## policy, a table, and a timeline picture in out/timeline.svg.
demo: setup
	$(CARGO) run --release --quiet -p steadfast-sim --bin demo -- $(DEMO_ARGS)
	@$(MAKE) --no-print-directory demo-js

## The npm package at work: examples/node/ (the seed's error-handling script
## rewritten with the package) against a local Etsy-like server; fails if
## anything it shows did not happen.
demo-js: package
	cd examples/node && npm install --offline --no-audit --no-fund --no-package-lock --loglevel=error
	cd examples/node && node etsy-errors.mjs

## A tour of the core's decisions, one machine at a time.
tour: setup
	$(CARGO) run --release --quiet -p steadfast-core --example tour

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	$(CARGO) clippy -p steadfast-wasm --target wasm32-unknown-unknown -- -D warnings
	$(CARGO) clippy -p steadfast-wasm --target wasm32-unknown-unknown --all-targets --features std -- -D warnings

unit:
	$(CARGO) test --workspace --all-features

## The core must build for the browser/Node target, with and without serde.
wasm-check:
	$(CARGO) build -p steadfast-core --target wasm32-unknown-unknown
	$(CARGO) build -p steadfast-core --target wasm32-unknown-unknown --features serde

## The core never reads a clock, sleeps, spawns or does I/O.
sans-io-check:
	@! grep -rnE 'Instant::now|SystemTime::now|std::thread|thread::sleep|std::(fs|net|io)::' core/src \
		|| { echo "core/src must stay sans-IO"; exit 1; }

## Rustdoc builds without a broken link.
doc-check:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p steadfast-core -p steadfast-sim --all-features

## The npm package in pkg/: the module optimised by wasm-opt and the
## JavaScript minified by esbuild (both from npm, tools/, installed when
## missing); prints the package's size.
package: setup
	./scripts/build-package.sh

## node:test tests of the packed package, installed into a scratch project,
## against a fault-injecting server on loopback.
test-js: package
	@if [ ! -f tests/observability/node_modules/.package-lock.json ] \
		|| [ tests/observability/package-lock.json -nt tests/observability/node_modules/.package-lock.json ]; then \
		npm ci --prefix tests/observability --no-audit --no-fund --loglevel=error; \
	fi
	node tests/js/run.mjs

## The packed package's types and metadata as a TypeScript user meets them
## (tests/types/): publint --strict and @arethetypeswrong/cli on the tarball
## (every entry and subpath), then tsc --strict over a project per
## moduleResolution (node16, nodenext, bundler) with the DOM lib, @types/node
## or both: the typed example compiles, each misuse draws its expected error.
## The tools are pinned in tests/types/package-lock.json, `npm ci` when
## missing or out of date.
test-types: package
	@if [ ! -f tests/types/node_modules/.package-lock.json ] \
		|| [ tests/types/package-lock.json -nt tests/types/node_modules/.package-lock.json ]; then \
		npm ci --prefix tests/types --no-audit --no-fund --loglevel=error; \
	fi
	node tests/types/run.mjs

## The packed package on Node 18, Node 22, Deno, Bun and Cloudflare's
## workerd (tests/runtimes/): each imports it by name, makes a call retried
## after a 503, opens a circuit, rejects bad options. The runtimes are pinned
## in tests/runtimes/package-lock.json and installed from npm into
## ~/.cache/steadfast/runtimes when missing or out of date.
test-runtimes: package
	node tests/runtimes/run.mjs

## The long package soak: 200,000 calls through one client against the
## loopback fault server, the JS heap and wasm memory sampled every 20,000
## (about five minutes; `make test-js` runs the same soak with 100,000).
SOAK_JS_CALLS ?= 200000
soak-js: package
	STEADFAST_SOAK_CALLS=$(SOAK_JS_CALLS) node --test --test-reporter=spec tests/js/soak.test.mjs

## Same decisions everywhere: every scenario, both policies, three seeds,
## replayed inside WebAssembly under Node; each trace hash must equal the
## native run's (same build profile on both sides).
SIM_WASM_SEEDS ?= 42 7 2026
test-sim-wasm: setup
	$(CARGO) build -q -p steadfast-sim-wasm --target wasm32-unknown-unknown
	$(CARGO) run -q -p steadfast-sim --bin trace_hashes -- $(SIM_WASM_SEEDS) > $${CARGO_TARGET_DIR:-target}/trace-hashes-native.json
	node sim-wasm/compare.mjs $${CARGO_TARGET_DIR:-target}/trace-hashes-native.json \
		$${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/debug/steadfast_sim_wasm.wasm

## The wasm crate's host checks (wasm/tests/common) in Node, a headless
## Chromium page, a dedicated worker and a service worker, by
## wasm-bindgen-test-runner (installed with wasm-bindgen-cli) and Debian's
## chromium + chromedriver (installed when missing).
test-wasm-hosts: setup
	./scripts/ensure-chromium.sh
	runner="$$(dirname "$$(./scripts/ensure-wasm-bindgen.sh)")/wasm-bindgen-test-runner"; \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$$runner" CHROMEDRIVER=/usr/bin/chromedriver \
	WASM_BINDGEN_TEST_WEBDRIVER_JSON="$(CURDIR)/wasm/webdriver.json" \
	$(CARGO) test -p steadfast-wasm --target wasm32-unknown-unknown --features std \
		--test node --test page --test worker --test service_worker

## The packed package's web build in headless Chromium, driven by
## playwright-core (pinned in tests/browser/package-lock.json, `npm ci` when
## missing or out of date) with Debian's chromium (installed with apt-get when
## missing; never a browser download): a page on one loopback origin against
## the fault server on another (a paced burst, Retry-After, an open circuit,
## an abort), and examples/extension/ loaded unpacked, its service worker
## stopped through the DevTools protocol mid-outage and woken.
CHROMIUM ?= /usr/bin/chromium
test-browser: package
	./scripts/ensure-chromium.sh
	@if [ ! -d tests/browser/node_modules/playwright-core ] \
		|| [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	fi
	STEADFAST_CHROMIUM=$(CHROMIUM) node tests/browser/run.mjs

## The packed package under the fake timers users write tests with, each
## test file run by its framework (tests/fake-timers/): node:test's
## mock.timers, @sinonjs/fake-timers, Jest and Vitest drive retried calls,
## RetryPolicy's backoff and RateLimiter's waits on the default clock in no
## real time. The frameworks are pinned in tests/fake-timers/package-lock.json
## (`npm ci` when missing or out of date).
test-fake-timers: package
	@if [ ! -f tests/fake-timers/node_modules/.package-lock.json ] \
		|| [ tests/fake-timers/package-lock.json -nt tests/fake-timers/node_modules/.package-lock.json ]; then \
		npm ci --prefix tests/fake-timers --no-audit --no-fund --loglevel=error; \
	fi
	node tests/fake-timers/run.mjs

## The packed package as users bundle it (tests/bundlers/): esbuild for the
## browser (`steadfast/inline`; the default entry with --loader:.wasm=file),
## for Node as an ES module and as CommonJS (`steadfast/inline`, each bundle
## moved alone into an empty folder, as a serverless deploy; the default
## entry there must fail naming `steadfast/inline`), webpack 5 and Vite for
## the browser; each bundle makes a call the loopback server fails with a
## 503 and the retry gets, in headless Chromium (tests/browser's driver,
## Debian's chromium) or in Node. esbuild is tools/'s; webpack and Vite are
## pinned in tests/bundlers/package-lock.json, playwright-core in
## tests/browser's (`npm ci` when missing or out of date). About 10 s.
test-bundlers: package
	./scripts/ensure-chromium.sh
	@for d in tests/browser tests/bundlers; do \
		if [ ! -f $$d/node_modules/.package-lock.json ] \
			|| [ $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]; then \
			npm ci --prefix $$d --no-audit --no-fund --loglevel=error; \
		fi; \
	done
	STEADFAST_CHROMIUM=$(CHROMIUM) node tests/bundlers/run.mjs

test: setup fmt-check clippy sans-io-check doc-check wasm-check unit test-js test-types test-runtimes test-sim-wasm test-wasm-hosts test-browser test-fake-timers test-bundlers

bench: setup
	$(CARGO) bench -p steadfast-core --bench peers
	@python3 scripts/bench-table.py target/criterion
	$(CARGO) bench -p steadfast-sim --bench sim_speed

## The long soak: one engine through a million simulated calls (every
## scenario's server in turn, four simulated hours apart), every invariant
## checked after each run, the live heap (a counting allocator) and the
## resident set sampled every 100,000 calls; fails if the heap grew past
## 256 KiB after the warm-up. SOAK_ARGS="--calls 10000000" for longer.
SOAK_ARGS ?=
soak-sim: setup
	$(CARGO) run --release --quiet -p steadfast-sim --bin soak -- $(SOAK_ARGS)

## Every parser and decoder, FUZZ_SECONDS (60) each: the property-test
## targets of core/tests/fuzz.rs, option decoding from JS values against the
## built package (tests/js/options-fuzz.test.mjs), then the libFuzzer
## targets of fuzz/ with cargo-fuzz when a nightly toolchain is installed
## (skipped, and said so, without one). One line per target: cases or
## executions, findings. `make test` runs the short pass of the first two.
FUZZ_SECONDS ?= 60
fuzz: package
	FUZZ_SECONDS=$(FUZZ_SECONDS) CARGO=$(CARGO) ./scripts/fuzz.sh

## Simulated requests per CPU-second.
bench-sim: setup
	$(CARGO) bench -p steadfast-sim --bench sim_speed

## The npm package's per-call overhead, side by side in one run: client.get
## vs a bare fetch on loopback; CircuitBreaker and RetryPolicy vs cockatiel
## and opossum (bench/js/, pinned; `npm ci` when missing or out of date).
## About a minute; a missed target is reported, not a failure.
bench-js: package
	@if [ ! -f bench/js/node_modules/.package-lock.json ] \
		|| [ bench/js/package-lock.json -nt bench/js/node_modules/.package-lock.json ]; then \
		npm ci --prefix bench/js --no-audit --no-fund --loglevel=error; \
	fi
	node bench/js/run.mjs

## Steadfast beside its peers, on the same workloads in one run
## (bench/peers/): a seeded fault-injecting Etsy-like server on loopback, four
## scenarios (rate-limit pressure, an outage, mixed faults, a daily quota),
## each client in a fresh process against a fresh server; a markdown table
## per scenario, bench/peers/out/results.json and one SVG per scenario; then
## the size of each package as installed and bench/js's per-call overhead.
## The peers are pinned in bench/peers/package-lock.json (and bench/js's),
## `npm ci` when missing or out of date. About ten minutes; a missed target is
## reported, not a failure. PEERS_ARGS="--smoke" runs a tenth of each
## workload, without the overhead step.
bench-peers: package
	@for d in bench/js bench/peers; do \
		if [ ! -f $$d/node_modules/.package-lock.json ] \
			|| [ $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]; then \
			npm ci --prefix $$d --no-audit --no-fund --loglevel=error; \
		fi; \
	done
	node bench/peers/run.mjs $(PEERS_ARGS)

## Mutation testing of the engine's wiring and the limiter (cargo-mutants;
## about 50 minutes on two cores). Results in mutants.out/.
mutants: setup
	@command -v cargo-mutants >/dev/null || $(CARGO) install cargo-mutants --locked
	$(CARGO) mutants -p steadfast-core --profile mutants --cargo-test-arg=--tests \
		-f 'core/src/engine/*.rs' -f 'core/src/limiter/*.rs'
