#!/usr/bin/env bash
# Installs wasm-bindgen-cli at exactly the wasm-bindgen version of Cargo.lock
# into a cache folder that survives between runs; prints the binary's path.
# Skips the install when the cached binary already has that version.
# No `--locked`: the CLI's own lockfile wants a crate version the registry
# mirror lacks.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ -z "$version" ]; then
  echo "no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
root="${STEADFAST_TOOLS:-$HOME/.cache/steadfast}"
bin="$root/bin/wasm-bindgen"
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "wasm-bindgen $version" ]; then
  echo "$bin"
  exit 0
fi
echo "installing wasm-bindgen-cli $version into $root (a few minutes, once)" >&2
cargo install wasm-bindgen-cli --version "$version" --root "$root" --force >&2
echo "$bin"
