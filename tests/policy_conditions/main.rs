//! The IAM condition operator conformance table, split by operator family (`scalar`,
//! `sets`). Each case is named after the AWS documentation example it reproduces (IAM User
//! Guide: "Condition operators", "Policy variables", "Single-valued vs. multivalued context
//! keys"; S3 on Outposts condition keys) or the rule it pins down.

use std::net::IpAddr;

mod scalar;
mod sets;

use outpost_gate::policy::keys::{AuthFacts, Facts};
use outpost_gate::policy::{Policy, PolicyKind, RequestContext};

const V2012: &str = "2012-10-17";
const V2008: &str = "2008-10-17";

#[allow(clippy::unnecessary_wraps)] // reads as the `Option` the field takes
fn tags(pairs: &[(&str, &str)]) -> Option<&'static [(String, String)]> {
    let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Some(Box::leak(owned.into_boxed_slice()))
}

/// A presigned GET by alice from 203.0.113.7 at 2020-05-01T12:00:00Z, signed 5 s earlier.
fn base() -> Facts<'static> {
    Facts {
        principal_arn: "arn:aws:iam::111122223333:user/alice",
        principal_account: "111122223333",
        principal_type: "User",
        username: Some("alice"),
        userid: Some("AIDAEXAMPLEALICE00001"),
        now_ms: 1_588_334_400_000,
        source_ip: Some("203.0.113.7".parse().unwrap()),
        auth: Some(AuthFacts {
            auth_type: "REST-QUERY-STRING",
            signature_version: "AWS4-HMAC-SHA256",
            signature_age_ms: Some(5_000),
            content_sha256: "UNSIGNED-PAYLOAD",
        }),
        ..Facts::default()
    }
}

fn policy(version: &str, condition: &str) -> Result<Policy, outpost_gate::policy::PolicyError> {
    let json = format!(
        r#"{{"Version":"{version}","Statement":{{"Sid":"t","Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}}}"#
    );
    Policy::parse(&json, PolicyKind::Identity, "case.json")
}

fn holds(version: &str, condition: &str, facts: &Facts<'_>) -> bool {
    let p = policy(version, condition).unwrap_or_else(|e| panic!("{condition}: {e}"));
    let ctx = RequestContext { action_lower: "s3-outposts:getobject", resource: "arn:x:y:z::r", facts };
    p.statements[0].applies(&ctx).is_ok()
}

