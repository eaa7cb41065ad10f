//! The operator conformance table. Each case is named after the AWS documentation example
//! it reproduces (IAM User Guide: "Condition operators", "Policy variables", "Single-valued
//! vs. multivalued context keys"; S3 on Outposts condition keys) or the rule it pins down.

use std::net::IpAddr;

use crate::policy::keys::{AuthFacts, Facts};
use crate::policy::{Policy, PolicyKind, RequestContext};

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

fn policy(version: &str, condition: &str) -> Result<Policy, super::PolicyError> {
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

#[test]
fn operator_table() {
    let table = [
        // --- String operators ---
        case("StringEquals: exact match", r#"{"StringEquals":{"aws:username":"alice"}}"#, same, true),
        case("StringEquals is case-sensitive", r#"{"StringEquals":{"aws:username":"Alice"}}"#, same, false),
        case("StringEquals: several values OR", r#"{"StringEquals":{"aws:username":["bob","alice"]}}"#, same, true),
        case("StringEquals: missing key is false", r#"{"StringEquals":{"aws:username":"alice"}}"#, no_username, false),
        case("StringEquals: * is not a wildcard", r#"{"StringEquals":{"aws:username":"al*"}}"#, same, false),
        case(
            "StringNotEquals: matches none of the values",
            r#"{"StringNotEquals":{"aws:username":["bob","carol"]}}"#,
            same,
            true,
        ),
        case(
            "StringNotEquals: matching any value makes it false",
            r#"{"StringNotEquals":{"aws:username":["bob","alice"]}}"#,
            same,
            false,
        ),
        case(
            "StringNotEquals: missing key is true",
            r#"{"StringNotEquals":{"aws:username":"bob"}}"#,
            no_username,
            true,
        ),
        case("StringEqualsIgnoreCase", r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, same, true),
        case("StringNotEqualsIgnoreCase", r#"{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, same, false),
        case(
            "StringLike: the s3:prefix home-folder example",
            r#"{"StringLike":{"s3-outposts:prefix":["","home/","home/${aws:username}/*"]}}"#,
            listing,
            true,
        ),
        case("StringLike: ? is one character", r#"{"StringLike":{"aws:username":"al?ce"}}"#, same, true),
        case("StringNotLike", r#"{"StringNotLike":{"aws:username":["b*","c*"]}}"#, same, true),
        case("StringNotLike: missing key is true", r#"{"StringNotLike":{"s3-outposts:prefix":"home/*"}}"#, same, true),
        case("StringLike: missing key is false", r#"{"StringLike":{"s3-outposts:prefix":"*"}}"#, same, false),
        case(
            "StringEqualsIfExists: missing key is true",
            r#"{"StringEqualsIfExists":{"s3-outposts:prefix":"x"}}"#,
            same,
            true,
        ),
        case(
            "StringEqualsIfExists: present key is compared",
            r#"{"StringEqualsIfExists":{"s3-outposts:prefix":"x"}}"#,
            listing,
            false,
        ),
        case(
            "StringNotEqualsIfExists: missing key is true",
            r#"{"StringNotEqualsIfExists":{"aws:username":"alice"}}"#,
            no_username,
            true,
        ),
        // --- Numeric ---
        case(
            "NumericLessThanEquals: the s3:max-keys example",
            r#"{"NumericLessThanEquals":{"s3-outposts:max-keys":"10"}}"#,
            listing,
            true,
        ),
        case("NumericLessThan at the boundary", r#"{"NumericLessThan":{"s3-outposts:max-keys":"10"}}"#, listing, false),
        case(
            "NumericGreaterThan: signatureAge under the limit",
            r#"{"NumericGreaterThan":{"s3-outposts:signatureAge":600000}}"#,
            same,
            false,
        ),
        case(
            "NumericGreaterThan: signatureAge over the limit",
            r#"{"NumericGreaterThan":{"s3-outposts:signatureAge":4999}}"#,
            same,
            true,
        ),
        case(
            "NumericGreaterThanEquals at the boundary",
            r#"{"NumericGreaterThanEquals":{"s3-outposts:signatureAge":"5000"}}"#,
            same,
            true,
        ),
        case(
            "NumericEquals: several values OR",
            r#"{"NumericEquals":{"s3-outposts:signatureAge":[1,5000]}}"#,
            same,
            true,
        ),
        case(
            "NumericNotEquals: none of the values",
            r#"{"NumericNotEquals":{"s3-outposts:signatureAge":[1,2]}}"#,
            same,
            true,
        ),
        case("NumericNotEquals: missing key is true", r#"{"NumericNotEquals":{"s3-outposts:max-keys":1}}"#, same, true),
        case("NumericEquals: decimals", r#"{"NumericEquals":{"s3-outposts:max-keys":"10.0"}}"#, listing, true),
        case(
            "NumericLessThan: a non-numeric request value matches nothing",
            r#"{"NumericLessThan":{"aws:username":"10"}}"#,
            same,
            false,
        ),
        // --- Date ---
        case(
            "DateGreaterThan and DateLessThan: the time-window example",
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}"#,
            same,
            true,
        ),
        case(
            "DateLessThan: after the window",
            r#"{"DateLessThan":{"aws:CurrentTime":"2020-04-30T23:59:59Z"}}"#,
            same,
            false,
        ),
        case("DateGreaterThan: epoch seconds", r#"{"DateGreaterThan":{"aws:CurrentTime":"1585699200"}}"#, same, true),
        case(
            "DateEquals: aws:EpochTime against ISO 8601",
            r#"{"DateEquals":{"aws:EpochTime":"2020-05-01T12:00:00Z"}}"#,
            same,
            true,
        ),
        case("DateNotEquals", r#"{"DateNotEquals":{"aws:CurrentTime":"2020-05-01T12:00:00Z"}}"#, same, false),
        case(
            "DateLessThanEquals with an offset",
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"2020-05-01T14:00:00+02:00"}}"#,
            same,
            true,
        ),
        case(
            "DateGreaterThanEquals: missing key is false",
            r#"{"DateGreaterThanEquals":{"aws:TokenIssueTime":"2020-01-01"}}"#,
            same,
            false,
        ),
        // --- Bool ---
        case("Bool: the aws:SecureTransport false example", r#"{"Bool":{"aws:SecureTransport":"false"}}"#, same, true),
        case("Bool: values ignore case", r#"{"Bool":{"aws:SecureTransport":"False"}}"#, same, true),
        case("Bool: JSON booleans", r#"{"Bool":{"aws:SecureTransport":true}}"#, same, false),
        case("BoolIfExists: aws:ViaAWSService false", r#"{"BoolIfExists":{"aws:ViaAWSService":"false"}}"#, same, true),
        case("Bool: missing key is false", r#"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#, same, false),
        case(
            "BoolIfExists: missing key is true",
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
            same,
            true,
        ),
        // --- Binary ---
        case("BinaryEquals: base64 of the value", r#"{"BinaryEquals":{"aws:username":"YWxpY2U="}}"#, same, true),
        case("BinaryEquals: other bytes", r#"{"BinaryEquals":{"aws:username":"Ym9i"}}"#, same, false),
        // --- IP addresses ---
        case("IpAddress: the 203.0.113.0/24 example", r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, same, true),
        case("IpAddress: a bare address is /32", r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#, same, true),
        case(
            "IpAddress: a bare address is not its neighbour",
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.8"}}"#,
            same,
            false,
        ),
        case(
            "NotIpAddress: the two-range example",
            r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#,
            same,
            false,
        ),
        case(
            "NotIpAddress: outside every range",
            r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","198.51.100.0/24"]}}"#,
            same,
            true,
        ),
        case(
            "NotIpAddress: missing key is true",
            r#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            no_source_ip,
            true,
        ),
        case(
            "NotIpAddressIfExists: missing key is true",
            r#"{"NotIpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            no_source_ip,
            true,
        ),
        case("IpAddress: missing key is false", r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, no_source_ip, false),
        case(
            "IpAddress: IPv6 range",
            r#"{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}"#,
            |f| f.source_ip = Some("2001:db8:1234:5678::9".parse().unwrap()),
            true,
        ),
        case(
            "IpAddress: a bare IPv6 address is /128",
            r#"{"IpAddress":{"aws:SourceIp":"2001:db8::1"}}"#,
            |f| f.source_ip = Some("2001:db8::2".parse().unwrap()),
            false,
        ),
        case(
            "IpAddress: IPv4 arriving as v4-mapped IPv6",
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            |f| f.source_ip = Some("::ffff:203.0.113.7".parse::<IpAddr>().unwrap()),
            true,
        ),
        // --- ARNs ---
        case(
            "ArnLike: the principal ARN with a wildcard account",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}"#,
            same,
            true,
        ),
        case(
            "ArnEquals: wildcards work as in ArnLike",
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::1111222233?3:user/alice"}}"#,
            same,
            true,
        ),
        case(
            "ArnLike: a wildcard stays within its part",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/alice"}}"#,
            |f| f.principal_arn = "arn:aws:iam::1:2:user/alice",
            false,
        ),
        case("ArnNotLike", r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#, same, true),
        case(
            "ArnNotEquals: missing key is true",
            r#"{"ArnNotEquals":{"s3-outposts:DataAccessPointArn":"arn:aws:s3-outposts:*:*:*"}}"#,
            same,
            true,
        ),
        case(
            "ArnLike with a variable",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:user/*"}}"#,
            same,
            true,
        ),
        // --- Null ---
        case(
            "Null true: the long-term-credentials aws:TokenIssueTime example",
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            same,
            true,
        ),
        case(
            "Null false: the key is present",
            r#"{"Null":{"s3-outposts:x-amz-server-side-encryption":"false"}}"#,
            |f| f.headers[2] = Some("AES256"),
            true,
        ),
        case(
            "Null false: the key is absent",
            r#"{"Null":{"s3-outposts:x-amz-server-side-encryption":"false"}}"#,
            same,
            false,
        ),
        // --- Sets ---
        case(
            "ForAllValues: every request tag key is allowed",
            r#"{"ForAllValues:StringEquals":{"s3-outposts:RequestObjectTagKeys":["environment","cost-center"]}}"#,
            tagged_environment,
            true,
        ),
        case(
            "ForAllValues: one tag key outside the list",
            r#"{"ForAllValues:StringEquals":{"s3-outposts:RequestObjectTagKeys":["environment","cost-center"]}}"#,
            tagged_environment_and_owner,
            false,
        ),
        case(
            "ForAllValues: a missing key is true",
            r#"{"ForAllValues:StringEquals":{"s3-outposts:RequestObjectTagKeys":["environment"]}}"#,
            same,
            true,
        ),
        case(
            "ForAllValues: an empty set is true",
            r#"{"ForAllValues:StringEquals":{"s3-outposts:RequestObjectTagKeys":["environment"]}}"#,
            tagged_nothing,
            true,
        ),
        case(
            "ForAnyValue: one tag key in the list",
            r#"{"ForAnyValue:StringEquals":{"s3-outposts:RequestObjectTagKeys":["owner","cost-center"]}}"#,
            tagged_environment_and_owner,
            true,
        ),
        case(
            "ForAnyValue: none in the list",
            r#"{"ForAnyValue:StringEquals":{"s3-outposts:RequestObjectTagKeys":["cost-center"]}}"#,
            tagged_environment_and_owner,
            false,
        ),
        case(
            "ForAnyValue: a missing key is false",
            r#"{"ForAnyValue:StringEquals":{"s3-outposts:RequestObjectTagKeys":["environment"]}}"#,
            same,
            false,
        ),
        case(
            "ForAnyValue: an empty set is false",
            r#"{"ForAnyValue:StringEquals":{"s3-outposts:RequestObjectTagKeys":["environment"]}}"#,
            tagged_nothing,
            false,
        ),
        case(
            "ForAllValues:StringNotEquals: no request value is listed",
            r#"{"ForAllValues:StringNotEquals":{"s3-outposts:RequestObjectTagKeys":["secret"]}}"#,
            tagged_environment_and_owner,
            true,
        ),
        case(
            "ForAllValues:StringNotEquals: one request value is listed",
            r#"{"ForAllValues:StringNotEquals":{"s3-outposts:RequestObjectTagKeys":["owner"]}}"#,
            tagged_environment_and_owner,
            false,
        ),
        case(
            "ForAnyValue:StringNotEquals: some request value is not listed",
            r#"{"ForAnyValue:StringNotEquals":{"s3-outposts:RequestObjectTagKeys":["owner"]}}"#,
            tagged_environment_and_owner,
            true,
        ),
        case(
            "ForAnyValue:StringNotEquals: every request value is listed",
            r#"{"ForAnyValue:StringNotEquals":{"s3-outposts:RequestObjectTagKeys":["owner","environment"]}}"#,
            tagged_environment_and_owner,
            false,
        ),
        case(
            "ForAllValues:StringLikeIfExists: missing is true",
            r#"{"ForAllValues:StringLikeIfExists":{"s3-outposts:RequestObjectTagKeys":"e*"}}"#,
            same,
            true,
        ),
        case(
            "RequestObjectTag/<key>",
            r#"{"StringEquals":{"s3-outposts:RequestObjectTag/environment":"prod"}}"#,
            tagged_environment,
            true,
        ),
        case(
            "RequestObjectTag/<key>: tag keys keep their case",
            r#"{"StringEquals":{"s3-outposts:RequestObjectTag/Environment":"prod"}}"#,
            tagged_environment,
            false,
        ),
        // --- Combining ---
        case(
            "Operators AND: both hold",
            r#"{"NumericGreaterThan":{"s3-outposts:signatureAge":1000},"StringEquals":{"s3-outposts:authType":"REST-QUERY-STRING"}}"#,
            same,
            true,
        ),
        case(
            "Operators AND: one fails",
            r#"{"NumericGreaterThan":{"s3-outposts:signatureAge":1000},"StringEquals":{"s3-outposts:authType":"REST-HEADER"}}"#,
            same,
            false,
        ),
        case(
            "Keys AND within one operator",
            r#"{"StringEquals":{"aws:username":"alice","aws:PrincipalType":"AssumedRole"}}"#,
            same,
            false,
        ),
        // --- Keys and variables ---
        case("Key names are case-insensitive", r#"{"IpAddress":{"AWS:SOURCEIP":"203.0.113.0/24"}}"#, same, true),
        case("Unknown keys are absent", r#"{"StringEquals":{"aws:PrincipalTag/team":"x"}}"#, same, false),
        case(
            "Variable in a condition value",
            r#"{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}"#,
            same,
            true,
        ),
        case(
            "Variable with no value matches nothing",
            r#"{"StringLike":{"aws:username":"*${aws:SourceVpc}"}}"#,
            same,
            false,
        ),
        case("Variable default", r#"{"StringEquals":{"aws:username":"${aws:SourceVpc, 'alice'}"}}"#, same, true),
        case(
            "Escape ${*} is a literal star",
            r#"{"StringLike":{"aws:username":"a${*}"}}"#,
            |f| f.username = Some("a*"),
            true,
        ),
        case("Escape ${*} does not match other text", r#"{"StringLike":{"aws:username":"a${*}"}}"#, same, false),
        case(
            "Signature keys: version and payload",
            r#"{"StringEquals":{"s3-outposts:signatureversion":"AWS4-HMAC-SHA256","s3-outposts:x-amz-content-sha256":"UNSIGNED-PAYLOAD"}}"#,
            same,
            true,
        ),
        case("aws:userid", r#"{"StringLike":{"aws:userid":"AIDA*"}}"#, same, true),
    ];
    let mut failures = Vec::new();
    for c in &table {
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
