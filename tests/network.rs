//! The network path, end to end: PROXY protocol v2 headers sent on raw sockets as a Network
//! Load Balancer sends them (IPv4, IPv6, LOCAL, with and without the AWS VPC endpoint TLV,
//! two in a row, truncated, garbage, too slow), X-Forwarded-For from trusted and untrusted
//! peers, policies on `aws:SourceVpce`, `aws:SourceVpc` and `aws:SourceIp`, and VPC-bound
//! access points. URLs are presigned by boto3. On loopback, 127.0.0.2 is a second client.

mod support;

use serde_json::json;
use support::{
    ACCOUNT, AP, BUCKET, Gate, OUTPOST, REGION, Setup, ap_host, boto3_presign, http_from, path_and_query, proxy_v2,
    raw_get, status_of,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const VPC: &str = "vpc-1a2b3c4d";
const VPCE: &str = "vpce-08d2bf15fac5001c9";
const OTHER_VPCE: &str = "vpce-0aaaabbbbccccdddd";

fn network_toml(trusted: &str) -> String {
    format!(
        "[network]\ntrusted_proxies = [{trusted}]\n[[network.vpcs]]\nid = \"{VPC}\"\ncidrs = [\"10.0.0.0/16\"]\nendpoint_id = \"{VPCE}\"\n"
    )
}

fn proxied(policy: Option<String>, identity: Option<&str>) -> Gate {
    Gate::start_with(Setup {
        server_toml: "proxy_protocol = \"required\"\nheader_read_timeout_secs = 1\n".into(),
        extra_toml: network_toml(""),
        bucket_policy: policy,
        more_identity_policies: identity.map(str::to_owned).into_iter().collect(),
        ..Setup::default()
    })
}

/// A bucket policy that denies every request not made through `vpce`.
fn only_through(vpce: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"OnlyThroughTheEndpoint","Effect":"Deny","Principal":"*","Action":"s3-outposts:*","Resource":"*","Condition":{{"StringNotEquals":{{"aws:SourceVpce":"{vpce}"}}}}}}]}}"#
    )
}

fn get_url(gate: &Gate, key: &str) -> String {
    path_and_query(&boto3_presign(
        &json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": key}),
    ))
}

/// Puts an object through a PROXY header from inside the VPC.
async fn seed(gate: &Gate, key: &str) {
    seed_from(gate, key, "10.0.3.4:40000", Some(VPCE)).await;
}

async fn seed_from(gate: &Gate, key: &str, source: &str, vpce: Option<&str>) {
    let url = path_and_query(&gate.presign("PUT", key, 60, outpost_gate::time::UnixTime::now()));
    let mut s = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    let mut req = proxy_v2(Some(source.parse().unwrap()), vpce);
    req.extend_from_slice(
        format!("PUT {url} HTTP/1.1\r\nHost: {}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", gate.addr)
            .as_bytes(),
    );
    s.write_all(&req).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert_eq!(status_of(&out), 200, "{out}");
}

#[tokio::test]
async fn the_vpc_endpoint_tlv_sets_aws_source_vpce() {
    let gate = proxied(Some(only_through(VPCE)), None);
    seed(&gate, "k").await;
    let url = get_url(&gate, "k");
    let from = |src: &str, vpce: Option<&str>| proxy_v2(Some(src.parse().unwrap()), vpce);

    let a = raw_get(&gate, "127.0.0.1", &from("10.0.3.4:40001", Some(VPCE)), &url, &[]).await;
    assert_eq!(status_of(&a), 200, "{a}");
    assert!(a.ends_with("hello"));
    // Another endpoint: the Deny applies.
    let a = raw_get(&gate, "127.0.0.1", &from("10.0.3.4:40002", Some(OTHER_VPCE)), &url, &[]).await;
    assert_eq!(status_of(&a), 403, "{a}");
    // No TLV, but an address in the VPC's range: the VPC's configured endpoint.
    let a = raw_get(&gate, "127.0.0.1", &from("10.0.9.9:40003", None), &url, &[]).await;
    assert_eq!(status_of(&a), 200, "{a}");
    // Neither: aws:SourceVpce is absent, StringNotEquals holds, denied.
    let a = raw_get(&gate, "127.0.0.1", &from("203.0.113.9:40004", None), &url, &[]).await;
    assert_eq!(status_of(&a), 403, "{a}");
    let log = gate.log();
    assert!(log.contains("source=10.0.3.4 vpc=vpc-1a2b3c4d "), "{log}");
    assert!(log.contains("aws:SourceVpce (absent) StringNotEquals vpce-08d2bf15fac5001c9"), "{log}");
}

#[tokio::test]
async fn source_vpc_and_source_ip_ipv6() {
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"VpcOrDocumentationRange","Effect":"Deny","Principal":"*","Action":"s3-outposts:*","Resource":"*",
              "Condition":{{"StringNotEqualsIfExists":{{"aws:SourceVpc":"{VPC}"}},"NotIpAddressIfExists":{{"aws:SourceIp":"2001:db8::/32"}}}}}}]}}"#
    );
    let gate = proxied(Some(policy), None);
    seed(&gate, "v6").await;
    let url = get_url(&gate, "v6");
    let from = |src: &str| proxy_v2(Some(src.parse().unwrap()), None);
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.1", &from("[2001:db8::7]:5000"), &url, &[]).await), 200);
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.1", &from("[2001:db9::7]:5000"), &url, &[]).await), 403);
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.1", &from("10.0.1.1:5000"), &url, &[]).await), 200);
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.1", &from("192.0.2.1:5000"), &url, &[]).await), 403);
}

