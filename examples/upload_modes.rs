//! Uploads `SIZE_MIB` to a running gate in each payload mode an SDK sends, `ROUNDS` times
//! each, interleaved, and prints the median MiB/s and the gate's CPU per GiB (user +
//! kernel, from /proc) with each mode's ratio to `UNSIGNED-PAYLOAD`: the anchor measured
//! in the same run. Used by `benches/upload.sh`.
//!
//! Usage: upload_modes GATE_ADDR GATE_PID SIZE_MIB ROUNDS ACCESS_KEY_ID SECRET BUCKET

use std::time::Instant;

use base64::Engine as _;
use bytes::Bytes;
use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::{Signer, SigningKeyCache};
use outpost_gate::time::UnixTime;
use sha2::Digest as _;

const BLOCK: usize = 64 * 1024;

#[derive(Clone, Copy)]
enum Mode {
    Unsigned,
    Sha256,
    TrailerCrc32,
    TrailerCrc64,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Unsigned => "UNSIGNED-PAYLOAD",
            Self::Sha256 => "hex SHA-256",
            Self::TrailerCrc32 => "aws-chunked, CRC32 trailer",
            Self::TrailerCrc64 => "aws-chunked, CRC64NVME trailer",
        }
    }
}

/// The gate's user + kernel CPU so far, in clock ticks (100 a second on Linux).
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

struct Digests {
    sha256: String,
    crc32: String,
    crc64: String,
}

fn digests(block: &[u8], blocks: usize) -> Digests {
    let (mut sha, mut crc32) = (sha2::Sha256::new(), crc32fast::Hasher::new());
    let mut crc64 = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
    for _ in 0..blocks {
        sha.update(block);
        crc32.update(block);
        crc64.update(block);
    }
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    Digests {
        sha256: hex::encode(sha.finalize()),
        crc32: b64(&crc32.finalize().to_be_bytes()),
        crc64: b64(&crc64.finalize().to_be_bytes()),
    }
}

async fn upload(addr: &str, signer: &Signer<'_>, bucket: &str, mode: Mode, block: &Bytes, blocks: usize, d: &Digests) {
    let total = block.len() * blocks;
    let mut headers = http::HeaderMap::new();
    let (hash, frames): (&str, Vec<Bytes>) = match mode {
        Mode::Unsigned => ("UNSIGNED-PAYLOAD", vec![block.clone(); blocks]),
        Mode::Sha256 => (d.sha256.as_str(), vec![block.clone(); blocks]),
        Mode::TrailerCrc32 | Mode::TrailerCrc64 => {
            let (name, value) = match mode {
                Mode::TrailerCrc32 => ("x-amz-checksum-crc32", &d.crc32),
                _ => ("x-amz-checksum-crc64nvme", &d.crc64),
            };
            headers.insert("content-encoding", "aws-chunked".parse().unwrap());
            headers.insert("x-amz-decoded-content-length", total.to_string().parse().unwrap());
            headers.insert("x-amz-trailer", name.parse().unwrap());
            let mut framed = format!("{:x}\r\n", block.len()).into_bytes();
            framed.extend_from_slice(block);
            framed.extend_from_slice(b"\r\n");
            let framed = Bytes::from(framed);
            let mut frames = vec![framed; blocks];
            frames.push(Bytes::from(format!("0\r\n{name}:{value}\r\n\r\n")));
            ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", frames)
        }
    };
    let length: usize = frames.iter().map(Bytes::len).sum();
    let path = format!("/{bucket}/upload-bench.bin");
    signer.sign_headers_for("PUT", &path, "", addr, &mut headers, hash, UnixTime::now(), &SigningKeyCache::default());
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(frames.into_iter().map(Ok::<_, std::io::Error>)));
    let mut req =
        reqwest::Client::new().put(format!("http://{addr}{path}")).header("content-length", length).body(body);
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.to_str().unwrap());
    }
    let r = req.send().await.expect("the gate answers");
    assert_eq!(r.status(), 200, "{}: {}", mode.name(), r.text().await.unwrap_or_default());
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

#[allow(clippy::cast_precision_loss)] // sizes and tick counts far below 2^52
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, pid, size_mib, rounds, access_key_id, secret, bucket] = args.as_slice() else {
        eprintln!("usage: upload_modes GATE_ADDR GATE_PID SIZE_MIB ROUNDS ACCESS_KEY_ID SECRET BUCKET");
        std::process::exit(2);
    };
    let blocks = size_mib.parse::<usize>().unwrap_or(1024) * (1024 * 1024 / BLOCK);
    let rounds: usize = rounds.parse().unwrap_or(3);
    let block = Bytes::from((0..BLOCK).map(|i| (i * 131 % 251).to_le_bytes()[0]).collect::<Vec<u8>>());
    let d = digests(&block, blocks);
    let secret = SecretKey::new(secret.as_str());
    let signer = Signer { access_key_id, secret: &secret, region: "us-east-1", service: "s3" };
    let modes = [Mode::Unsigned, Mode::Sha256, Mode::TrailerCrc32, Mode::TrailerCrc64];
    let mut speed = vec![Vec::new(); modes.len()];
    let mut cpu = vec![Vec::new(); modes.len()];
    let mib = (blocks * BLOCK) as f64 / (1024.0 * 1024.0);
    for _ in 0..rounds {
        for (i, &mode) in modes.iter().enumerate() {
            let (t0, c0) = (Instant::now(), cpu_ticks(pid));
            upload(addr, &signer, bucket, mode, &block, blocks, &d).await;
            let secs = t0.elapsed().as_secs_f64();
            speed[i].push(mib / secs);
            // CPU milliseconds per GiB uploaded.
            cpu[i].push((cpu_ticks(pid) - c0) as f64 * 10.0 * 1024.0 / mib);
        }
    }
    let (base_speed, base_cpu) = (median(speed[0].clone()), median(cpu[0].clone()));
    println!("{:<32} {:>9} {:>7} {:>14} {:>7}", "mode", "MiB/s", "ratio", "gate CPU ms/GiB", "ratio");
    for (i, mode) in modes.iter().enumerate() {
        let (s, c) = (median(speed[i].clone()), median(cpu[i].clone()));
        println!("{:<32} {s:>9.0} {:>7.2} {c:>14.0} {:>7.2}", mode.name(), s / base_speed, c / base_cpu.max(1.0));
    }
}
