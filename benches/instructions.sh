#!/usr/bin/env bash
# Instructions per request: the user-space instructions a server executes for one 1 KiB
# presigned GET, counted by valgrind (callgrind), so two builds can be compared without the
# noise of a shared machine (load.sh's CPU figures move by 10 % from run to run here).
#
#   proxy   nginx as a plain reverse proxy (one process), the anchor
#   gate    outpost-gate (one worker, kind = "s3"), verifying every request
#   gate_b  a second build of the gate, when GATE_B_BIN is set (an A/B of a change)
#
# Each server is started twice under callgrind and sent FEW then MANY keep-alive GETs by
# one curl; the difference of the two totals divided by MANY - FEW is the cost of one
# request, with start-up and shutdown cancelled out (two runs of the same build agree to
# about 0.1 %). Valgrind hides the CPU's SHA extensions, so SHA-256 runs in software and
# weighs several times what it does on the hardware: the figures are also given without
# it. Kernel time is not counted (load.sh measures it); cache misses and contention
# between cores are not either, so this complements load.sh, it does not replace it.
#
# KEEP_WORK=1 keeps the callgrind files (printed directory) for callgrind_annotate: the
# difference of the FEW and MANY profiles is an exact per-request profile.
#
# Needs valgrind, nginx and curl (Debian: apt-get install valgrind nginx-light curl) and a
# release build (made here). Usage: benches/instructions.sh [FEW (default 100)] [MANY (default 600)]
set -euo pipefail
shopt -s inherit_errexit
export OUTPOST_GATE_LOG=warn  # diagnostics; the access line is written as in production

FEW=${1:-100}
MANY=${2:-600}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${KEEP_WORK:-}" ] && echo "callgrind files in $WORK" >&2

for tool in valgrind nginx curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install valgrind nginx-light curl)" >&2; exit 2; }
done
[ "$MANY" -gt "$FEW" ] || { echo "MANY must be more than FEW" >&2; exit 2; }

# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"
STORE_PORT=$(free_port)

echo "building the gate (release)..." >&2
(cd "$ROOT" && cargo build --release --quiet)
GATE_BIN=${GATE_BIN:-$ROOT/target/release/outpost-gate}

mkdir -p "$WORK/store/bench-bucket"
head -c 1024 /dev/urandom > "$WORK/store/bench-bucket/1k.bin"

nginx_conf store "$STORE_PORT" "" "root $WORK/store; access_log off;" 1
nginx -c "$WORK/nginx/store.conf" -g 'daemon off;' &
PIDS+=($!)

# One server under callgrind, sent $2 requests for the URL in $3 over one connection;
# prints the instructions it executed in all. $1 names the run; $4... is the command.
count() {
  local name=$1 n=$2 url=$3 out="$WORK/$1.$2"
  shift 3
  valgrind --tool=callgrind --callgrind-out-file="$out.cg" --cache-sim=no --branch-sim=no "$@" \
    > "$out.stdout" 2> "$out.stderr" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 300); do curl -s -o /dev/null "$url" && break; sleep 0.2; done
  # Minus the readiness probe just made.
  for _ in $(seq $((n - 1))); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done > "$out.curl"
  curl -s -K "$out.curl"
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  local total sha
  total=$(sed -n 's/^totals: //p' "$out.cg")
  [ -n "$total" ] && [ "$total" -gt 0 ] || { echo "no count for $name" >&2; cat "$out.stderr" >&2; exit 1; }
  # Valgrind hides the CPU's SHA extensions, so SHA-256 runs in software here and costs many
  # times what it does on the hardware: its share is counted apart.
  sha=$(callgrind_annotate --inclusive=no --tree=none --auto=no --threshold=100 "$out.cg" 2>/dev/null |
    awk '/sha2::sha256::soft::compress/ { gsub(",", "", $1); s += $1 } END { print s + 0 }')
  echo "$total $sha"
}

per_request() { # name url command... -> instructions per request, and of them SHA-256's
  local name=$1 url=$2 few many
  shift 2
  few=$(count "$name" "$FEW" "$url" "$@")
  many=$(count "$name" "$MANY" "$url" "$@")
  awk -v f="$few" -v m="$many" -v n=$((MANY - FEW)) 'BEGIN {
    split(f, a, " "); split(m, b, " "); printf "%d %d\n", (b[1] - a[1]) / n, (b[2] - a[2]) / n }'
}

declare -A IR
PROXY_PORT=$(free_port)
proxy_conf "$PROXY_PORT" "$STORE_PORT" 1
IR[proxy]=$(per_request proxy "http://127.0.0.1:$PROXY_PORT/bench-bucket/1k.bin" \
  nginx -c "$WORK/nginx/proxy.conf" -g 'daemon off; master_process off;')

GATE_PORT=$(free_port)
gate_conf "$STORE_PORT" "127.0.0.1:$GATE_PORT" "workers = 1"
URL=$("$GATE_BIN" presign --config "$WORK/gate/gate.toml" --access-key-id AKIABENCH00000000000 \
  --method GET --bucket bench-bucket --key 1k.bin --expires 3600 --host "127.0.0.1:$GATE_PORT")
TARGETS=(proxy gate)
IR[gate]=$(per_request gate "$URL" "$GATE_BIN" serve --config "$WORK/gate/gate.toml")
if [ -n "${GATE_B_BIN:-}" ]; then
  TARGETS+=(gate_b)
  IR[gate_b]=$(per_request gate_b "$URL" "$GATE_B_BIN" serve --config "$WORK/gate/gate.toml")
fi

printf '\n%-8s %16s %10s %16s %10s\n' target "instructions/req" "/ proxy" "without SHA-256" "/ proxy"
read -r P_ALL P_SHA <<< "${IR[proxy]}"
for t in "${TARGETS[@]}"; do
  read -r ALL SHA <<< "${IR[$t]}"
  awk -v t="$t" -v a="$ALL" -v s="$SHA" -v pa="$P_ALL" -v ps="$P_SHA" 'BEGIN {
    printf "%-8s %16d %10.2f %16d %10.2f\n", t, a, a / pa, a - s, (a - s) / (pa - ps) }'
done
if [ -n "${GATE_B_BIN:-}" ]; then
  read -r A_ALL A_SHA <<< "${IR[gate]}"; read -r B_ALL B_SHA <<< "${IR[gate_b]}"
  awk -v a="$A_ALL" -v as="$A_SHA" -v b="$B_ALL" -v bs="$B_SHA" 'BEGIN {
    printf "gate_b / gate: %.3f (without SHA-256: %.3f)\n", b / a, (b - bs) / (a - as) }'
fi