/// IAM's NetworkRestrictionForIAMPrincipal, with an address range that covers the VPC.
const NETWORK_RESTRICTION: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NetworkRestrictionForIAMPrincipal","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8"]},"BoolIfExists":{"aws:ViaAWSService":"false"}}}]}"#;

/// The same, with the VPC let through by name, as AWS advises for VPC endpoint traffic.
const NETWORK_RESTRICTION_WITH_VPC: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NetworkRestrictionForIAMPrincipal","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8"]},"BoolIfExists":{"aws:ViaAWSService":"false"},"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1a2b3c4d"}}}]}"#;

#[tokio::test]
async fn source_ip_is_absent_for_vpc_clients_so_not_ip_address_if_exists_denies_them() {
    let gate = proxied(None, Some(NETWORK_RESTRICTION));
    seed_from(&gate, "n", "10.200.0.1:1", None).await;
    let url = get_url(&gate, "n");
    // A VPC client at 10.0.3.4 is inside 10.0.0.0/8, but aws:SourceIp is absent for it:
    // NotIpAddressIfExists is then true, and the Deny applies.
    let a = raw_get(&gate, "127.0.0.1", &proxy_v2(Some("10.0.3.4:1".parse().unwrap()), Some(VPCE)), &url, &[]).await;
    assert_eq!(status_of(&a), 403, "{a}");
    assert!(gate.log().contains("aws:SourceIp (absent) NotIpAddressIfExists 10.0.0.0/8"));
    // A client of the public endpoint in the same range (not a configured VPC) passes.
    let a = raw_get(&gate, "127.0.0.1", &proxy_v2(Some("10.200.0.1:1".parse().unwrap()), None), &url, &[]).await;
    assert_eq!(status_of(&a), 200, "{a}");

    let gate = proxied(None, Some(NETWORK_RESTRICTION_WITH_VPC));
    seed(&gate, "n").await;
    let url = get_url(&gate, "n");
    let a = raw_get(&gate, "127.0.0.1", &proxy_v2(Some("10.0.3.4:1".parse().unwrap()), Some(VPCE)), &url, &[]).await;
    assert_eq!(status_of(&a), 200, "{a}");
}

#[tokio::test]
async fn local_health_checks_and_two_headers_in_a_row() {
    let gate = proxied(Some(only_through(VPCE)), None);
    seed(&gate, "two").await;
    // LOCAL, as the load balancer's health checks send it: served, as the real peer.
    let a = raw_get(&gate, "127.0.0.1", &proxy_v2(None, None), "/_gate/healthz", &[]).await;
    assert_eq!(status_of(&a), 200, "{a}");
    // LOCAL and nothing else (a TCP health check): closed quietly.
    let mut lone = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    lone.write_all(&proxy_v2(None, None)).await.unwrap();
    drop(lone);

    let url = get_url(&gate, "two");
    let ours = proxy_v2(Some("10.0.3.4:1".parse().unwrap()), Some(VPCE));
    let theirs = proxy_v2(Some("6.6.6.6:1".parse().unwrap()), Some(OTHER_VPCE));
    // The load balancer's header comes first; the one it kept is not believed.
    let a = raw_get(&gate, "127.0.0.1", &[ours.clone(), theirs.clone()].concat(), &url, &[]).await;
    assert_eq!(status_of(&a), 200, "{a}");
    let a = raw_get(&gate, "127.0.0.1", &[theirs, ours].concat(), &url, &[]).await;
    assert_eq!(status_of(&a), 403, "{a}");
}

#[tokio::test]
async fn missing_truncated_garbage_and_slow_headers_close_the_connection() {
    let gate = proxied(None, None);
    let header = proxy_v2(Some("10.0.3.4:1".parse().unwrap()), Some(VPCE));

    // No header where one is required.
    assert_eq!(raw_get(&gate, "127.0.0.1", b"", "/_gate/healthz", &[]).await, "");
    // Garbage after the signature.
    let mut garbage = header[..12].to_vec();
    garbage.extend_from_slice(&[0x99, 0x11, 0x00, 0x04, 1, 2, 3, 4]);
    assert_eq!(raw_get(&gate, "127.0.0.1", &garbage, "/_gate/healthz", &[]).await, "");
    // An AWS TLV whose endpoint id is not one.
    let bad_tlv = proxy_v2(Some("10.0.3.4:1".parse().unwrap()), Some("vpce-XYZ"));
    assert_eq!(raw_get(&gate, "127.0.0.1", &bad_tlv, "/_gate/healthz", &[]).await, "");

    // Truncated: the connection closes inside the header.
    let mut s = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    s.write_all(&header[..20]).await.unwrap();
    s.shutdown().await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(out.is_empty());
    // Too slow: five bytes, then nothing; cut at the header timeout (1 s here).
    let started = std::time::Instant::now();
    let mut s = tokio::net::TcpStream::connect(&gate.addr).await.unwrap();
    s.write_all(&header[..5]).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await.unwrap().unwrap();
    assert!(out.is_empty());
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "{:?}", started.elapsed());

    let log = gate.log();
    for why in [
        "the connection did not start with a PROXY protocol v2 header",
        "malformed PROXY header: version 9",
        "malformed PROXY header: the AWS TLV's VPC endpoint id is not one",
        "the connection closed inside a PROXY header",
        "no complete PROXY header within 1s",
    ] {
        assert!(log.contains(&format!("closing the connection unserved: {why}")), "{why}:\n{log}");
    }
}