struct Case {
    name: &'static str,
    condition: &'static str,
    setup: fn(&mut Facts<'static>),
    want: bool,
}

const fn case(name: &'static str, condition: &'static str, setup: fn(&mut Facts<'static>), want: bool) -> Case {
    Case { name, condition, setup, want }
}

fn same(_: &mut Facts<'static>) {}

fn no_username(f: &mut Facts<'static>) {
    f.username = None;
}

fn no_source_ip(f: &mut Facts<'static>) {
    f.source_ip = None;
}

fn listing(f: &mut Facts<'static>) {
    f.prefix = Some("home/alice/");
    f.max_keys = Some("10");
}

fn tagged_environment(f: &mut Facts<'static>) {
    f.tags = tags(&[("environment", "prod")]);
}

fn tagged_environment_and_owner(f: &mut Facts<'static>) {
    f.tags = tags(&[("environment", "prod"), ("owner", "alice")]);
}

fn tagged_nothing(f: &mut Facts<'static>) {
    f.tags = tags(&[]);
}

/// Runs every case, reporting all failures at once.
fn check(table: &[Case]) {
    let mut failures = Vec::new();
    for c in table {
        let mut facts = base();
        (c.setup)(&mut facts);
        let got = holds(V2012, c.condition, &facts);
        if got != c.want {
            failures.push(format!("{}: got {got}, want {}", c.name, c.want));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), table.len(), failures.join("\n"));
}

#[test]
fn variables_only_in_the_2012_version() {
    let f = base();
    let cond = r#"{"StringEquals":{"aws:username":"${aws:username}"}}"#;
    assert!(holds(V2012, cond, &f));
    assert!(!holds(V2008, cond, &f));
    let literal = r#"{"StringEquals":{"aws:username":"${aws:username}"}}"#;
    let mut f2 = base();
    f2.username = Some("${aws:username}");
    assert!(holds(V2008, literal, &f2));
}

#[test]
fn variables_in_resources() {
    let json = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3-outposts:*:${aws:PrincipalAccount}:outpost/*/bucket/b/object/home/${aws:username}/*"}}"#;
    let p = Policy::parse(json, PolicyKind::Identity, "r.json").unwrap();
    let f = base();
    let at = |resource| RequestContext { action_lower: "s3-outposts:getobject", resource, facts: &f };
    let st = &p.statements[0];
    assert!(
        st.applies(&at("arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-1/bucket/b/object/home/alice/x")).is_ok()
    );
    assert!(
        st.applies(&at("arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-1/bucket/b/object/home/bob/x")).is_err()
    );
    assert!(
        st.applies(&at("arn:aws:s3-outposts:us-east-1:444455556666:outpost/op-1/bucket/b/object/home/alice/x"))
            .is_err()
    );
    // A variable with no value makes the resource match nothing.
    let mut nobody = base();
    nobody.username = None;
    let ctx = RequestContext {
        action_lower: "s3-outposts:getobject",
        resource: "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-1/bucket/b/object/home//x",
        facts: &nobody,
    };
    assert!(st.applies(&ctx).is_err());
}

#[test]
fn load_errors_name_the_operator_and_statement() {
    let e = policy(V2012, r#"{"NumericGreaterThen":{"s3-outposts:signatureAge":1}}"#).unwrap_err();
    assert_eq!(e.path, "Statement[0].Condition.NumericGreaterThen");
    assert!(e.message.contains("unknown condition operator \"NumericGreaterThen\""), "{e}");
    for (bad, why) in [
        (r#"{"NullIfExists":{"aws:username":"true"}}"#, "Null takes neither"),
        (r#"{"NumericEquals":{"s3-outposts:max-keys":"ten"}}"#, "is not a number"),
        (r#"{"DateEquals":{"aws:CurrentTime":"yesterday"}}"#, "is not a date"),
        (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#, "not an IP address"),
        (r#"{"Bool":{"aws:SecureTransport":"yes"}}"#, "not true or false"),
        (r#"{"BinaryEquals":{"aws:username":"***"}}"#, "not base64"),
        (r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam"}}"#, "not an ARN"),
        (r#"{"StringEquals":{"aws:username":[]}}"#, "at least one value"),
        (r#"{"StringEquals":{"aws:username":{"a":1}}}"#, "strings, numbers or booleans"),
        (r#"{"StringEquals":"alice"}"#, "object of condition keys"),
        (r#"{"forallvalues:StringEquals":{"aws:username":"a"}}"#, "unknown condition operator"),
    ] {
        let e = policy(V2012, bad).unwrap_err();
        assert!(e.to_string().contains(why), "{bad}: {e}");
    }
}

#[test]
fn unknown_keys_load_with_a_warning() {
    let p = policy(V2012, r#"{"StringEquals":{"s3:signatureAge":"1"}}"#).unwrap();
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].contains("s3:signatureAge"), "{:?}", p.warnings);
    assert!(policy(V2012, r#"{"StringEquals":{"aws:SourceIp":"1"}}"#).unwrap().warnings.is_empty());
}

#[test]
fn describe_shows_the_values_compared() {
    let p = policy(V2012, r#"{"NumericGreaterThan":{"s3-outposts:signatureAge":600000}}"#).unwrap();
    let mut f = base();
    f.auth = f.auth.map(|a| AuthFacts { signature_age_ms: Some(660_123), ..a });
    assert_eq!(p.statements[0].conditions[0].describe(&f), "s3-outposts:signatureAge 660123 NumericGreaterThan 600000");
    let p = policy(V2012, r#"{"NotIpAddressIfExists":{"aws:SourceIp":["192.0.2.0/24","10.0.0.0/8"]}}"#).unwrap();
    f.source_ip = None;
    assert_eq!(
        p.statements[0].conditions[0].describe(&f),
        "aws:SourceIp (absent) NotIpAddressIfExists [192.0.2.0/24, 10.0.0.0/8]"
    );
}
