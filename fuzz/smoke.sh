#!/usr/bin/env bash
# Builds every fuzz target on the stable toolchain (no sanitizer: the crate forbids unsafe
# code) and runs each for a few seconds from its committed seeds, so a target that no
# longer builds, or crashes at once, fails CI. The long runs are in the README.
# Usage: fuzz/smoke.sh [seconds per target, default 5]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-5}"

if ! cargo fuzz --version 2>/dev/null | grep -q '^cargo-fuzz 0.13'; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

targets=$(cargo fuzz list)
cargo fuzz build -s none -O --target-dir ../target/fuzz
for t in $targets; do
  corpus=$(mktemp -d)
  log=$(mktemp)
  # New inputs go to the scratch corpus (the first directory); the seeds stay as committed.
  if ! cargo fuzz run -s none -O --target-dir ../target/fuzz "$t" "$corpus" "seeds/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $t failed its smoke run (crash input under fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  echo "$t: $(grep -E '^Done' "$log")"
  rm -rf "$corpus" "$log"
done
