#!/usr/bin/env bash
# make fuzz: every parser and decoder of the core, FUZZ_SECONDS (60) each.
#   1. The property-test targets (core/tests/fuzz.rs: Retry-After, HTTP-date,
#      rate-limit headers, structured fields, classification, the body's
#      message, the snapshot codec), on the toolchain in use.
#   2. Option decoding from JS values (tests/js/options-fuzz.test.mjs):
#      random option objects and call inits against the built package in
#      pkg/ (`make fuzz` builds it first), under Node.
#   3. The libFuzzer targets (fuzz/fuzz_targets/) with cargo-fuzz, when a
#      nightly toolchain is installed (cargo-fuzz is installed from crates.io
#      when missing). Without nightly they are skipped, and said so.
# One line per target: cases or executions, seconds, findings. Exits 1 if
# anything was found (the shrunk input, or libFuzzer's crash file, printed).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
cargo="${CARGO:-cargo}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
found=0
results=()

echo "== property-test targets (core/tests/fuzz.rs), ${seconds} s each, two at a time"
if ! STEADFAST_FUZZ_SECONDS="$seconds" "$cargo" test -q -p steadfast-core --test fuzz -- \
    --nocapture --test-threads 2 >"$log" 2>&1; then
  found=1
  grep -E 'panicked|Test failed|minimal failing input' -A3 "$log" | head -60
fi
while IFS= read -r line; do
  results+=("proptest  $line")
done < <(grep -oE 'fuzz [a-z_]+: [0-9]+ cases in [0-9.]+ s, [0-9]+ findings?( after [0-9]+ cases)?|fuzz [a-z_]+: 1 finding after [0-9]+ cases|fuzz snapshot_decode: [0-9]+ decoded.*' "$log")

if command -v node >/dev/null && [ -f pkg/package.json ]; then
  echo "== option decoding from JS values (tests/js/options-fuzz.test.mjs), ${seconds} s"
  if ! STEADFAST_FUZZ_SECONDS="$seconds" node --test tests/js/options-fuzz.test.mjs >"$log" 2>&1; then
    found=1
    grep -E "error:|case [0-9]+" "$log" | head -10
  fi
  line="$(grep -oE 'options fuzz: .*' "$log" | head -1)"
  results+=("node      ${line:-options fuzz: 1 finding (see above)}")
else
  results+=("option decoding skipped: needs node and pkg/ (make package)")
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  if ! command -v cargo-fuzz >/dev/null; then
    echo "== installing cargo-fuzz (crates.io)"
    "$cargo" install cargo-fuzz --locked
  fi
  echo "== libFuzzer targets (fuzz/), ${seconds} s each, on $(rustup run nightly rustc -V)"
  for target in $(cargo +nightly fuzz list); do
    mkdir -p "fuzz/corpus/$target"
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)"
    corpus="$(find "fuzz/corpus/$target" -type f | wc -l)"
    if [ "$rc" -eq 0 ]; then
      results+=("libFuzzer fuzz $target: ${execs:-?} executions in ${seconds} s, corpus ${corpus}, 0 findings")
    else
      found=1
      results+=("libFuzzer fuzz $target: 1 finding after ${execs:-?} executions (exit $rc)")
      grep -E 'panicked|ERROR|SUMMARY|Test unit written|artifact' "$log" | head -20
      tail -5 "$log"
    fi
  done
else
  results+=("libFuzzer targets skipped: no nightly toolchain (rustup toolchain install nightly)")
fi

echo "== summary"
printf '%s\n' "${results[@]}"
exit "$found"
