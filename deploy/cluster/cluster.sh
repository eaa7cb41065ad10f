#!/usr/bin/env bash
# A fleet on one machine, for trying and testing outpost-gate as it runs in production:
# a 3-node Garage cluster (replication factor 3) on loopback, N gates in front of it
# (kind = "s3", each given all three Garage nodes), and HAProxy in front of the gates
# playing the Network Load Balancer (round robin, PROXY protocol v2).
#
#   deploy/cluster/cluster.sh up DIR [GATES]   # start everything; prints the endpoints
#   deploy/cluster/cluster.sh down DIR         # stop everything started in DIR
#
# Needs `garage` (cargo install garage --locked), `haproxy` and `outpost-gate` (on PATH,
# or GARAGE, HAPROXY, GATE naming them) and python3. Ports are chosen free. Everything
# lives in DIR: configurations, data, logs, pids, and `fleet.env` with what a client
# needs (FRONT, GATE_1.., GATE_ADMIN_1.., GARAGE_S3_1.., the store key, the demo user).
set -Eeuo pipefail

cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,13p' "$0" >&2; exit 2; }
GARAGE="${GARAGE:-garage}"
HAPROXY="${HAPROXY:-haproxy}"
GATE="${GATE:-outpost-gate}"

stop_all() {
  for pidfile in "$dir"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

free_ports() { # N free loopback ports
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_port() { # port seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do
    (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1 after $2 s" >&2
  return 1
}

up() {
  local gates="${1:-3}"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local ports
  # 3 nodes x (rpc, s3, admin), gates x (traffic, admin), the front.
  read -r -a ports <<<"$(free_ports $(( 9 + 2 * gates + 1 )))"
  local rpc_secret admin_token key_id key_secret
  rpc_secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  admin_token="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  key_id="GK$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  key_secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"

  local s3_endpoints=()
  for n in 1 2 3; do
    local rpc="${ports[$(( (n - 1) * 3 ))]}" s3="${ports[$(( (n - 1) * 3 + 1 ))]}" adm="${ports[$(( (n - 1) * 3 + 2 ))]}"
    mkdir -p "$dir/garage$n/meta" "$dir/garage$n/data"
    cat >"$dir/garage$n.toml" <<EOF
metadata_dir = "$dir/garage$n/meta"
data_dir = "$dir/garage$n/data"
db_engine = "lmdb"
replication_factor = 3
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$rpc_secret"

[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:$s3"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$adm"
admin_token = "$admin_token"
EOF
    "$GARAGE" -c "$dir/garage$n.toml" server >"$dir/garage$n.log" 2>&1 &
    echo $! >"$dir/garage$n.pid"
    s3_endpoints+=("http://127.0.0.1:$s3")
    echo "GARAGE_S3_$n=http://127.0.0.1:$s3" >>"$dir/fleet.env.tmp"
    echo "GARAGE_RPC_$n=127.0.0.1:$rpc" >>"$dir/fleet.env.tmp"
  done
  for n in 1 2 3; do wait_port "${ports[$(( (n - 1) * 3 ))]}" 30; done

  local g="$GARAGE -c $dir/garage1.toml"
  # Connect the nodes, give each a role in zone dc1, apply the layout.
  local ids=()
  for n in 1 2 3; do
    ids+=("$("$GARAGE" -c "$dir/garage$n.toml" node id -q 2>/dev/null | tail -1)")
  done
  for n in 2 3; do $g node connect "${ids[$(( n - 1 ))]}" >/dev/null; done
  for id in "${ids[@]}"; do $g layout assign -z dc1 -c 1G "${id%%@*}" >/dev/null; done
  $g layout apply --version 1 >/dev/null
  # The store's key for the gates, and the bucket, readable and writable with it.
  $g key import --yes -n outpost-gate "$key_id" "$key_secret" >/dev/null
  $g bucket create example-outpost-bucket >/dev/null
  $g bucket allow --read --write --owner example-outpost-bucket --key "$key_id" >/dev/null
  printf '%s\n' "$key_secret" >"$dir/store.secret"
  chmod 600 "$dir/store.secret"

  # One STS key file shared by every gate: a session minted by one works on all.
  python3 - "$dir/sts.key" <<'EOF'
import base64, os, sys
with open(sys.argv[1], "w") as f:
    f.write("k1 " + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=") + "\n")
os.chmod(sys.argv[1], 0o600)
EOF
  mkdir -p "$dir/policies"
  cat >"$dir/policies/demo.json" <<'EOF'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3-outposts:*","Resource":"*"}]}
EOF

  local endpoints
  endpoints="$(printf '"%s", ' "${s3_endpoints[@]}")"
  local servers=""
  for i in $(seq 1 "$gates"); do
    local port="${ports[$(( 9 + (i - 1) * 2 ))]}" admin="${ports[$(( 9 + (i - 1) * 2 + 1 ))]}"
    cat >"$dir/gate$i.toml" <<EOF
[server]
listen = ["127.0.0.1:$port"]
endpoint_hosts = ["s3-outposts.us-east-1.amazonaws.com", "localhost"]
# HAProxy sends PROXY v2; clients on this machine may also come direct.
proxy_protocol = "optional"

[network]
trusted_proxies = ["127.0.0.1/32"]

[outpost]
region = "us-east-1"
account_id = "111122223333"
outpost_id = "op-01ac5d28a6a232904"

[store]
kind = "s3"
endpoints = [${endpoints%, }]
access_key_id = "$key_id"
secret_access_key_file = "store.secret"
# Garage keeps keys as opaque text and has no versions.
opaque_keys = true

[sts]
enabled = true
token_key_file = "sts.key"
min_session_secs = 1

[admin]
listen = "127.0.0.1:$admin"

[log]
format = "json"

[[buckets]]
name = "example-outpost-bucket"

[[users]]
arn = "arn:aws:iam::111122223333:user/demo"
policies = ["policies/demo.json"]
access_keys = [{ id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]
EOF
    "$GATE" serve --config "$dir/gate$i.toml" >"$dir/gate$i.access.log" 2>"$dir/gate$i.log" &
    echo $! >"$dir/gate$i.pid"
    servers+="    server gate$i 127.0.0.1:$port send-proxy-v2 check check-send-proxy inter 1s fall 2 rise 1"$'\n'
    echo "GATE_$i=http://127.0.0.1:$port" >>"$dir/fleet.env.tmp"
    echo "GATE_ADMIN_$i=http://127.0.0.1:$admin" >>"$dir/fleet.env.tmp"
  done
  for i in $(seq 1 "$gates"); do wait_port "${ports[$(( 9 + (i - 1) * 2 ))]}" 30; done

  local front="${ports[$(( 9 + 2 * gates ))]}"
  cat >"$dir/haproxy.cfg" <<EOF
global
    maxconn 4000

defaults
    mode tcp
    # A gate that refuses a connection (it died) is skipped for this client at once.
    retries 2
    option redispatch
    timeout connect 5s
    timeout client 15m
    timeout server 15m

frontend s3
    bind 127.0.0.1:$front
    default_backend gates

backend gates
    balance roundrobin
$servers
EOF
  "$HAPROXY" -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
  echo $! >"$dir/haproxy.pid"
  wait_port "$front" 15
  {
    cat "$dir/fleet.env.tmp"
    echo "FRONT=http://127.0.0.1:$front"
    echo "GATES=$gates"
    echo "STORE_KEY_ID=$key_id"
    echo "USER_KEY_ID=AKIAIOSFODNN7EXAMPLE"
    echo "USER_SECRET=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  } >"$dir/fleet.env"
  rm -f "$dir/fleet.env.tmp"
  cat "$dir/fleet.env"
}

case "$cmd" in
  up)
    trap 'echo "cluster.sh: failed; stopping what started" >&2; stop_all' ERR
    up "${3:-3}"
    ;;
  down) stop_all ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
