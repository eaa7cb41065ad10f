//! Shared by the integration tests: the real `outpost-gate` binary on port 0 in front of a
//! real store, and the real clients (boto3, the AWS CLI) that presign URLs for it.
//!
//! Readiness is the binary's own `listening on http(s)://ADDR` line, never a sleep.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::Signer;
use outpost_gate::sigv4::encode::uri_encode;
use outpost_gate::time::UnixTime;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "111122223333";
pub const OUTPOST: &str = "op-01ac5d28a6a232904";
pub const BUCKET: &str = "example-outpost-bucket";
pub const AP: &str = "ap1";
pub const AK: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// A same-account user whose identity policy allows nothing.
pub const NOBODY_AK: &str = "AKIANOBODY0000000000";
pub const NOBODY_SK: &str = "nobody-secret-key-000000000000000000000";
pub const AP_HOST_SUFFIX: &str = "s3-outposts.us-east-1.amazonaws.com";

/// Identity policy of the test user: everything on the test bucket and access point.
pub const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3-outposts:*","Resource":"*"}]}"#;

pub fn ap_host() -> String {
    format!("{AP}-{ACCOUNT}.{OUTPOST}.{AP_HOST_SUFFIX}")
}

/// One running gate with its own directory, killed on drop.
pub struct Gate {
    pub addr: String,
    /// `http`, or `https` when the gate speaks TLS.
    pub scheme: String,
    /// The admin listener's address, when `[admin]` is configured.
    pub admin: Option<String>,
    pub dir: tempfile::TempDir,
    pub child: Child,
    pub stderr_log: PathBuf,
    /// Everything the gate printed on stdout after its `listening on` lines: the access log.
    pub stdout_log: PathBuf,
}

/// How to set up a gate beyond the defaults.
#[derive(Default)]
pub struct Setup {
    /// Extra TOML appended to the generated config.
    pub extra_toml: String,
    /// `[store]` section; embedded under the temp dir by default.
    pub store_toml: Option<String>,
    /// Bucket policy JSON for the test bucket.
    pub bucket_policy: Option<String>,
    /// Identity policy JSON for the test user; `ALLOW_ALL` by default.
    pub identity_policy: Option<String>,
    /// More identity policies for the test user, attached after the first.
    pub more_identity_policies: Vec<String>,
    /// Access point policy JSON for the test access point.
    pub access_point_policy: Option<String>,
    pub shutdown_grace_secs: Option<u64>,
    /// More lines for `[server]` (`proxy_protocol = "required"`, timeouts).
    pub server_toml: String,
    /// More lines for the test access point (`vpc_id = "…"`).
    pub access_point_toml: String,
    /// Files written into the gate's directory first (relative path, contents).
    pub files: Vec<(String, String)>,
    /// `OUTPOST_GATE_LOG`; `info,outpost_gate=debug` by default.
    pub log_filter: Option<&'static str>,
}

impl Gate {
    pub fn start() -> Self {
        Self::start_with(Setup::default())
    }

