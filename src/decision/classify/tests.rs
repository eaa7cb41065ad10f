use super::*;

fn catalog() -> Catalog {
    catalog_with(StoreTraits { opaque_keys: false, versions: true })
}

fn catalog_with(traits: StoreTraits) -> Catalog {
    let outpost = OutpostConfig {
        region: "us-west-2".into(),
        account_id: "123456789012".into(),
        outpost_id: "op-01234567890123456".into(),
    };
    let base = outpost.arn_base();
    let bucket = |name: &str| {
        (name.to_owned(), Arc::new(Bucket { name: name.into(), policy: None, arn: format!("{base}/bucket/{name}") }))
    };
    let ap = AccessPoint {
        name: "myaccesspoint".into(),
        bucket: "b1".into(),
        policy: None,
        arn: format!("{base}/accesspoint/myaccesspoint"),
        vpc_id: None,
    };
    Catalog {
        outpost,
        endpoint_hosts: vec!["s3-outposts.us-west-2.amazonaws.com".into(), "localhost".into()],
        buckets: [bucket("b1"), bucket("b2")].into_iter().collect(),
        access_points: [("myaccesspoint".to_owned(), Arc::new(ap))].into_iter().collect(),
        traits,
    }
}

fn ask(method: &str, host: &str, target: &str) -> Result<Asked, S3Error> {
    ask_with(method, host, target, &HeaderMap::new())
}

fn ask_with(method: &str, host: &str, target: &str, headers: &HeaderMap) -> Result<Asked, S3Error> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let q = Query::parse(query).unwrap();
    catalog().classify(&method.parse().unwrap(), host, path, &q, headers)
}

const ARN: &str = "arn:aws:s3-outposts:us-west-2:123456789012:outpost/op-01234567890123456";

#[test]
fn path_style_object_and_bucket() {
    let a = ask("GET", "127.0.0.1:8080", "/b1/dir/a%20b%2Bc").unwrap();
    assert_eq!(a.action, Action::GetObject);
    assert_eq!(a.key.as_deref(), Some("dir/a b+c"));
    assert_eq!(*a.resource, *format!("{ARN}/bucket/b1/object/dir/a b+c"));
    let a = ask("HEAD", "127.0.0.1", "/b1").unwrap();
    assert_eq!((a.action, a.key), (Action::ListBucket, None));
    assert_eq!(*a.resource, *format!("{ARN}/bucket/b1"));
    assert_eq!(ask("GET", "localhost:9", "/b2/").unwrap().action, Action::ListBucket);
}

#[test]
fn virtual_host_style() {
    let a = ask("PUT", "b2.localhost:8080", "/k").unwrap();
    assert_eq!((a.action, a.bucket.name.as_str(), a.key.as_deref()), (Action::PutObject, "b2", Some("k")));
    let a = ask("GET", "B1.S3-Outposts.us-west-2.amazonaws.com", "/").unwrap();
    assert_eq!((a.action, a.bucket.name.as_str()), (Action::ListBucket, "b1"));
}

#[test]
fn outposts_access_point_host() {
    let a = ask("GET", "myaccesspoint-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com", "/obj")
        .unwrap();
    assert_eq!(a.bucket.name, "b1");
    assert_eq!(a.access_point.as_ref().map(|ap| ap.name.as_str()), Some("myaccesspoint"));
    assert_eq!(*a.resource, *format!("{ARN}/accesspoint/myaccesspoint/object/obj"));
    assert_eq!(*a.bucket_resource, *format!("{ARN}/bucket/b1/object/obj"));
    for host in [
        "myaccesspoint-999999999999.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com",
        "myaccesspoint-123456789012.op-99999999999999999.s3-outposts.us-west-2.amazonaws.com",
        "otherpoint-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com",
    ] {
        assert_eq!(ask("GET", host, "/obj").unwrap_err().code, "NoSuchBucket", "{host}");
    }
}

