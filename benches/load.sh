#!/usr/bin/env bash
# Load test: the gate against its anchors, measured in one run on this machine.
#
#   store   a static nginx serving the objects (what any S3 store does at best for a GET)
#   proxy   nginx as a plain reverse proxy in front of it (no verification at all)
#   gate    outpost-gate in front of it, kind = "s3", verifying every request
#
# It prints requests/s for 1 KiB GETs (wrk, keep-alive) and MiB/s for one 512 MiB GET
# (curl, median of 3), and for the 1 KiB runs the CPU each server spent per request (user
# and kernel, from /proc, its worker processes included): steadier than requests/s on a
# shared machine, and it says where a gap lies. Then the ratios the targets are stated in:
#   gate / proxy CPU per request (target <= 1.25)   gate / store 512 MiB MiB/s (>= 0.8)
# and p50/p99 latency at half the proxy's saturating rate (examples/paced, open loop):
#   gate p99 - proxy p99 (target <= 1 ms)
#
# Needs nginx, wrk and curl (Debian: apt-get install nginx-light wrk curl) and a release
# build (made here). Everything listens on 127.0.0.1 only and stops when the script ends.
# Usage: benches/load.sh [seconds-per-wrk-run (default 10)] [wrk connections (default 64)] [rounds (default 3)]
# Environment: LOAD_TARGETS="store proxy gate" measures only those (default: all five);
# GATE_B_BIN=/path/to/another/outpost-gate adds target gate_b, a second build of the gate
# with the same configuration, measured in the same interleaved rounds (an A/B of a change);
# LOAD_BIG=0 skips the 512 MiB downloads; LOAD_PACED=0 skips the latency runs.
# The three targets are measured in interleaved rounds and the medians reported: on a
# shared 2-core machine one run of the same target can differ from the next by 30 %.
set -euo pipefail

DURATION=${1:-10}
CONNS=${2:-64}
ROUNDS=${3:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers (www-data when started as root) read the objects
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in nginx wrk curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install nginx-light wrk curl)" >&2; exit 2; }
done

# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"
STORE_PORT=$(free_port); PROXY_PORT=$(free_port)

echo "building the gate (release)..." >&2
(cd "$ROOT" && cargo build --release --quiet)
GATE_BIN=${GATE_BIN:-$ROOT/target/release/outpost-gate}

# Objects.
mkdir -p "$WORK/store/bench-bucket"
head -c 1024 /dev/urandom > "$WORK/store/bench-bucket/1k.bin"
head -c $((512 * 1024 * 1024)) /dev/zero > "$WORK/store/bench-bucket/big.bin"

# nginx: the store and the plain proxy, each with its own config and pid file.
start_nginx() { nginx -c "$WORK/nginx/$1.conf" -g 'daemon off;' & PIDS+=($!); }
nginx_conf store "$STORE_PORT" "" "root $WORK/store; access_log off;"
start_nginx store
proxy_conf "$PROXY_PORT" "$STORE_PORT"
start_nginx proxy

# The gate, in front of the same store.
gate_conf "$STORE_PORT"

# Stdout: the listening line, then one access line per request; stderr: diagnostics.
start_gate() { # binary dir -> sets STARTED_PID and STARTED_ADDR
  mkdir -p "$2"
  OUTPOST_GATE_LOG=${GATE_LOG:-info} "$1" serve --config "$WORK/gate/gate.toml" > "$2/stdout" 2> "$2/stderr" &
  PIDS+=($!)
  STARTED_PID=$!
  for _ in $(seq 100); do grep -q "listening on" "$2/stdout" 2>/dev/null && break; sleep 0.1; done
  STARTED_ADDR=$(sed -n 's/^listening on http:\/\///p' "$2/stdout" | head -1)
  [ -n "$STARTED_ADDR" ] || { echo "gate $1 did not start" >&2; cat "$2/stderr" >&2; exit 1; }
}
start_gate "$GATE_BIN" "$WORK/gate"
GATE_PID=$STARTED_PID; GATE_ADDR=$STARTED_ADDR
if [ -n "${GATE_B_BIN:-}" ]; then
  start_gate "$GATE_B_BIN" "$WORK/gate_b"
  GATE_B_PID=$STARTED_PID; GATE_B_ADDR=$STARTED_ADDR
