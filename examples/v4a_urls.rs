//! Prints `count` distinct SigV4a presigned GET targets (path and query, one a line) for
//! `benches/load.sh`: each is a different request (its X-Amz-Expires and X-Amz-Date vary),
//! so each costs the gate a full ECDSA verification the first time it is seen.
//!
//! Usage: v4a_urls HOST COUNT ACCESS_KEY_ID SECRET BUCKET KEY

use outpost_gate::secret::SecretKey;
use outpost_gate::sigv4::Signer;
use outpost_gate::sigv4::encode::uri_encode;
use outpost_gate::time::UnixTime;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, count, access_key_id, secret, bucket, key] = args.as_slice() else {
        eprintln!("usage: v4a_urls HOST COUNT ACCESS_KEY_ID SECRET BUCKET KEY");
        std::process::exit(2);
    };
    let count: i64 = count.parse().unwrap_or(0);
    let secret = SecretKey::new(secret.as_str());
    let signer = Signer { access_key_id, secret: &secret, region: "us-east-1", service: "s3-outposts" };
    let path = format!("/{}/{}", uri_encode(bucket.as_bytes(), false), uri_encode(key.as_bytes(), true));
    let now = UnixTime::now().0;
    let mut out = String::new();
    for i in 0..count {
        // 3,000 expiries a second, signed up to count/3000 seconds ago: all distinct, all valid.
        let expires = 3600 - u32::try_from(i % 3000).unwrap_or(0);
        let at = UnixTime(now - i / 3000);
        let url = signer.presign_url_v4a("GET", "http", host, &path, &[], "*", expires, None, at);
        out.push_str(url.split_once(host.as_str()).map_or("", |(_, rest)| rest));
        out.push('\n');
    }
    print!("{out}");
}