#[test]
fn action_table() {
    let cases = [
        ("GET", "/b1/k", Action::GetObject),
        ("HEAD", "/b1/k", Action::GetObject),
        ("GET", "/b1/k?versionId=3", Action::GetObjectVersion),
        ("GET", "/b1/k?response-content-type=text%2Fplain&x-id=GetObject", Action::GetObject),
        ("PUT", "/b1/k", Action::PutObject),
        ("POST", "/b1/k?uploads", Action::PutObject),
        ("PUT", "/b1/k?partNumber=1&uploadId=u", Action::PutObject),
        ("POST", "/b1/k?uploadId=u", Action::PutObject),
        ("GET", "/b1/k?uploadId=u", Action::ListMultipartUploadParts),
        ("DELETE", "/b1/k?uploadId=u", Action::AbortMultipartUpload),
        ("DELETE", "/b1/k", Action::DeleteObject),
        ("DELETE", "/b1/k?versionId=1", Action::DeleteObjectVersion),
        ("GET", "/b1/k?tagging", Action::GetObjectTagging),
        ("PUT", "/b1/k?tagging", Action::PutObjectTagging),
        ("DELETE", "/b1/k?tagging", Action::DeleteObjectTagging),
        ("GET", "/b1?list-type=2&prefix=a", Action::ListBucket),
        ("GET", "/b1?uploads", Action::ListBucketMultipartUploads),
    ];
    for (m, t, want) in cases {
        assert_eq!(ask(m, "localhost", t).map(|a| a.action), Ok(want), "{m} {t}");
    }
}

#[test]
fn unmapped_operations_are_refused_not_forwarded() {
    for (m, t) in [
        ("GET", "/b1/k?acl"),
        ("PUT", "/b1/k?acl"),
        ("GET", "/b1?policy"),
        ("PUT", "/b1"),
        ("DELETE", "/b1"),
        ("POST", "/b1?delete"),
        ("POST", "/b1/k"),
        ("POST", "/b1/k?restore"),
        ("GET", "/"),
        ("PATCH", "/b1/k"),
    ] {
        let e = ask(m, "localhost", t).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (405, "MethodNotAllowed"), "{m} {t}");
    }
}

#[test]
fn unknown_buckets_and_bad_paths() {
    let e = ask("GET", "localhost", "/nope/k").unwrap_err();
    assert_eq!((e.status.as_u16(), e.code, e.extra("BucketName")), (404, "NoSuchBucket", Some("nope")));
    assert_eq!(ask("GET", "localhost", "/b1/%FF%FE").unwrap_err().code, "InvalidURI");
    assert_eq!(ask("GET", "localhost", "/b1/%zz").unwrap_err().code, "InvalidURI");
    assert_eq!(ask("GET", "localhost", "*").unwrap_err().code, "InvalidURI");
}

#[test]
fn copy_source_resolves_to_a_get_on_the_source() {
    let mut h = HeaderMap::new();
    h.insert("x-amz-copy-source", "/b2/src%20key?versionId=1".parse().unwrap());
    let a = ask_with("PUT", "localhost", "/b1/dst", &h).unwrap();
    assert_eq!(a.forward.copy_source.as_deref(), Some("/b2/src%20key?versionId=1"));
    assert_eq!(a.forward.copy_source_fact.as_deref(), Some("b2/src key"));
    let src = a.copy_source.unwrap();
    assert_eq!((src.action, &*src.resource), (Action::GetObjectVersion, &*format!("{ARN}/bucket/b2/object/src key")));
    h.insert("x-amz-copy-source", "nope/k".parse().unwrap());
    assert_eq!(ask_with("PUT", "localhost", "/b1/dst", &h).unwrap_err().code, "NoSuchBucket");
    h.insert("x-amz-copy-source", "b2".parse().unwrap());
    assert_eq!(ask_with("PUT", "localhost", "/b1/dst", &h).unwrap_err().code, "InvalidArgument");
}

