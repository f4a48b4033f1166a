#!/usr/bin/env bash
# Builds the npm package `steadfast` into pkg/ (`make package`):
#   1. the wasm target (rustup), wasm-opt from the npm binaryen (tools/,
#      installed with `npm ci` when missing or out of date);
#   2. steadfast-wasm for wasm32-unknown-unknown, profile wasm-release: a
#      module that imports nothing and exports functions of numbers
#      (wasm/src/abi.rs), so no generated glue: the package's own loader
#      (pkg-template/node/index.cjs, web/index.js) instantiates it;
#   3. wasm-opt -Oz --converge (repeat -Oz until the module stops
#      shrinking), then --gufa (whole-program type flow: constants and
#      unreachable code it proves, -0.3 KB gzipped) and -Oz once more;
#      names, producers and feature sections stripped;
#   4. pkg-template/ + the module → pkg/, the JavaScript minified by
#      esbuild (local names shortened, every function's and class's `name`
#      kept, so stacks and `console.log` read as in the source), and the
#      package's size.
# `npm pack pkg/` packs the result.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

# npm ci only when node_modules is missing or older than the lockfile.
if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -x tools/node_modules/.bin/esbuild ] \
  || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi
wasm_opt="$PWD/tools/node_modules/.bin/wasm-opt"

cargo build -p steadfast-wasm --target wasm32-unknown-unknown --profile wasm-release
target_dir="${CARGO_TARGET_DIR:-target}"
wasm="$target_dir/wasm32-unknown-unknown/wasm-release/steadfast_wasm.wasm"

out="$target_dir/wasm-pkg"
rm -rf "$out"
mkdir -p "$out"
"$wasm_opt" -Oz --converge --gufa -Oz --strip-debug --strip-producers --strip-target-features \
  "$wasm" -o "$out/steadfast_wasm_bg.wasm"

version="$(cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="steadfast-wasm");console.log(p.version)})')"
node tools/assemble.mjs "$out" pkg "$version"
echo "built in $(( $(date +%s) - start )) s; pack it with: npm pack ./pkg"
