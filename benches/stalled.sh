#!/usr/bin/env bash
# Memory: what idle connections and stalled downloads cost the gate, and whether it gives
# the memory back once they close.
#
# For each store kind (the embedded store, its data on /dev/shm when it exists; and
# kind = "s3" in front of a static nginx serving the objects, as in load.sh), one gate
# (release build) is started and a driver (Python, plain blocking sockets) then
#   1. opens IDLE connections that send nothing (with IDLE_REQUEST=1, each first sends one
#      GET of a 1 KiB object and reads the answer in full: an idle keep-alive connection,
#      which costs hyper's read and write buffers, about 26 KiB each);
#   2. starts STALLED downloads of a SIZE MiB object, each from a socket with a small
#      receive buffer that reads the response head and then never reads again;
#   3. closes every connection.
# The gate's RSS (VmRSS) and peak (VmHWM), from /proc, are read at the start and after
# each step once RSS has settled (it moves by less than 1 MiB over 4 s); the embedded
# store runs inside the gate's process, so its buffers are counted too. The kernel's
# socket buffers are not RSS and are not counted.
#
# Needs curl and python3, and nginx for kind = "s3" (Debian: apt-get install nginx-light),
# and a file-descriptor limit above IDLE + STALLED (the soft limit is raised to the hard
# one here). Everything listens on 127.0.0.1 only and stops when the script ends.
# Usage: benches/stalled.sh [idle (default 10000)] [stalled (default 1000)] [size MiB (default 64)]
# KINDS="embedded s3" (the default) chooses the store kinds; GATE_ENV="NAME=VALUE ..."
# is put in the gate's environment (e.g. MALLOC_ARENA_MAX=2) to compare settings.
set -euo pipefail
IDLE=${1:-10000}
STALLED=${2:-1000}
SIZE=${3:-64}
KINDS=${KINDS:-embedded s3}
IDLE_REQUEST=${IDLE_REQUEST:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=/tmp; [ -d /dev/shm ] && BASE=/dev/shm
WORK=$(mktemp -d -p "$BASE")
chmod 755 "$WORK"  # nginx workers (www-data when started as root) read the objects
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
case " $KINDS " in *" s3 "*) command -v nginx >/dev/null || { echo "needs nginx (apt-get install nginx-light)" >&2; exit 2; } ;; esac
ulimit -n "$(ulimit -Hn)"
NEED=$((IDLE + STALLED + 1000))
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$NEED" ] || {
  echo "needs at least $NEED file descriptors (ulimit -Hn is $(ulimit -Hn))" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "building the gate (release)..." >&2
(cd "$ROOT" && cargo build --release --quiet)
GATE_BIN=${GATE_BIN:-$ROOT/target/release/outpost-gate}

# The objects (for nginx; the embedded store is sent them with presigned PUTs).
mkdir -p "$WORK/objects/bench-bucket"
head -c 1024 /dev/urandom > "$WORK/objects/bench-bucket/small.bin"
head -c $((SIZE * 1024 * 1024)) /dev/urandom > "$WORK/objects/bench-bucket/big.bin"

# The driver: prints "phase rss_kib hwm_kib" lines on stdout, progress on stderr.
cat > "$WORK/driver.py" <<'PY'
import os, socket, sys, time
from urllib.parse import urlsplit

pid, idle_n, stalled_n, idle_request = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[6] == "1"
small, big = urlsplit(sys.argv[4]), urlsplit(sys.argv[5])
addr = (small.hostname, small.port)

def status():
    f = {}
    with open(f"/proc/{pid}/status") as s:
        for line in s:
            k, _, v = line.partition(":")
            f[k] = v.split()[0] if v.split() else ""
    return int(f["VmRSS"]), int(f["VmHWM"])

def settle(phase, limit=120):
    """Waits until RSS moves by less than 1 MiB over 4 s, then reports it."""
    seen, start = [], time.time()
    while True:
        time.sleep(0.5)
        seen.append(status()[0])
        last = seen[-9:]
        if (len(last) == 9 and max(last) - min(last) < 1024) or time.time() - start > limit:
            break
    rss, hwm = status()
    with open(f"/proc/{pid}/status") as st:
        threads = next(l.split()[1] for l in st if l.startswith("Threads:"))
    print(phase, rss, hwm, len(os.listdir(f"/proc/{pid}/fd")), threads, flush=True)

def request(url):
    target = url.path + ("?" + url.query if url.query else "")
    return f"GET {target} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode()