    #[allow(clippy::needless_pass_by_value)] // callers build a Setup in place
    pub fn start_with(setup: Setup) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path();
        std::fs::create_dir_all(p.join("policies")).unwrap();
        std::fs::write(p.join("policies/user.json"), setup.identity_policy.as_deref().unwrap_or(ALLOW_ALL)).unwrap();
        std::fs::write(
            p.join("policies/nobody.json"),
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
        )
        .unwrap();
        let bucket_policy = match &setup.bucket_policy {
            Some(json) => {
                std::fs::write(p.join("policies/bucket.json"), json).unwrap();
                "policy = \"policies/bucket.json\"\n"
            }
            None => "",
        };
        for (name, text) in &setup.files {
            std::fs::write(p.join(name), text).unwrap();
        }
        let mut user_policies = vec!["\"policies/user.json\"".to_owned()];
        for (i, json) in setup.more_identity_policies.iter().enumerate() {
            std::fs::write(p.join(format!("policies/user-{i}.json")), json).unwrap();
            user_policies.push(format!("\"policies/user-{i}.json\""));
        }
        let user_policies = user_policies.join(", ");
        let ap_policy = match &setup.access_point_policy {
            Some(json) => {
                std::fs::write(p.join("policies/ap.json"), json).unwrap();
                "policy = \"policies/ap.json\"\n"
            }
            None => "",
        };
        let store = setup
            .store_toml
            .clone()
            .unwrap_or_else(|| "[store]\nkind = \"embedded\"\ndata_dir = \"data\"\n".to_owned());
        let grace = setup.shutdown_grace_secs.unwrap_or(30);
        let toml = format!(
            r#"[server]
listen = ["127.0.0.1:0"]
max_clock_skew_secs = 900
endpoint_hosts = ["{AP_HOST_SUFFIX}", "localhost"]
shutdown_grace_secs = {grace}
{server_extra}

[outpost]
region = "{REGION}"
account_id = "{ACCOUNT}"
outpost_id = "{OUTPOST}"

{store}
[[buckets]]
name = "{BUCKET}"
{bucket_policy}
[[access_points]]
name = "{AP}"
bucket = "{BUCKET}"
{ap_policy}{ap_extra}
[[users]]
arn = "arn:aws:iam::{ACCOUNT}:user/tester"
policies = [{user_policies}]
access_keys = [{{ id = "{AK}", secret = "{SK}" }}]

[[users]]
arn = "arn:aws:iam::{ACCOUNT}:user/nobody"
policies = ["policies/nobody.json"]
access_keys = [{{ id = "{NOBODY_AK}", secret = "{NOBODY_SK}" }}]
{extra}
"#,
            extra = setup.extra_toml,
            server_extra = setup.server_toml,
            ap_extra = setup.access_point_toml,
        );
        let config = p.join("gate.toml");
        std::fs::write(&config, toml).unwrap();
        let stderr_log = p.join("gate.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("OUTPOST_GATE_LOG", setup.log_filter.unwrap_or("info,outpost_gate=debug"))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap())
            .spawn()
            .expect("start outpost-gate");
        let stdout = child.stdout.take().unwrap();
        let stdout_log = p.join("gate.stdout");
        let (tx, rx) = mpsc::channel();
        {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&stdout_log).unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = writeln!(file, "{line}");
                    let _ = tx.send(line);
                }
            });
        }
        let mut admin = None;
        let listening = loop {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) else {
                let _ = child.kill();
                panic!("gate did not start: {}", std::fs::read_to_string(&stderr_log).unwrap_or_default());
            };
            if let Some(a) = line.strip_prefix("admin listening on http://") {
                admin = Some(a.to_owned());
            } else if let Some(url) = line.strip_prefix("listening on ") {
                break url.to_owned();
            }
        };
        let (scheme, addr) = listening.split_once("://").expect("listening on SCHEME://ADDR");
        Self { addr: addr.to_owned(), scheme: scheme.to_owned(), admin, dir, child, stderr_log, stdout_log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// A presigned URL made by the gate's own signer, for error-table cases.
    pub fn presign(&self, method: &str, key: &str, expires: u32, at: UnixTime) -> String {
        self.presign_as(AK, SK, method, key, expires, at)
    }

    pub fn presign_as(&self, ak: &str, sk: &str, method: &str, key: &str, expires: u32, at: UnixTime) -> String {
        let secret = SecretKey::new(sk);
        let signer = Signer { access_key_id: ak, secret: &secret, region: REGION, service: "s3" };
        let path = format!("/{BUCKET}/{}", uri_encode(key.as_bytes(), true));
        signer.presign_url(method, "http", &self.addr, &path, &[], expires, None, at)
    }

    /// The gate's whole log so far: diagnostics (stderr) then access lines (stdout).
    /// Workers buffer lines for up to `logbuf::FLUSH_EVERY`, each on its own tick, so this
    /// waits two ticks for every worker to have written out.
    pub fn log(&self) -> String {
        std::thread::sleep(outpost_gate::logbuf::FLUSH_EVERY * 2);
        let mut log = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
        log.push_str(&std::fs::read_to_string(&self.stdout_log).unwrap_or_default());
        log
    }

    /// The access lines so far (stdout), waiting as `log` does.
    pub fn access_lines(&self) -> Vec<String> {
        std::thread::sleep(outpost_gate::logbuf::FLUSH_EVERY * 2);
        let out = std::fs::read_to_string(&self.stdout_log).unwrap_or_default();
        out.lines().filter(|l| !l.contains("listening on ")).map(str::to_owned).collect()
    }

    /// The access lines of a gate with `[log] format = "json"`, parsed.
    pub fn access_json(&self) -> Vec<serde_json::Value> {
        self.access_lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object ({e}): {l}")))
            .collect()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size of the gate process, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    /// Waits for the process to exit by itself, at most `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "the gate did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python that has boto3 and the AWS CLI: `OUTPOST_GATE_PYTHON`, else the repository's
/// `.venv` (which `tests/run-all.sh` creates).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("OUTPOST_GATE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        venv.exists(),
        "boto3 and the AWS CLI are needed: run tests/run-all.sh (it creates .venv) or set OUTPOST_GATE_PYTHON"
    );
    venv
}

