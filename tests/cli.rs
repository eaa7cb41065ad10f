//! The command line as INTERFACE.md fixes it: `check-config`, `presign` (with curl, as the
//! README shows), `serve` refusing a bad configuration, and draining on SIGTERM.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use outpost_gate::time::UnixTime;
use support::*;

fn gate_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_outpost-gate"))
}

fn shipped_config() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/outpost-gate.toml")
}

#[test]
fn check_config_accepts_the_shipped_configuration() {
    let out = gate_bin().args(["check-config", "--config"]).arg(shipped_config()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ok: 1 listener(s), embedded store"), "{text}");
}

/// A reader that goes away (`check-config | head -1`) ends the output, not in a panic.
#[test]
fn check_config_into_a_closed_pipe_exits_quietly() {
    let mut child = gate_bin()
        .args(["check-config", "--config"])
        .arg(shipped_config())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}

/// The production example, with the files it names made beside it: TLS certificates, the
/// secrets, and the shipped policies.
#[test]
fn check_config_accepts_the_production_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["tls", "secrets", "policies"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    std::fs::copy(root.join("config/production.example.toml"), d.join("gate.toml")).unwrap();
    for p in ["demo.json", "example-outpost-bucket.json"] {
        std::fs::copy(root.join("config/policies").join(p), d.join("policies").join(p)).unwrap();
    }
    let ca = make_certs(&d.join("tls"), false);
    std::fs::write(d.join("tls/store-ca.pem"), ca).unwrap();
    std::fs::write(d.join("secrets/store.secret"), "store-secret\n").unwrap();
    std::fs::write(d.join("secrets/demo.secret"), "demo-secret\n").unwrap();
    let out = gate_bin().args(["check-config", "--config"]).arg(d.join("gate.toml")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("s3 store at https://minio.outpost.internal:9000/"), "{text}");
    assert!(d.join("secrets/sts.key").exists(), "the STS key file is made on first load");
}

#[test]
fn check_config_exits_2_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[outpost]\nregion = \"us-east-1\"\naccount_id = \"12\"\noutpost_id = \"op-1\"\n[[buckets]]\nname = \"b1b\"\npolicy = \"missing.json\"\n",
    )
    .unwrap();
    let out = gate_bin().args(["check-config", "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with(&format!("{}: outpost.account_id:", cfg.display())), "{err}");
    assert!(lines[1].starts_with(&format!("{}: buckets[0].policy: missing.json: cannot read", cfg.display())), "{err}");

    // The environment variable names the default; serve refuses the same file with exit 2.
    let out = gate_bin().arg("serve").env("OUTPOST_GATE_CONFIG", &cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
}

#[test]
fn presign_and_curl_as_in_the_readme() {
    let gate = Gate::start();
    let cfg = gate.dir.path().join("gate.toml");
    let presign = |method: &str, key: &str| {
        let out = gate_bin()
            .args(["presign", "--config"])
            .arg(&cfg)
            .args([
                "--access-key-id",
                AK,
                "--method",
                method,
                "--bucket",
                BUCKET,
                "--key",
                key,
                "--expires",
                "300",
                "--host",
                &gate.addr,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let file = gate.dir.path().join("hello.txt");
    std::fs::write(&file, "hello, outpost\n").unwrap();
    let put = presign("PUT", "greetings/hello world.txt");
    assert!(put.contains("%2Fs3-outposts%2Faws4_request"));
    let out = Command::new("curl").args(["-sS", "-f", "-T"]).arg(&file).arg(&put).output().expect("curl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let get = presign("GET", "greetings/hello world.txt");
    let out = Command::new("curl").args(["-sS", "-f", &get]).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "hello, outpost\n");

    // Unknown key and out-of-range expiry are refused.
    let out = gate_bin()
        .args(["presign", "--config"])
        .arg(&cfg)
        .args(["--access-key-id", "AKIANOPE000000000000", "--method", "GET", "--bucket", BUCKET])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = gate_bin()
        .args(["presign", "--config"])
        .arg(&cfg)
        .args(["--access-key-id", AK, "--method", "GET", "--bucket", BUCKET, "--expires", "604801"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_a_download_and_refuses_new_connections() {
    let mut gate = Gate::start_with(Setup { shutdown_grace_secs: Some(30), ..Setup::default() });
    let key = "drain.bin";
    let size = 256 * 1024 * 1024;
    let put = gate.presign("PUT", key, 300, UnixTime::now());
    assert_eq!(http().put(put).body(vec![7u8; size]).send().await.unwrap().status(), 200);

    let r = http().get(gate.presign("GET", key, 300, UnixTime::now())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    let first = stream.next().await.unwrap().unwrap().len();
    gate.sigterm();

    // New connections are refused while the old one drains (once the signal is handled).
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(&gate.addr).await.is_ok() {
        assert!(Instant::now() < deadline, "the listener must be closed during the drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let started = Instant::now();
    let mut n = first;
    while let Some(chunk) = stream.next().await {
        n += chunk.expect("the in-flight download completes").len();
        if n % (4 * 1024 * 1024) < 65_536 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(n, size);
    assert!(started.elapsed() < Duration::from_secs(30));

    let status = gate.wait_for_exit(Duration::from_secs(10));
    assert!(status.success(), "the gate exits 0 after draining: {status:?}");
    // Its access line was written before the exit, and says it completed.
    let lines = gate.access_lines();
    let drained = lines.iter().find(|l| l.contains("method=GET") && l.contains("/object/drain.bin")).unwrap();
    assert!(drained.contains(&format!(" bytes_out={size} ")) && drained.ends_with("outcome=complete"), "{drained}");
}