#[test]
fn strips_ports() {
    assert_eq!(strip_port("a.b:80"), "a.b");
    assert_eq!(strip_port("[::1]:80"), "::1");
    assert_eq!(strip_port("a.b"), "a.b");
}

fn unversioned(method: &str, target: &str, headers: &HeaderMap) -> Result<Asked, S3Error> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let q = Query::parse(query).unwrap();
    catalog_with(StoreTraits::default()).classify(&method.parse().unwrap(), "localhost", path, &q, headers)
}

#[test]
fn more_than_one_operation_selector_is_refused() {
    for t in ["/b1/k?tagging&uploadId=u", "/b1/k?uploads&uploadId=u", "/b1?uploads&tagging"] {
        for m in ["GET", "PUT", "POST", "DELETE"] {
            let e = ask(m, "localhost", t).unwrap_err();
            assert!(matches!(e.status.as_u16(), 400 | 405), "{m} {t}: {e}");
        }
    }
    let e = ask("GET", "localhost", "/b1/k?tagging&uploadId=u").unwrap_err();
    assert_eq!((e.status.as_u16(), e.code), (400, "InvalidRequest"));
    assert_eq!(ask("GET", "localhost", "/b1?versionId=1").unwrap_err().code, "InvalidArgument");
    assert_eq!(ask("DELETE", "localhost", "/b1/k?uploadId=u&versionId=1").unwrap_err().code, "InvalidArgument");
    assert_eq!(ask("GET", "localhost", "/b1/k?uploads").unwrap_err().code, "MethodNotAllowed");
}

#[test]
fn a_store_without_versions_takes_only_the_null_version() {
    let h = HeaderMap::new();
    let e = unversioned("DELETE", "/b1/k?versionId=made-up", &h).unwrap_err();
    assert_eq!((e.status.as_u16(), e.extra("ArgumentName")), (400, Some("versionId")));
    let a = unversioned("DELETE", "/b1/k?versionId=null", &h).unwrap();
    assert_eq!((a.action, a.forward.query.as_str()), (Action::DeleteObjectVersion, ""));
    let mut h = HeaderMap::new();
    h.insert("x-amz-copy-source", "b2/k?versionId=v1".parse().unwrap());
    assert_eq!(unversioned("PUT", "/b1/dst", &h).unwrap_err().code, "InvalidArgument");
}

#[test]
fn dot_and_empty_segments_never_reach_the_store() {
    let h = HeaderMap::new();
    for t in [
        "/b1/../b2/k",
        "/b1/public/..%2Fprivate/s",
        "/b1/public/%2e%2e/private/s",
        "/b1/public/./../private/s",
        "/b1/private//s",
        "/b1/private/s/",
        "/b1//s",
    ] {
        assert_eq!(unversioned("GET", t, &h).unwrap_err().code, "InvalidArgument", "{t}");
    }
    let ap = "myaccesspoint-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com";
    assert_eq!(ask("GET", ap, "/../k").unwrap_err().code, "InvalidArgument");
    for source in ["b2/public/x?/../../private/s", "b2/public/../private/s", "/b2/private//s", "b2/k?uploadId=1"] {
        let mut h = HeaderMap::new();
        h.insert("x-amz-copy-source", source.parse().unwrap());
        assert_eq!(unversioned("PUT", "/b1/public/loot", &h).unwrap_err().code, "InvalidArgument", "{source}");
    }
}

#[test]
fn the_forwarded_query_is_the_classified_one() {
    let a = ask("GET", "localhost", "/b1?list-type=2&prefix=a%2Fb&X-Amz-Date=x&unknown=1").unwrap();
    assert_eq!(a.forward.query, "list-type=2&prefix=a%2Fb");
    let e = unversioned("GET", "/b1?prefix=%2Fprivate%2F", &HeaderMap::new()).unwrap_err();
    assert_eq!((e.code, e.extra("ArgumentName")), ("InvalidArgument", Some("prefix")));
}