fi
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$STORE_PORT/bench-bucket/1k.bin" && curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/bench-bucket/1k.bin" && break; sleep 0.1; done

presign() { "$GATE_BIN" presign --config "$WORK/gate/gate.toml" --access-key-id AKIABENCH00000000000 \
  --method GET --bucket bench-bucket --key "$1" --expires 3600 --host "${2:-$GATE_ADDR}"; }
declare -A SMALL=( [store]="http://127.0.0.1:$STORE_PORT/bench-bucket/1k.bin"
                   [proxy]="http://127.0.0.1:$PROXY_PORT/bench-bucket/1k.bin"
                   [gate]="$(presign 1k.bin)" )
# SigV4a: one URL fetched again and again (the verified-signature cache answers), and
# distinct URLs, each verified with ECDSA when first seen (wrk walks through them with a
# Lua script; there are more of them than a run sends, unless V4A_URLS says otherwise).
presign_v4a() { "$GATE_BIN" presign --config "$WORK/gate/gate.toml" --access-key-id AKIABENCH00000000000 \
  --method GET --bucket bench-bucket --key "$1" --expires 3600 --host "$GATE_ADDR" --sigv4a; }
SMALL[gate_v4a]="$(presign_v4a 1k.bin)"
SMALL[gate_v4a_distinct]="http://$GATE_ADDR/"
V4A_URLS=${V4A_URLS:-$((DURATION * ROUNDS * 15000))}
(cd "$ROOT" && cargo build --release --quiet --example v4a_urls)
"$ROOT/target/release/examples/v4a_urls" "$GATE_ADDR" "$V4A_URLS" AKIABENCH00000000000 bench-user-secret \
  bench-bucket 1k.bin > "$WORK/v4a-urls.txt"
