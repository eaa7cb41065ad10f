//! Classification of method, host, path, query and headers into action and resource, on
//! a fixed catalog (a bucket, an access point, path, virtual-host and access-point hosts).
//! The input is lines: method, host, request target, then `name: value` headers. Beyond
//! "no panic", for every request that classifies:
//! - the key passed the guard (what a path-mapping store would read as another key never
//!   gets through), and the resource ARN names that bucket or access point and that key;
//! - the request the store is sent (path-style, the key encoded as the gate encodes it,
//!   the forwarded query) classifies to the same action, bucket and key: the store reads
//!   what was decided (a `versionId=null` dropped for a store without versions aside).

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use outpost_gate::config::Config;
use outpost_gate::decide::Decider;
use outpost_gate::sigv4::Query;
use outpost_gate::sigv4::encode::uri_encode;

const CONFIG: &str = r#"
[server]
listen = ["127.0.0.1:0"]
endpoint_hosts = ["s3-outposts.us-east-1.amazonaws.com", "localhost"]

[outpost]
region = "us-east-1"
account_id = "111122223333"
outpost_id = "op-01ac5d28a6a232904"

[store]
kind = "embedded"
data_dir = "data"

[[buckets]]
name = "example-outpost-bucket"

[[buckets]]
name = "other.bucket"

[[access_points]]
name = "ap1"
bucket = "example-outpost-bucket"
"#;

fn decider() -> &'static Decider {
    static DECIDER: OnceLock<Decider> = OnceLock::new();
    DECIDER.get_or_init(|| {
        let config = Config::from_text(CONFIG, Path::new("/nonexistent-outpost-gate-fuzz/gate.toml"))
            .expect("the fuzz catalog loads");
        Decider::new(&config)
    })
}

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    let mut lines = text.split('\n');
    let (Some(method), Some(host), Some(target)) = (lines.next(), lines.next(), lines.next()) else { return };
    let Ok(method) = Method::from_bytes(method.as_bytes()) else { return };
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':')
            && let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v.trim()))
        {
            headers.append(k, v);
        }
    }
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let Ok(query) = Query::parse(raw_query) else { return };
    let catalog = &decider().catalog;
    let Ok(asked) = catalog.classify(&method, host, path, &query, &headers) else { return };

    if let Some(key) = &asked.key {
        outpost_gate::guard::check_key(key, catalog.traits).expect("a classified key passes the guard");
        assert!(asked.resource.ends_with(&format!("/object/{key}")), "{} for key {key:?}", asked.resource);
    }
    assert!(asked.resource.starts_with("arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904/"));

    // What the store is sent, classified again.
    let mut store_path = format!("/{}", uri_encode(asked.bucket.name.as_bytes(), false));
    if let Some(key) = &asked.key {
        store_path.push('/');
        store_path.push_str(&uri_encode(key.as_bytes(), true));
    }
    let forwarded = Query::parse(&asked.forward.query).expect("the forwarded query parses");
    let again = catalog
        .classify(&method, "localhost", &store_path, &forwarded, &headers)
        .unwrap_or_else(|e| panic!("the store's request does not classify: {} {store_path}?{}: {e:?}", method, asked.forward.query));
    // A store without versions is sent no `versionId=null`: its only version is the
    // object, so `…Version` was decided for what the store reads as the plain action.
    let decided = asked.action.name();
    let read = again.action.name();
    let null_version = !catalog.traits.versions && decided.strip_suffix("Version") == Some(read);
    assert!(decided == read || null_version, "decided {decided}, the store reads {read}");
    assert_eq!(again.bucket.name, asked.bucket.name);
    assert_eq!(again.key, asked.key);
    assert_eq!(again.forward.query, asked.forward.query, "the forwarded query is not a fixed point");
});