/// `aws` from the same environment as `python()`.
pub fn aws_cli() -> PathBuf {
    let py = python();
    let aws = py.with_file_name("aws");
    assert!(aws.exists(), "no AWS CLI beside {}", py.display());
    aws
}

/// Runs `tests/clients/presign.py` (boto3's `generate_presigned_url`) with JSON arguments.
pub fn boto3_presign(args: &serde_json::Value) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/presign.py");
    let out = Command::new(python()).arg(script).arg(args.to_string()).output().expect("run python");
    assert!(out.status.success(), "presign.py failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A client whose connections come from `source` (on loopback, 127.0.0.2 is a distinct
/// source address that reaches a listener on 127.0.0.1).
pub fn http_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder().no_proxy().local_address(source.parse::<std::net::IpAddr>().unwrap()).build().unwrap()
}

/// Runs `outpost-gate explain` against this gate's configuration.
pub fn explain(gate: &Gate, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
        .arg("explain")
        .arg("--config")
        .arg(gate.dir.path().join("gate.toml"))
        .args(args)
        .output()
        .expect("run explain");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// A PROXY protocol v2 header as a Network Load Balancer writes it, byte by byte from the
/// specification: PROXY over TCP from `source` (LOCAL when `None`), with the AWS VPC
/// endpoint TLV when `vpce` is given.
pub fn proxy_v2(source: Option<std::net::SocketAddr>, vpce: Option<&str>) -> Vec<u8> {
    use std::net::SocketAddr;
    let mut body = Vec::new();
    let (command, family) = match source {
        None => (0x20, 0x00),
        Some(SocketAddr::V4(s)) => {
            body.extend_from_slice(&s.ip().octets());
            body.extend_from_slice(&[10, 0, 0, 1]);
            body.extend_from_slice(&s.port().to_be_bytes());
            body.extend_from_slice(&443u16.to_be_bytes());
            (0x21, 0x11)
        }
        Some(SocketAddr::V6(s)) => {
            body.extend_from_slice(&s.ip().octets());
            body.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
            body.extend_from_slice(&s.port().to_be_bytes());
            body.extend_from_slice(&443u16.to_be_bytes());
            (0x21, 0x21)
        }
    };
    if let Some(id) = vpce {
        body.push(0xEA);
        body.extend_from_slice(&u16::try_from(id.len() + 1).unwrap().to_be_bytes());
        body.push(0x01);
        body.extend_from_slice(id.as_bytes());
    }
    // A NOOP TLV, as load balancers pad with.
    body.extend_from_slice(&[0x04, 0x00, 0x02, 0, 0]);
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    h.extend_from_slice(&[command, family]);
    h.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    h.extend_from_slice(&body);
    h
}

/// Connects from `source` (a loopback address), writes `preamble` then an HTTP/1.1 GET of
/// `path_and_query` with `headers`, and returns everything the gate answers before it
/// closes (empty when it closes without answering).
pub async fn raw_get(
    gate: &Gate,
    source: &str,
    preamble: &[u8],
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(gate.addr.parse().unwrap()).await.unwrap();
    let mut req = preamble.to_vec();
    let host = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")).map_or(gate.addr.as_str(), |(_, v)| *v);
    req.extend_from_slice(format!("GET {path_and_query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n").as_bytes());
    for (k, v) in headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("host")) {
        req.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    // The gate may close before reading it all (a refused PROXY header): not an error here.
    let _ = stream.write_all(&req).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw HTTP answer, or 0 when there was none.
pub fn status_of(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// The path and query of a URL.
pub fn path_and_query(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.find('/').map_or_else(|| "/".to_owned(), |i| after_scheme[i..].to_owned())
}

/// Runs `tests/clients/sts.py` (boto3's STS client) and returns its JSON answer.
pub fn boto3_sts(args: &serde_json::Value) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sts.py");
    let out = Command::new(python()).arg(script).arg(args.to_string()).output().expect("run python");
    assert!(out.status.success(), "sts.py failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

impl Gate {
    /// Sends SIGHUP and waits until the log reports the reload's outcome (the `nth`
    /// outcome, counting from 1); returns whether it was applied.
    pub fn sighup(&self, nth: usize) -> bool {
        let status = Command::new("kill").args(["-HUP", &self.pid().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let log = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
            let outcomes: Vec<bool> = log
                .lines()
                .filter_map(|l| {
                    if l.contains("configuration reloaded") {
                        Some(true)
                    } else if l.contains("reload failed") {
                        Some(false)
                    } else {
                        None
                    }
                })
                .collect();
            if let Some(&ok) = outcomes.get(nth - 1) {
                return ok;
            }
            assert!(std::time::Instant::now() < deadline, "no reload outcome in the log:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A CA, and a certificate for localhost, 127.0.0.1 and access points under localhost
/// signed by it, written into `dir`:
/// `ca.pem`, `gate.crt` (the chain) and `gate.key`. Returns the CA's PEM.
pub fn make_certs(dir: &Path, ed25519: bool) -> String {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "outpost-gate test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = if ed25519 {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap()
    } else {
        rcgen::KeyPair::generate().unwrap()
    };
    // Access points are reached at their own names under the endpoint host.
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), format!("*.{OUTPOST}.localhost")];
    let leaf_params = rcgen::CertificateParams::new(names).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("gate.crt"), format!("{}{}", leaf.pem(), ca.pem())).unwrap();
    std::fs::write(dir.join("gate.key"), leaf_key.serialize_pem()).unwrap();
    ca.pem()
}

/// A client that trusts only `ca_pem`.
pub fn https_client(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

/// A port on which connections are refused, held (bound, never listening) for as long as
/// the socket lives, so no other test's server can take it meanwhile.
pub fn refused_port() -> (socket2::Socket, u16) {
    let held = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    held.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    let port = held.local_addr().unwrap().as_socket().unwrap().port();
    (held, port)
}

/// The `[server]` lines that make a gate speak TLS with the files `make_certs` wrote in `dir`.
pub fn tls_toml(dir: &Path) -> String {
    format!("tls_cert = \"{}\"\ntls_key = \"{}\"\n", dir.join("gate.crt").display(), dir.join("gate.key").display())
}

/// The store timeouts' defaults, for a store started in the test process.
pub fn store_timeouts() -> outpost_gate::upstream::StoreTimeouts {
    outpost_gate::upstream::StoreTimeouts { connect: Duration::from_secs(5), first_byte: Duration::from_mins(2) }
}

/// Several boto3 URLs from one Python process (`presign.py` given a list), in order.
pub fn boto3_presign_many(args: &[serde_json::Value]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/presign.py");
    let list = serde_json::Value::Array(args.to_vec());
    let out = Command::new(python()).arg(script).arg(list.to_string()).output().expect("run python");
    assert!(out.status.success(), "presign.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let urls: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(urls.len(), args.len(), "one URL per request");
    urls
}

/// Sends one raw HTTP/1.1 request (`target` exactly as given, no normalisation) with
/// `Connection: close` unless `headers` names a Connection header itself; returns the
/// status and the body (0 and empty when the gate closed without answering).
pub async fn raw_request(
    gate: &Gate,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    let host = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")).map_or(gate.addr.as_str(), |(_, v)| *v);
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("connection")) {
        req.push_str("Connection: close\r\n");
    }
    for (k, v) in headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("host")) {
        req.push_str(k);
        req.push_str(": ");
        req.push_str(v);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    let _ = stream.write_all(&bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status_of(&text), body)
}

/// The `<Code>` of an S3 (or STS) XML error body.
pub fn xml_code(body: &str) -> &str {
    body.split("<Code>").nth(1).and_then(|s| s.split('<').next()).unwrap_or("")
}

/// Polls `ready` every 50 ms until it holds, for at most `limit`: a wait for an event with
/// a deadline, never a fixed sleep that a loaded machine can outrun.
pub fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `tests/clients/s3_calls.py` (boto3 calls, header-signed as its defaults do) with
/// `args`, the gate's endpoint and the test user's keys added unless given, and returns one
/// JSON result per call.
pub fn boto3_calls(gate: &Gate, args: serde_json::Value) -> Vec<serde_json::Value> {
    let mut args = args;
    let obj = args.as_object_mut().expect("a JSON object");
    obj.entry("endpoint").or_insert_with(|| serde_json::json!(gate.url("")));
    obj.entry("access_key").or_insert(serde_json::json!(AK));
    obj.entry("secret_key").or_insert(serde_json::json!(SK));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/s3_calls.py");
    let out = Command::new(python()).arg(script).arg(args.to_string()).output().expect("run python");
    assert!(out.status.success(), "s3_calls.py failed: {}\n{}", String::from_utf8_lossy(&out.stderr), gate.log());
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A store that reads each request's head, writes `answer` (whatever bytes: a broken
/// response, or a good head and part of a body), and hangs up. Returns its port.
pub fn scripted_store(answer: Vec<u8>) -> u16 {
    use std::io::Write as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = stream.write_all(&answer);
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    port
}

/// The AWS SDK for Rust's S3 client with its defaults, path style, against `gate` as the
/// user with `ak`/`sk`.
pub fn rust_s3(gate: &Gate, ak: &str, sk: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(gate.url(""))
        .region(aws_sdk_s3::config::Region::new(REGION))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(ak, sk, None, None, "test"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