cat > "$WORK/v4a.lua" <<LUA
-- Round r (the script's argument) takes the r-th of $ROUNDS equal slices of the URLs, each
-- of wrk's two threads half of it, so no URL is sent twice unless a slice runs out.
paths = {}
for line in io.lines("$WORK/v4a-urls.txt") do paths[#paths + 1] = line end
local threads = 0
function setup(thread) thread:set("slot", threads); threads = threads + 1 end
function init(args)
  local per_round = math.floor(#paths / $ROUNDS)
  per_thread = math.floor(per_round / 2)
  first = ((tonumber(args[1]) or 1) - 1) * per_round + (slot or 0) * per_thread + 1
  i = first - 1
end
function request()
  i = i + 1
  if i >= first + per_thread then i = first end
  return wrk.format("GET", paths[i])
end
function done(summary)
  if summary.requests > math.floor(#paths / $ROUNDS) then
    io.stderr:write("gate_v4a_distinct: more requests than distinct URLs; raise V4A_URLS\\n")
  end
end
LUA
declare -A BIG=( [store]="http://127.0.0.1:$STORE_PORT/bench-bucket/big.bin"
                 [proxy]="http://127.0.0.1:$PROXY_PORT/bench-bucket/big.bin"
                 [gate]="$(presign big.bin)" )

# Every URL must answer 200 with the right bytes before anything is timed.
for k in store proxy gate gate_v4a; do
  code=$(curl -s -o "$WORK/check.bin" -w '%{http_code}' "${SMALL[$k]}")
  [ "$code" = 200 ] && cmp -s "$WORK/check.bin" "$WORK/store/bench-bucket/1k.bin" || { echo "$k: 1 KiB GET failed ($code)" >&2; exit 1; }
done

code=$(curl -s -o "$WORK/check.bin" -w '%{http_code}' "http://$GATE_ADDR$(head -1 "$WORK/v4a-urls.txt")")
[ "$code" = 200 ] || { echo "gate_v4a_distinct: 1 KiB GET failed ($code)" >&2; exit 1; }
TARGETS=(store proxy gate gate_v4a gate_v4a_distinct)
[ -n "${LOAD_TARGETS:-}" ] && read -ra TARGETS <<< "$LOAD_TARGETS"

declare -A SERVER_PIDS=( [store]="$(cat "$WORK/nginx/store.pid")" [proxy]="$(cat "$WORK/nginx/proxy.pid")" [gate]="$GATE_PID"
                         [gate_v4a]="$GATE_PID" [gate_v4a_distinct]="$GATE_PID" )
if [ -n "${GATE_B_BIN:-}" ]; then
  SMALL[gate_b]="$(presign 1k.bin "$GATE_B_ADDR")"; BIG[gate_b]="$(presign big.bin "$GATE_B_ADDR")"
  SERVER_PIDS[gate_b]=$GATE_B_PID
  code=$(curl -s -o /dev/null -w '%{http_code}' "${SMALL[gate_b]}")
  [ "$code" = 200 ] || { echo "gate_b: 1 KiB GET failed ($code)" >&2; exit 1; }
  [[ " ${TARGETS[*]} " == *" gate_b "* ]] || TARGETS+=(gate_b)
fi
# User and kernel clock ticks of a process and its children (nginx's workers).
ticks() {
  local u=0 s=0 p f
  for p in "$1" $(pgrep -P "$1"); do
    read -ra f < "/proc/$p/stat"
    u=$((u + f[13])); s=$((s + f[14]))
  done
  echo "$u $s"
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))
# Prints "requests/s user-us/request kernel-us/request" for one wrk run against target $1.
rps() {
  local u0 s0 u1 s1 r
  read -r u0 s0 < <(ticks "${SERVER_PIDS[$1]}")
  local script=()
  [ "$1" = gate_v4a_distinct ] && script=(-s "$WORK/v4a.lua")
  r=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "${script[@]}" "${SMALL[$1]}" -- "${ROUND:-1}" | awk '/^Requests\/sec/ {print $2}')
  read -r u1 s1 < <(ticks "${SERVER_PIDS[$1]}")
  awk -v r="$r" -v u=$(((u1 - u0) * TICK_US)) -v s=$(((s1 - s0) * TICK_US)) -v d="$DURATION" \
    'BEGIN { printf "%s %.1f %.1f\n", r, u / (r * d), s / (r * d) }'
}
mibs() { # median of three 512 MiB downloads, MiB/s
  for _ in 1 2 3; do curl -s -o /dev/null -w '%{speed_download}\n' "$1"; done \
    | sort -n | sed -n 2p | awk '{printf "%.0f", $1 / 1048576}'
}

if [ -n "${PROFILE_GATE:-}" ]; then  # perf profile of the gate under the 1 KiB load, then stop
  perf record -F 2000 -g -p "$(pgrep -f "outpost-gate serve --config $WORK" | head -1)" -o "$PROFILE_GATE" -- sleep "$DURATION" &
  PERF=$!
  wrk -t2 -c"$CONNS" -d"${DURATION}s" "${SMALL[gate]}"; wait "$PERF"; exit 0
fi

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A RUNS USR SYS M LAT LAT50
for k in "${TARGETS[@]}"; do curl -s -o /dev/null "${SMALL[$k]}"; RUNS[$k]=""; USR[$k]=""; SYS[$k]=""; done
for round in $(seq "$ROUNDS"); do
  ROUND=$round
  for k in "${TARGETS[@]}"; do
    read -r r u s < <(rps "$k")
    RUNS[$k]="${RUNS[$k]} $r"; USR[$k]="${USR[$k]} $u"; SYS[$k]="${SYS[$k]} $s"
    echo "round $round $k: $r req/s, CPU per request: user $u us + kernel $s us" >&2
  done
done
declare -A R U S
for k in "${TARGETS[@]}"; do
  R[$k]=$(echo "${RUNS[$k]}" | tr ' ' '\n' | grep . | median)
  U[$k]=$(echo "${USR[$k]}" | tr ' ' '\n' | grep . | median)
  S[$k]=$(echo "${SYS[$k]}" | tr ' ' '\n' | grep . | median)
  M[$k]=$([ "${LOAD_BIG:-1}" = 1 ] && [ -n "${BIG[$k]:-}" ] && mibs "${BIG[$k]}" || echo -)
done

printf '\n%-18s %14s %16s %12s\n' target "1KiB req/s" "CPU us/req u+k" "512MiB MiB/s"
for k in "${TARGETS[@]}"; do printf '%-18s %14s %16s %12s\n' "$k" "${R[$k]}" "${U[$k]}+${S[$k]}" "${M[$k]}"; done
for k in gate_v4a gate_v4a_distinct gate_b; do
  [ -n "${R[$k]:-}" ] || continue
  awk -v k="$k" -v r="${R[$k]}" -v g="${R[gate]}" -v u="${U[$k]}" -v s="${S[$k]}" -v ug="${U[gate]}" -v sg="${S[gate]}" \
    'BEGIN { printf "%s / gate (SigV4): req/s %.2f, CPU per request %.2f\n", k, r / g, (u + s) / (ug + sg) }'
done
[ -n "${R[gate]:-}" ] && [ -n "${R[proxy]:-}" ] && [ -n "${R[store]:-}" ] || exit 0
awk -v g="${R[gate]}" -v p="${R[proxy]}" -v gm="${M[gate]}" -v sm="${M[store]}" \
    -v ug="${U[gate]}" -v sg="${S[gate]}" -v up="${U[proxy]}" -v sp="${S[proxy]}" 'BEGIN {
  printf "\ngate/proxy CPU per request: %.2f (target <= 1.25)\ngate/proxy req/s: %.2f\n", (ug + sg) / (up + sp), g / p
  if (sm > 0) printf "gate/store 512 MiB GET MiB/s: %.2f (target >= 0.80)\n", gm / sm }'

[ "${LOAD_PACED:-1}" = 1 ] || exit 0
# Latency at half the proxy's saturating rate: an open-loop load (examples/paced, 32
# connections), proxy and gate in turn, each latency counted from when its request was due.
HALF=$(awk -v p="${R[proxy]}" 'BEGIN { printf "%d", p / 2 }')
(cd "$ROOT" && cargo build --release --quiet --example paced)
echo
for k in proxy gate proxy gate; do
  read -r _ n _ p50 _ p90 _ p99 _ max _ err < <("$ROOT/target/release/examples/paced" "${SMALL[$k]}" "$HALF" "$DURATION" 32)
  echo "$k at $HALF req/s: $n requests, p50 ${p50} us, p90 ${p90} us, p99 ${p99} us, max ${max} us, errors $err"
  LAT[$k]="${LAT[$k]:-} $p99"; LAT50[$k]="${LAT50[$k]:-} $p50"
done
awk -v gp="$(echo "${LAT[gate]}" | tr ' ' '\n' | grep . | median)" -v pp="$(echo "${LAT[proxy]}" | tr ' ' '\n' | grep . | median)" \
    -v g5="$(echo "${LAT50[gate]}" | tr ' ' '\n' | grep . | median)" -v p5="$(echo "${LAT50[proxy]}" | tr ' ' '\n' | grep . | median)" 'BEGIN {
  printf "p50 gate - proxy: %d us; p99 gate - proxy: %d us (target <= 1000 us at p99)\n", g5 - p5, gp - pp }'
echo "(wrk: 2 threads, $CONNS connections, ${DURATION}s x $ROUNDS interleaved rounds, medians; gate access lines written: $(grep -c ' request_id=' "$WORK/gate/stdout"))"
