#!/usr/bin/env bash
# Upload throughput by payload mode: one gate on the embedded store (its data on tmpfs when
# /dev/shm exists, so the disk is not what is measured), a 1 GiB PUT in each mode an SDK
# sends, interleaved over rounds; prints median MiB/s and the gate's CPU per GiB, each as
# a ratio to UNSIGNED-PAYLOAD measured in the same run.
# Usage: benches/upload.sh [size MiB (default 1024)] [rounds (default 3)]
set -euo pipefail
SIZE=${1:-1024}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=/tmp; [ -d /dev/shm ] && BASE=/dev/shm
WORK=$(mktemp -d -p "$BASE")
GATE_PID=
cleanup() { [ -n "$GATE_PID" ] && kill "$GATE_PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

(cd "$ROOT" && cargo build --release --quiet && cargo build --release --quiet --example upload_modes)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/policies"
echo '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3-outposts:*","Resource":"*"}}' > "$WORK/policies/all.json"
cat > "$WORK/gate.toml" <<TOML
[server]
listen = ["127.0.0.1:$PORT"]
endpoint_hosts = ["localhost"]
[outpost]
region = "us-east-1"
account_id = "111122223333"
outpost_id = "op-01ac5d28a6a232904"
[store]
kind = "embedded"
data_dir = "data"
[[buckets]]
name = "bench-bucket"
[[users]]
arn = "arn:aws:iam::111122223333:user/bench"
policies = ["policies/all.json"]
access_keys = [{ id = "AKIABENCHEXAMPLE0001", secret = "bench-secret" }]
TOML
"$ROOT/target/release/outpost-gate" serve --config "$WORK/gate.toml" > "$WORK/gate.out" 2> "$WORK/gate.err" &
GATE_PID=$!
for _ in $(seq 50); do grep -q "listening on" "$WORK/gate.out" 2>/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); data on $BASE"
"$ROOT/target/release/examples/upload_modes" "127.0.0.1:$PORT" "$GATE_PID" "$SIZE" "$ROUNDS" AKIABENCHEXAMPLE0001 bench-secret bench-bucket
