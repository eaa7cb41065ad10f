use super::*;

const STRICT: StoreTraits = StoreTraits { opaque_keys: false, versions: false };
const OPAQUE: StoreTraits = StoreTraits { opaque_keys: true, versions: false };

#[test]
fn keys_a_path_store_would_normalise_are_refused_when_strict() {
    for key in [
        "../payroll/salaries.csv",
        "public/../private/secret.txt",
        "public/./x",
        "public/x/../../private/secret.txt",
        "..",
        ".",
        "private//secret.txt",
        "/private/secret.txt",
        "private/secret.txt/",
        "certs/server.pem/",
        "a\\b",
        "nul\0byte",
        "line\nfeed",
        "del\u{7f}",
    ] {
        let e = check_key(key, STRICT).expect_err(key);
        assert_eq!((e.status.as_u16(), e.code), (400, "InvalidArgument"), "{key}");
        assert_eq!(e.extra("ArgumentValue"), Some(key));
    }
    for key in ["a", "public/file.txt", "..hidden/x", "a/.b", "a.b/c..d", "ünï code/+ & =%.txt", "a b/c"] {
        check_key(key, STRICT).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
}

#[test]
fn opaque_stores_get_keys_as_written_up_to_s3s_limit() {
    for key in ["folder/", "a//b", "../x", "lead/"] {
        check_key(key, OPAQUE).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    // Garage reads `/lead` as `lead`, and `/` as the bucket itself.
    for key in ["/lead", "/", "//x"] {
        let e = check_key(key, OPAQUE).expect_err(key);
        assert_eq!((e.status.as_u16(), e.code, e.extra("ArgumentValue")), (400, "InvalidArgument", Some(key)));
    }
    let e = check_key(&"k".repeat(1025), OPAQUE).unwrap_err();
    assert_eq!((e.code, e.extra("MaxSizeAllowed"), e.extra("Size")), ("KeyTooLongError", Some("1024"), Some("1025")));
    check_key(&"k".repeat(1024), OPAQUE).unwrap();
}

#[test]
fn listing_prefixes_are_refused_where_a_path_store_would_normalise_them() {
    for bad in ["prefix=/private/", "prefix=private//", "prefix=public/../private", "prefix=a%5Cb", "start-after=/x"] {
        let query = Query::parse(bad).unwrap();
        assert!(check_prefix(&query, STRICT).is_err(), "{bad}");
        assert!(check_prefix(&query, OPAQUE).is_ok(), "{bad}");
    }
    for good in ["prefix=private/", "prefix=pri", "prefix=", "prefix=a/.hidden", "delimiter=/"] {
        assert!(check_prefix(&Query::parse(good).unwrap(), STRICT).is_ok(), "{good}");
    }
}

#[test]
fn the_store_gets_only_known_parameters_once_each() {
    let fwd = |s: &str, t| forwarded_query(&Query::parse(s).unwrap(), t);
    assert_eq!(
        fwd("X-Amz-Signature=x&prefix=a%20b&list-type=2&cache-buster=1&x-id=GetObject", STRICT).unwrap(),
        "list-type=2&prefix=a%20b&x-id=GetObject"
    );
    let e = fwd("prefix=a&prefix=b", STRICT).unwrap_err();
    assert_eq!((e.code, e.extra("ArgumentName")), ("InvalidArgument", Some("prefix")));
    assert!(fwd("prefix=%FF", STRICT).is_err());
    // A store without versions has only the `null` version, which is the object itself.
    assert_eq!(fwd("versionId=null", STRICT).unwrap(), "");
    let e = fwd("versionId=made-up", STRICT).unwrap_err();
    assert_eq!((e.status.as_u16(), e.message.as_ref()), (400, "Invalid version id specified"));
    // A header hoisted into the query is neither decided on nor forwarded unseen.
    let e = fwd("x-amz-server-side-encryption=AES256", STRICT).unwrap_err();
    assert_eq!(e.extra("ArgumentName"), Some("x-amz-server-side-encryption"));
    assert!(fwd("X-Amz-Acl=public-read", STRICT).is_err());
    assert!(fwd("X-Amz-Region-Set=%2A&X-Amz-Date=x", STRICT).is_ok());
    let versioned = StoreTraits { opaque_keys: false, versions: true };
    assert_eq!(fwd("versionId=v1", versioned).unwrap(), "versionId=v1");
    // S3 reads an empty delimiter as none.
    assert_eq!(fwd("list-type=2&delimiter=&prefix=a", STRICT).unwrap(), "list-type=2&prefix=a");
    assert_eq!(fwd("list-type=2&delimiter=%2F", STRICT).unwrap(), "delimiter=%2F&list-type=2");
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, http::HeaderValue::from_static(v));
    }
    h
}

