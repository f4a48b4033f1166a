#!/usr/bin/env bash
# Builds the npm package `steadfast` into pkg/ (`make package`):
#   1. the wasm target (rustup), wasm-bindgen-cli at Cargo.lock's version
#      (cached in ~/.cache/steadfast), wasm-opt from the npm binaryen
#      (tools/, installed with `npm ci` when missing or out of date);
#   2. steadfast-wasm for wasm32-unknown-unknown, profile wasm-release;
#   3. wasm-bindgen --target nodejs and --target web, wasm-opt -Oz --converge
#      (repeat -Oz until the module stops shrinking);
#   4. pkg-template/ + the bindings → pkg/, and the package's size.
# `npm pack pkg/` packs the result.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

wasm_bindgen="$(./scripts/ensure-wasm-bindgen.sh)"

# npm ci only when node_modules is missing or older than the lockfile.
if [ ! -x tools/node_modules/.bin/wasm-opt ] \
  || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi
wasm_opt="$PWD/tools/node_modules/.bin/wasm-opt"

cargo build -p steadfast-wasm --target wasm32-unknown-unknown --profile wasm-release
target_dir="${CARGO_TARGET_DIR:-target}"
wasm="$target_dir/wasm32-unknown-unknown/wasm-release/steadfast_wasm.wasm"

out="$target_dir/wasm-pkg"
rm -rf "$out"
"$wasm_bindgen" "$wasm" --target nodejs --out-dir "$out/node" \
  --remove-name-section --remove-producers-section
"$wasm_bindgen" "$wasm" --target web --out-dir "$out/web" \
  --remove-name-section --remove-producers-section
# Both targets get the same module (only the JS glue differs): optimise it
# once (wasm-opt from npm is slow), use it twice.
cmp -s "$out/node/steadfast_wasm_bg.wasm" "$out/web/steadfast_wasm_bg.wasm" \
  || { echo "nodejs and web targets emitted different modules" >&2; exit 1; }
"$wasm_opt" -Oz --converge "$out/node/steadfast_wasm_bg.wasm" -o "$out/node/steadfast_wasm_bg.wasm"
cp "$out/node/steadfast_wasm_bg.wasm" "$out/web/steadfast_wasm_bg.wasm"

version="$(cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="steadfast-wasm");console.log(p.version)})')"
node tools/assemble.mjs "$out" pkg "$version"
echo "built in $(( $(date +%s) - start )) s; pack it with: npm pack ./pkg"
