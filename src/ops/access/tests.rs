use super::*;

fn entry() -> Entry {
    let mut e = Entry::new(
        "10.0.0.1:40000".parse().unwrap(),
        "203.0.113.9".parse().unwrap(),
        http::Method::GET,
        1_764_046_140_123,
    );
    e.action = Some("s3-outposts:GetObject");
    e.resource = Some("arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-1/bucket/b/object/a b\"c".into());
    e.access_key_id = crate::base::ids::KeyId::from("AKIA\nforged=1").ok();
    e.status = 200;
    e.decision = Some("allow");
    e
}

fn render(e: &Entry, f: Format) -> String {
    let line = Line { entry: e, bytes_in: 5, bytes_out: 1024, duration_ms: 7, outcome: Outcome::Complete };
    let mut buf = Vec::new();
    match f {
        Format::Text => line.text(&mut buf),
        Format::Json => line.json(&mut buf),
    }
    String::from_utf8(buf).unwrap()
}

#[test]
fn json_lines_are_one_object_with_every_field() {
    let e = entry();
    let line = render(&e, Format::Json);
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["time"], "2025-11-25T04:49:00.123Z");
    assert_eq!(v["request_id"].as_str().unwrap().len(), 16);
    assert_eq!(v["client"], "10.0.0.1:40000");
    assert_eq!(v["source"], "203.0.113.9");
    assert_eq!(v["access_key_id"], "AKIA\nforged=1");
    assert_eq!(v["resource"], "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-1/bucket/b/object/a b\"c");
    assert_eq!(v["principal"], serde_json::Value::Null);
    assert_eq!(v["status"], 200);
    assert_eq!(v["bytes_in"], 5);
    assert_eq!(v["bytes_out"], 1024);
    assert_eq!(v["duration_ms"], 7);
    assert_eq!(v["outcome"], "complete");
}

#[test]
fn text_lines_quote_what_a_client_could_use_to_forge_a_field() {
    let line = render(&entry(), Format::Text);
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    assert!(line.starts_with("time=2025-11-25T04:49:00.123Z request_id="), "{line}");
    assert!(line.contains(r#" access_key_id="AKIA\nforged=1" "#), "{line}");
    assert!(line.contains(r#"/object/a b\"c" "#), "{line}");
    assert!(line.contains(" client=10.0.0.1:40000 source=203.0.113.9 vpc=- "), "{line}");
    assert!(line.ends_with(" bytes_in=5 bytes_out=1024 duration_ms=7 outcome=complete\n"), "{line}");
}

#[test]
fn hand_formatted_fields_match_fmt() {
    for ms in [0, 999, 1_764_046_140_123, 1_764_046_140_999, 1_764_046_141_000, 4_102_444_800_007] {
        let mut out = [0u8; 64];
        assert_eq!(time_into(ms, &mut out), UnixTime::iso8601_ms(ms).to_string(), "{ms}");
    }
    for addr in ["0.0.0.0:0", "255.255.255.255:65535", "10.0.12.3:443", "192.168.100.200:8080"] {
        let a: std::net::SocketAddrV4 = addr.parse().unwrap();
        let mut out = [0u8; 64];
        assert_eq!(v4_into(*a.ip(), Some(a.port()), &mut out), a.to_string());
        let mut out = [0u8; 64];
        assert_eq!(v4_into(*a.ip(), None, &mut out), a.ip().to_string());
    }
}

#[test]
fn request_ids_are_sixteen_hex_digits() {
    let id = RequestId::random();
    assert_eq!(id.as_str().len(), 16);
    assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()));
}

#[test]
fn bare_text_values_are_printable_ascii_without_quote_or_equals() {
    for b in 0..=255u8 {
        let bare = (0x21..0x7f).contains(&b) && b != b'"' && b != b'=';
        assert_eq!(NEEDS_QUOTES[usize::from(b)], !bare, "{b:#04x}");
    }
    let mut e = entry();
    e.action = Some("");
    assert!(render(&e, Format::Text).contains(r#" action="" "#));
}