#[tokio::test]
async fn optional_proxy_headers_are_read_only_from_trusted_proxies() {
    let gate = Gate::start_with(Setup {
        server_toml: "proxy_protocol = \"optional\"\n".into(),
        extra_toml: network_toml("\"127.0.0.1/32\""),
        bucket_policy: Some(only_through(VPCE)),
        ..Setup::default()
    });
    seed(&gate, "opt").await;
    let url = get_url(&gate, "opt");
    let header = proxy_v2(Some("10.0.3.4:1".parse().unwrap()), Some(VPCE));
    // From the trusted load balancer: believed.
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.1", &header, &url, &[]).await), 200);
    // From the trusted load balancer without a header: served as itself (not in the VPC).
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.1", b"", &url, &[]).await), 403);
    // From anyone else, a PROXY header is not read: it is not HTTP, so no answer serves it.
    let a = raw_get(&gate, "127.0.0.2", &header, &url, &[]).await;
    assert_ne!(status_of(&a), 200, "{a}");
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.2", b"", "/_gate/healthz", &[]).await), 200);
}

#[tokio::test]
async fn x_forwarded_for_from_trusted_and_untrusted_peers() {
    let deny_outside = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DocumentationRangeOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
    let gate = Gate::start_with(Setup {
        extra_toml: "[network]\ntrusted_proxies = [\"127.0.0.1/32\", \"10.9.0.0/16\"]\n".into(),
        more_identity_policies: vec![deny_outside.into()],
        ..Setup::default()
    });
    let url = boto3_presign(&json!({"endpoint": gate.url(""), "method": "get_object", "bucket": BUCKET, "key": "x"}));
    let get = |from: &str, xff: &str| http_from(from).get(&url).header("x-forwarded-for", xff).send();
    // From the trusted proxy: its client counts. 404: allowed, no such object yet.
    assert_eq!(get("127.0.0.1", "203.0.113.9").await.unwrap().status(), 404);
    // Through a chain of trusted proxies.
    assert_eq!(get("127.0.0.1", "203.0.113.9, 10.9.4.4").await.unwrap().status(), 404);
    // A client that prepends the allowed address: the right-most untrusted hop is its own.
    assert_eq!(get("127.0.0.1", "203.0.113.9, 198.51.100.7").await.unwrap().status(), 403);
    // An untrusted peer's header is not read at all.
    assert_eq!(get("127.0.0.2", "203.0.113.9").await.unwrap().status(), 403);
    let log = gate.log();
    assert!(log.contains("client=127.0.0.2:") && log.contains("source=127.0.0.2"), "{log}");
    assert!(log.contains("aws:SourceIp 198.51.100.7 NotIpAddress 203.0.113.0/24"), "{log}");
}

#[tokio::test]
async fn vpc_bound_access_points_refuse_everyone_else() {
    let gate = Gate::start_with(Setup {
        server_toml: "proxy_protocol = \"required\"\n".into(),
        extra_toml: network_toml(""),
        access_point_toml: format!("vpc_id = \"{VPC}\"\n"),
        ..Setup::default()
    });
    seed(&gate, "through-ap").await;
    let arn = format!("arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/{OUTPOST}/accesspoint/{AP}");
    let url = path_and_query(&boto3_presign(&json!({ "method": "get_object", "bucket": arn, "key": "through-ap" })));
    let host = ap_host();
    let inside = proxy_v2(Some("10.0.3.4:1".parse().unwrap()), Some(VPCE));
    let outside = proxy_v2(Some("203.0.113.9:1".parse().unwrap()), None);
    let a = raw_get(&gate, "127.0.0.1", &inside, &url, &[("Host", &host)]).await;
    assert_eq!(status_of(&a), 200, "{a}");
    let a = raw_get(&gate, "127.0.0.1", &outside, &url, &[("Host", &host)]).await;
    assert_eq!(status_of(&a), 403, "{a}");
    assert!(a.contains("<Code>AccessDenied</Code>"), "{a}");
    assert!(gate.log().contains("access point ap1 serves requests from vpc-1a2b3c4d only"));
    // The bucket itself is not VPC-bound.
    let bucket_url = get_url(&gate, "through-ap");
    assert_eq!(status_of(&raw_get(&gate, "127.0.0.1", &outside, &bucket_url, &[]).await), 200);
}
