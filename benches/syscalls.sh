#!/usr/bin/env bash
# System calls per request: the kernel half of a request's cost, gate against the nginx
# proxy, counted by strace over N keep-alive presigned 1 KiB GETs from one curl.
#
#   proxy   nginx as a plain reverse proxy (one process) in front of a static nginx store
#   gate    outpost-gate (one worker, kind = "s3") in front of the same store
#
# Prints each server's strace -c table and its calls per request. Sequential requests show
# the calls one request needs; under load (wrk) epoll_wait returns several events at once
# and buffered log writes spread further, so the counts there are lower for both.
#
# Needs strace, nginx and curl (Debian: apt-get install strace nginx-light curl) and a
# release build (made here unless GATE_BIN names one). Usage: benches/syscalls.sh [N (default 500)]
set -euo pipefail
shopt -s inherit_errexit
export OUTPOST_GATE_LOG=warn

N=${1:-500}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in strace nginx curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install strace nginx-light curl)" >&2; exit 2; }
done

# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"

if [ -z "${GATE_BIN:-}" ]; then
  echo "building the gate (release)..." >&2
  (cd "$ROOT" && cargo build --release --quiet)
  GATE_BIN=$ROOT/target/release/outpost-gate
fi

STORE_PORT=$(free_port)
mkdir -p "$WORK/store/bench-bucket"
head -c 1024 /dev/urandom > "$WORK/store/bench-bucket/1k.bin"
nginx_conf store "$STORE_PORT" "" "root $WORK/store; access_log off;" 1
nginx -c "$WORK/nginx/store.conf" -g 'daemon off;' &
PIDS+=($!)

PROXY_PORT=$(free_port)
proxy_conf "$PROXY_PORT" "$STORE_PORT" 1
nginx -c "$WORK/nginx/proxy.conf" -g 'daemon off; master_process off;' &
PROXY_PID=$!
PIDS+=("$PROXY_PID")

GATE_PORT=$(free_port)
gate_conf "$STORE_PORT" "127.0.0.1:$GATE_PORT" "workers = 1"
"$GATE_BIN" serve --config "$WORK/gate/gate.toml" > "$WORK/gate.out" 2>&1 &
GATE_PID=$!
PIDS+=("$GATE_PID")
URL=$("$GATE_BIN" presign --config "$WORK/gate/gate.toml" --access-key-id AKIABENCH00000000000 \
  --method GET --bucket bench-bucket --key 1k.bin --expires 3600 --host "127.0.0.1:$GATE_PORT")

declare -A TARGET_URL=([proxy]="http://127.0.0.1:$PROXY_PORT/bench-bucket/1k.bin" [gate]="$URL")
declare -A TARGET_PID=([proxy]="$PROXY_PID" [gate]="$GATE_PID")
for t in proxy gate; do
  for _ in $(seq 100); do curl -s -o /dev/null "${TARGET_URL[$t]}" && break; sleep 0.1; done
  for _ in $(seq "$N"); do printf 'url = "%s"\noutput = "/dev/null"\n' "${TARGET_URL[$t]}"; done > "$WORK/$t.curl"
  # Every thread of the server (-f), attached once it is warm.
  strace -f -c -o "$WORK/$t.strace" -p "${TARGET_PID[$t]}" 2>/dev/null &
  STRACE=$!
  sleep 1
  curl -s -K "$WORK/$t.curl"
  sleep 0.5
  kill -INT "$STRACE"
  wait "$STRACE" 2>/dev/null || true
  echo "== $t ($N requests)"
  cat "$WORK/$t.strace"
  awk -v n="$N" -v t="$t" '$NF == "total" { printf "%s: %.2f system calls per request\n\n", t, $4 / n }' \
    "$WORK/$t.strace"
done