#[test]
fn connection_may_name_hop_by_hop_headers_only() {
    for ok in ["keep-alive", "close", "Keep-Alive, TE", "Upgrade, HTTP2-Settings"] {
        check_headers(&headers(&[("connection", ok)])).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for named in ["x-amz-server-side-encryption", "close, X-Amz-Tagging", "range", "content-type", "x-private"] {
        let e = check_headers(&headers(&[("connection", named)])).unwrap_err();
        assert_eq!((e.status.as_u16(), e.extra("ArgumentName")), (400, Some("Connection")), "{named}");
    }
}

#[test]
fn repeated_amz_headers_and_non_text_policy_headers_are_refused() {
    let e = check_headers(&headers(&[("x-amz-acl", "private"), ("x-amz-acl", "public-read")])).unwrap_err();
    assert_eq!(e.extra("ArgumentName"), Some("x-amz-acl"));
    let mut h = HeaderMap::new();
    h.insert("x-amz-server-side-encryption", http::HeaderValue::from_bytes(b"AES256\xff").unwrap());
    assert!(check_headers(&h).is_err());
    check_headers(&headers(&[("x-amz-acl", "private"), ("x-amz-meta-a", "1")])).unwrap();
    // Any x-amz-* value, user metadata included: a store may canonicalize obs-text otherwise.
    let mut h = HeaderMap::new();
    h.insert("x-amz-meta-note", http::HeaderValue::from_bytes(b"caf\xe9").unwrap());
    let e = check_headers(&h).unwrap_err();
    assert_eq!((e.status.as_u16(), e.extra("ArgumentName")), (400, Some("x-amz-meta-note")));
    let e = check_headers(&headers(&[("host", "a"), ("host", "b")])).unwrap_err();
    assert_eq!(e.extra("ArgumentName"), Some("Host"));
}

#[test]
fn metadata_a_store_reads_as_a_command_is_refused() {
    for name in [
        "x-amz-meta-snowball-auto-extract",
        "x-amz-meta-minio-snowball-prefix",
        "x-amz-meta-x-minio-internal-replication",
    ] {
        let e = check_headers(&headers(&[(name, "true")])).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code, e.extra("ArgumentName")), (400, "InvalidArgument", Some(name)));
    }
    check_headers(&headers(&[("x-amz-meta-snowballs", "3"), ("x-amz-meta-minion", "bob")])).unwrap();
}

#[test]
fn headers_that_need_a_permission_the_gate_lacks_are_not_implemented() {
    for (name, value) in [
        ("x-amz-acl", "public-read"),
        ("x-amz-acl", "authenticated-read"),
        ("x-amz-grant-full-control", "uri=http://acs.amazonaws.com/groups/global/AllUsers"),
        ("x-amz-grant-read", "id=x"),
        ("x-amz-object-lock-mode", "COMPLIANCE"),
        ("x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z"),
        ("x-amz-object-lock-legal-hold", "ON"),
        ("x-amz-bypass-governance-retention", "true"),
    ] {
        let e = check_permission_headers(&headers(&[(name, value)])).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code, e.extra("Header")), (501, "NotImplemented", Some(name)), "{name}");
    }
    for acl in ["private", "bucket-owner-full-control", "PRIVATE"] {
        check_permission_headers(&headers(&[("x-amz-acl", acl)])).unwrap_or_else(|e| panic!("{acl}: {e}"));
    }
}

#[test]
fn a_copy_replacing_its_tags_with_none_sets_an_empty_tag_set() {
    let replace = headers(&[("x-amz-tagging-directive", "REPLACE")]);
    assert_eq!(request_tags(&replace).unwrap(), Some(Vec::new()));
    assert_eq!(request_tags(&headers(&[("x-amz-tagging-directive", "COPY")])).unwrap(), None);
}

#[test]
fn tagging_is_decoded_once_or_refused() {
    let tags = request_tags(&headers(&[("x-amz-tagging", "a=1&b%20c=d+e")])).unwrap().unwrap();
    assert_eq!(tags, [("a".to_owned(), "1".to_owned()), ("b c".to_owned(), "d e".to_owned())]);
    assert_eq!(request_tags(&HeaderMap::new()).unwrap(), None);
    let e = request_tags(&headers(&[("x-amz-tagging", "a=%zz")])).unwrap_err();
    assert_eq!(e.code, "InvalidArgument");
    let e = request_tags(&headers(&[("x-amz-tagging", "a=1&a=2")])).unwrap_err();
    assert_eq!(e.code, "InvalidTag");
}

#[test]
fn copy_source_is_split_as_s3_does() {
    let p = parse_copy_source(b"bucket/public/x%3F/../y?versionId=v%201").unwrap();
    assert_eq!((p.path.as_ref(), p.version.as_deref()), ("bucket/public/x?/../y", Some("v 1")));
    let p = parse_copy_source(b"/bucket/k").unwrap();
    assert_eq!((p.path.as_ref(), p.version), ("bucket/k", None));
    // Only `?versionId=` may follow the path.
    assert!(parse_copy_source(b"bucket/public/x?/../../private/secret.txt").is_err());
    assert!(parse_copy_source(b"bucket/k?partNumber=1").is_err());
    assert_eq!(copy_source_header("b", "a b/c?", Some("v 1")), "/b/a%20b/c%3F?versionId=v%201");
}

#[test]
fn the_payload_claim_is_one_s3_knows() {
    for v in [
        "UNSIGNED-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ] {
        let mut h = HeaderMap::new();
        h.insert("x-amz-content-sha256", v.parse().unwrap());
        check_headers(&h).unwrap_or_else(|e| panic!("{v}: {e:?}"));
    }
    for v in [
        "abc",
        "STREAMING-AWS4-HMAC-SHA256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "unsigned-payload",
    ] {
        let mut h = HeaderMap::new();
        h.insert("x-amz-content-sha256", v.parse().unwrap());
        let e = check_headers(&h).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "InvalidArgument"), "{v}");
        assert!(e.message.starts_with("x-amz-content-sha256 must be UNSIGNED-PAYLOAD"), "{v}");
    }
}
