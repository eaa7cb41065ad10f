use super::*;

const DOC_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

fn parse(q: &str) -> Result<SigAuth<'static>, S3Error> {
    SigAuth::from_query(&Query::parse(q).unwrap(), "us-east-1").map(SigAuth::into_owned)
}

fn with(name: &str, value: &str) -> String {
    DOC_QUERY
        .split('&')
        .map(|p| if p.starts_with(&format!("{name}=")) { format!("{name}={value}") } else { p.to_owned() })
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn example_get_object_parses() {
    let a = parse(DOC_QUERY).unwrap();
    assert_eq!(a.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(a.scope(), "20130524/us-east-1/s3/aws4_request");
    assert_eq!(a.key_id(), "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3");
    assert_eq!((a.date(), a.region(), a.service()), ("20130524", "us-east-1", "s3"));
    assert_eq!(a.expires_secs, 86_400);
    assert_eq!(a.expires_at().iso8601().to_string(), "2013-05-25T00:00:00Z");
    assert!(!format!("{a:?}").contains("aeeed9bb"));
}

#[test]
fn missing_and_duplicated_parameters() {
    let missing = DOC_QUERY.replace("&X-Amz-Expires=86400", "");
    assert!(parse(&missing).unwrap_err().message.starts_with("Query-string authentication version 4 requires"));
    let dup = format!("{DOC_QUERY}&X-Amz-Date=20130524T000000Z");
    assert_eq!(parse(&dup).unwrap_err().code, "AuthorizationQueryParametersError");
}

#[test]
fn expires_range_and_overflow() {
    for (v, msg) in [
        ("abc", "X-Amz-Expires should be a number"),
        ("", "X-Amz-Expires should be a number"),
        ("+5", "X-Amz-Expires should be a number"),
        ("1.5", "X-Amz-Expires should be a number"),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("0", "X-Amz-Expires must be greater than 0"),
        ("604801", "X-Amz-Expires must be less than a week"),
        ("99999999999999999999999999", "X-Amz-Expires must be less than a week"),
    ] {
        let e = parse(&with("X-Amz-Expires", v)).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.starts_with(msg), "{v}: {}", e.message);
    }
    assert_eq!(parse(&with("X-Amz-Expires", "604800")).unwrap().expires_secs, 604_800);
    assert_eq!(parse(&with("X-Amz-Expires", "1")).unwrap().expires_secs, 1);
}

#[test]
fn credential_scope_checks() {
    let cases = [
        ("AKID%2F20130524%2Fus-east-1%2Fs3", "the Credential is mal-formed"),
        ("AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request%2Fx", "the Credential is mal-formed"),
        ("%2F20130524%2Fus-east-1%2Fs3%2Faws4_request", "the Credential is mal-formed"),
        ("AKID%2F2013052%2Fus-east-1%2Fs3%2Faws4_request", "incorrect date format"),
        ("AKID%2F20130525%2Fus-east-1%2Fs3%2Faws4_request", "Invalid credential date"),
        ("AKID%2F20130524%2Fus-west-2%2Fs3%2Faws4_request", "the region 'us-west-2' is wrong"),
        ("AKID%2F20130524%2Fus-east-1%2Fec2%2Faws4_request", "incorrect service \"ec2\""),
        ("AKID%2F20130524%2Fus-east-1%2Fs3%2Faws5_request", "incorrect terminal"),
    ];
    for (cred, msg) in cases {
        let e = parse(&with("X-Amz-Credential", cred)).unwrap_err();
        assert_eq!(e.code, "AuthorizationQueryParametersError");
        assert!(e.message.contains(msg), "{cred}: {}", e.message);
    }
    let e = parse(&with("X-Amz-Credential", "AKID%2F20130524%2Fus-west-2%2Fs3%2Faws4_request")).unwrap_err();
    assert_eq!(e.extra("Region"), Some("us-east-1"));
    let ok = parse(&with("X-Amz-Credential", "AKID%2F20130524%2Fus-east-1%2Fs3-outposts%2Faws4_request"));
    assert_eq!(ok.unwrap().service(), "s3-outposts");
}

#[test]
fn absurd_dates_and_algorithms() {
    for d in ["99999999T999999Z", "20130524", "2013-05-24T00:00:00Z", "%FF"] {
        assert_eq!(parse(&with("X-Amz-Date", d)).unwrap_err().status, 400, "{d}");
    }
    assert!(parse(&with("X-Amz-Algorithm", "AWS4-HMAC-SHA1")).unwrap_err().message.contains("only supports"));
}

#[test]
fn every_auth_parameter_is_recognised_by_its_exact_name() {
    for (i, name) in AUTH_PARAMS.iter().enumerate() {
        assert_eq!(auth_param_index(name.as_bytes()), Some(i), "{name}");
        assert_eq!(auth_param_index(name.to_ascii_lowercase().as_bytes()), None, "{name} in lower case");
    }
    assert_eq!(auth_param_index(b"X-Amz-Dates"), None);
    let dup = format!("{DOC_QUERY}&X-Amz-Security-Token=a&X-Amz-Security-Token=b");
    assert_eq!(parse(&dup).unwrap_err().message, "X-Amz-Security-Token must appear only once in the query string.");
    let twice = format!("{DOC_QUERY}&X-Amz-Signature=00");
    assert_eq!(parse(&twice).unwrap_err().message, "X-Amz-Signature must appear only once in the query string.");
    // The first of the (one) values is what is read, even after an unrelated lower-case twin.
    let twin = format!("x-amz-date=19990101T000000Z&{DOC_QUERY}");
    assert_eq!(parse(&twin).unwrap().amz_date, "20130524T000000Z");
}

#[test]
fn the_credential_split_agrees_with_splitting_on_every_slash() {
    // Every string of up to five parts drawn from these (and six, the last one empty),
    // joined with `/`: empty parts, non-ASCII text, right and wrong counts for both forms.
    const PARTS: [&str; 7] = ["", "AKID", "20130524", "us-east-1", "s3", "aws4_request", "é☃"];
    let mut cases = Vec::new();
    for len in 0..=6u32 {
        for n in 0..PARTS.len().pow(len.min(5)) {
            let mut rest = n;
            let picked: Vec<&str> = (0..len)
                .map(|_| {
                    let part = PARTS[rest % PARTS.len()];
                    rest /= PARTS.len();
                    part
                })
                .collect();
            cases.push(picked.join("/"));
        }
    }
    for case in &cases {
        let pieces: Vec<&str> = case.split('/').collect();
        for v4a in [false, true] {
            let expected: Option<[&str; 5]> = match (v4a, pieces.as_slice()) {
                (false, &[key, date, region, service, end]) => Some([key, date, region, service, end]),
                (true, &[key, date, service, end]) => Some([key, date, "", service, end]),
                _ => None,
            };
            assert_eq!(split_credential(case, v4a), expected, "{case:?} (v4a: {v4a})");
        }
    }
}
