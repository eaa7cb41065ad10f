# Shared by load.sh and instructions.sh (sourced, after WORK is set): a free port, nginx
# configurations, and the gate's configuration with its one bench user and policy.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Writes $WORK/nginx/$1.conf: $2 the port, $3 lines for the http block, $4 the server
# block's body, $5 worker_processes (default auto).
nginx_conf() {
  mkdir -p "$WORK/nginx"
  cat > "$WORK/nginx/$1.conf" <<CONF
worker_processes ${5:-auto};
pid $WORK/nginx/$1.pid;
error_log $WORK/nginx/$1.error.log warn;
events { worker_connections 4096; }
http {
  access_log $WORK/nginx/$1.access.log;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/$1.body; proxy_temp_path $WORK/nginx/$1.proxy;
  fastcgi_temp_path $WORK/nginx/$1.fcgi; uwsgi_temp_path $WORK/nginx/$1.uwsgi; scgi_temp_path $WORK/nginx/$1.scgi;
  $3
  server { listen 127.0.0.1:$2; $4 }
}
CONF
}

# nginx as a plain reverse proxy on port $1 in front of the store on port $2.
proxy_conf() { # port store-port [worker_processes]
  nginx_conf proxy "$1" "upstream store { server 127.0.0.1:$2; keepalive 128; }" \
    "location / { proxy_pass http://store; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering on; }" \
    "${3:-auto}"
}

# Writes $WORK/gate/gate.toml: the gate listening on $2 (default 127.0.0.1:0) in front of
# the store on port $1 (kind = "s3"), with the user AKIABENCH00000000000 allowed to GET
# bench-bucket; $3, when given, is one more [server] line.
gate_conf() { # store-port [listen] [server-line]
  mkdir -p "$WORK/gate/policies"
  cat > "$WORK/gate/policies/bench.json" <<'JSON'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3-outposts:GetObject","Resource":"arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904/bucket/bench-bucket/object/*"}]}
JSON
  cat > "$WORK/gate/gate.toml" <<TOML
[server]
listen = ["${2:-127.0.0.1:0}"]
${3:-}
[outpost]
region = "us-east-1"
account_id = "111122223333"
outpost_id = "op-01ac5d28a6a232904"
[store]
kind = "s3"
endpoint = "http://127.0.0.1:$1"
access_key_id = "BENCHSTOREKEY"
secret_access_key = "bench-store-secret"
[[buckets]]
name = "bench-bucket"
[[users]]
arn = "arn:aws:iam::111122223333:user/bench"
policies = ["policies/bench.json"]
access_keys = [{ id = "AKIABENCH00000000000", secret = "bench-user-secret" }]
TOML
}