def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(1024)
        if not chunk:
            raise SystemExit(f"connection closed before the response head: {buf[:200]!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"not a 200: {head[:300]!r}")
    return head, rest

settle("start", limit=10)
conns = []
for i in range(idle_n):
    s = socket.create_connection(addr, timeout=30)
    conns.append(s)
    if not idle_request:
        continue
    s.sendall(request(small))
    head, rest = read_head(s)
    length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("idle: body cut short")
        rest += chunk
print(f"{idle_n} idle connections open", file=sys.stderr, flush=True)
settle("idle")
for i in range(stalled_n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    s.settimeout(30)
    s.connect(addr)
    s.sendall(request(big))
    read_head(s)  # then never read again
    conns.append(s)
print(f"{stalled_n} stalled downloads started", file=sys.stderr, flush=True)
settle("stalled")
for s in conns:
    s.close()
conns.clear()
settle("closed")
PY

# One gate on store kind $1; prints its phases as "kind phase rss hwm".
run_kind() {
  local kind=$1 dir="$WORK/$1" port store_port="" nginx_pid="" gate_pid
  mkdir -p "$dir/policies"
  port=$(free_port)
  echo '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3-outposts:*","Resource":"*"}}' > "$dir/policies/all.json"
  local store_toml='kind = "embedded"
data_dir = "data"'
  if [ "$kind" = s3 ]; then
    store_port=$(free_port)
    cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile $NEED;
pid $dir/nginx.pid;
error_log $dir/nginx.error.log warn;
events { worker_connections $NEED; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 3600s; send_timeout 3600s;
  client_body_temp_path $dir/body; proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
  server { listen 127.0.0.1:$store_port; root $WORK/objects; }
}
CONF
    nginx -c "$dir/nginx.conf" -g 'daemon off;' &
    nginx_pid=$!
    PIDS+=("$nginx_pid")
    store_toml="kind = \"s3\"
endpoint = \"http://127.0.0.1:$store_port\"
access_key_id = \"BENCHSTOREKEY\"
secret_access_key = \"bench-store-secret\""
  fi
  cat > "$dir/gate.toml" <<TOML
[server]
listen = ["127.0.0.1:$port"]
max_connections = $NEED
idle_timeout_secs = 3600
header_read_timeout_secs = 3600
[outpost]
region = "us-east-1"
account_id = "111122223333"
outpost_id = "op-01ac5d28a6a232904"
[store]
$store_toml
[[buckets]]
name = "bench-bucket"
[[users]]
arn = "arn:aws:iam::111122223333:user/bench"
policies = ["policies/all.json"]
access_keys = [{ id = "AKIABENCHEXAMPLE0001", secret = "bench-secret" }]
TOML
  # shellcheck disable=SC2086
  env ${GATE_ENV:-} OUTPOST_GATE_LOG=warn "$GATE_BIN" serve --config "$dir/gate.toml" > "$dir/gate.out" 2> "$dir/gate.err" &
  gate_pid=$!
  PIDS+=("$gate_pid")
  for _ in $(seq 100); do grep -q "listening on" "$dir/gate.out" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening on" "$dir/gate.out" || { echo "$kind: the gate did not start" >&2; cat "$dir/gate.err" >&2; exit 1; }
  [ -z "$store_port" ] || for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$store_port/bench-bucket/small.bin" && break; sleep 0.1; done
  presign() { "$GATE_BIN" presign --config "$dir/gate.toml" --access-key-id AKIABENCHEXAMPLE0001 \
    --method "$1" --bucket bench-bucket --key "$2" --expires 7200 --host "127.0.0.1:$port"; }
  if [ "$kind" = embedded ]; then
    for o in small big; do
      code=$(curl -s -o /dev/null -w '%{http_code}' -T "$WORK/objects/bench-bucket/$o.bin" "$(presign PUT "$o.bin")")
      [ "$code" = 200 ] || { echo "$kind: PUT $o.bin answered $code" >&2; exit 1; }
    done
  fi
  # The objects come back whole through the gate before anything is measured.
  for o in small big; do
    curl -s -o "$dir/check.bin" "$(presign GET "$o.bin")"
    cmp -s "$dir/check.bin" "$WORK/objects/bench-bucket/$o.bin" || { echo "$kind: GET $o.bin failed" >&2; exit 1; }
  done
  rm -f "$dir/check.bin"
  echo "$kind: gate pid $gate_pid, $IDLE idle connections, then $STALLED stalled ${SIZE} MiB downloads..." >&2
  python3 "$WORK/driver.py" "$gate_pid" "$IDLE" "$STALLED" "$(presign GET small.bin)" "$(presign GET big.bin)" \
    "$IDLE_REQUEST" | sed "s/^/$kind /"
  kill "$gate_pid" 2>/dev/null || true
  [ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null || true
  wait "$gate_pid" 2>/dev/null || true
  [ -z "$nginx_pid" ] || wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$dir/data"
}

for kind in $KINDS; do run_kind "$kind"; done > "$WORK/results"

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); data on $BASE; idle connections $([ "$IDLE_REQUEST" = 1 ] && echo "after one 1 KiB GET" || echo "send nothing")${GATE_ENV:+; gate env: $GATE_ENV}"
awk -v idle="$IDLE" -v stalled="$STALLED" -v size="$SIZE" '
  BEGIN { printf "%-9s %-34s %9s %9s %7s %7s\n", "store", "after", "RSS MiB", "peak MiB", "fds", "threads" }
  { rss[$1, $2] = $3; printf "%-9s %-34s %9.1f %9.1f %7d %7d\n", $1,
      ($2 == "start" ? "start" : $2 == "idle" ? idle " idle connections" : \
       $2 == "stalled" ? "+ " stalled " stalled " size " MiB GETs" : "all closed"), $3 / 1024, $4 / 1024, $5, $6
    if ($2 == "closed") printf "%-9s per idle connection %.1f KiB, per stalled download %.1f KiB\n", $1,
      (rss[$1, "idle"] - rss[$1, "start"]) / idle, (rss[$1, "stalled"] - rss[$1, "idle"]) / stalled }
' "$WORK/results"
