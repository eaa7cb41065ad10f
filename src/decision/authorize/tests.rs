use std::sync::Arc;

use super::*;
use crate::policy::{AuthFacts, Facts, Policy, PolicyKind};

const OWNER: &str = "111122223333";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const MALLORY: &str = "arn:aws:iam::444455556666:user/mallory";
const OBJ: &str = "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-1/bucket/b/object/k";
const AP_OBJ: &str = "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-1/accesspoint/ap/object/k";

fn identity(json: &str) -> Arc<Policy> {
    Arc::new(Policy::parse(json, PolicyKind::Identity, "id.json").unwrap())
}

fn resource(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Resource, "res.json").unwrap()
}

fn allow_get(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"s3-outposts:GetObject","Resource":"*"}}}}"#
    )
}

const ID_ALLOW_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3-outposts:Get*","Resource":"arn:aws:s3-outposts:*:*:outpost/*/bucket/b/object/*"}]}"#;

/// A request through the access point, with this access point policy.
#[allow(clippy::unnecessary_wraps)] // reads as the `Option` the field takes
fn via(policy: Option<&Policy>) -> Option<ViaAccessPoint<'_>> {
    Some(ViaAccessPoint { policy })
}

fn decide<'a>(
    arn: &'a str,
    ids: &'a [Arc<Policy>],
    bucket: Option<&'a Policy>,
    ap: Option<ViaAccessPoint<'a>>,
) -> Decision<'a> {
    decide_from(arn, "203.0.113.7", ids, bucket, ap)
}

/// The same, from this source address, with a presigned URL signed 11 minutes ago.
fn decide_from<'a>(
    arn: &'a str,
    source_ip: &str,
    ids: &'a [Arc<Policy>],
    bucket: Option<&'a Policy>,
    ap: Option<ViaAccessPoint<'a>>,
) -> Decision<'a> {
    let account = arn.split(':').nth(4).unwrap();
    // Leaked: a test's decision borrows its facts for the rest of the test.
    let facts: &'a Facts<'a> = Box::leak(Box::new(Facts {
        principal_arn: arn,
        principal_account: account,
        source_ip: Some(source_ip.parse().unwrap()),
        auth: Some(AuthFacts {
            auth_type: "REST-QUERY-STRING",
            signature_version: "AWS4-HMAC-SHA256",
            signature_age_ms: Some(660_123),
            content_sha256: "UNSIGNED-PAYLOAD",
        }),
        ..Facts::default()
    }));
    let subject = Subject { facts, identity_policies: ids };
    let target = Target {
        owner_account: OWNER,
        action_lower: "s3-outposts:getobject",
        resource: if ap.is_some() { AP_OBJ } else { OBJ },
        bucket_resource: OBJ,
        bucket_policy: bucket,
        access_point: ap,
    };
    authorize(&subject, &target)
}

#[test]
fn same_account_identity_policy_alone_allows() {
    assert!(decide(ALICE, &[identity(ID_ALLOW_GET)], None, None).allowed);
}

#[test]
fn nothing_allows_is_an_implicit_deny() {
    let d = decide(ALICE, &[], None, None);
    assert!(!d.allowed);
    assert!(d.reason.to_string().contains("implicit deny"));
}

#[test]
fn same_account_bucket_policy_naming_the_user_allows() {
    let b = resource(&allow_get(&format!(r#"{{"AWS":"{ALICE}"}}"#)));
    assert!(decide(ALICE, &[], Some(&b), None).allowed);
}

#[test]
fn same_account_root_principal_only_delegates() {
    let b = resource(&allow_get(&format!(r#"{{"AWS":"arn:aws:iam::{OWNER}:root"}}"#)));
    assert!(!decide(ALICE, &[], Some(&b), None).allowed);
    assert!(decide(ALICE, &[identity(ID_ALLOW_GET)], Some(&b), None).allowed);
}

#[test]
fn cross_account_needs_both_sides() {
    let b = resource(&allow_get(r#"{"AWS":"444455556666"}"#));
    assert!(!decide(MALLORY, &[identity(ID_ALLOW_GET)], None, None).allowed, "identity alone");
    assert!(!decide(MALLORY, &[], Some(&b), None).allowed, "bucket alone");
    assert!(decide(MALLORY, &[identity(ID_ALLOW_GET)], Some(&b), None).allowed, "both");
}

#[test]
fn explicit_deny_beats_any_allow() {
    let b = resource(
        r#"{"Statement":[{"Sid":"NoGets","Effect":"Deny","Principal":"*","Action":"s3-outposts:*","Resource":"*"}]}"#,
    );
    let ids = [identity(ID_ALLOW_GET)];
    let d = decide(ALICE, &ids, Some(&b), None);
    assert!(!d.allowed);
    assert!(d.reason.to_string().contains("\"NoGets\""), "{}", d.reason);
}

#[test]
fn not_principal_deny_spares_the_listed() {
    let b = resource(&format!(
        r#"{{"Statement":[{{"Effect":"Deny","NotPrincipal":{{"AWS":"{ALICE}"}},"Action":"*","Resource":"*"}}]}}"#
    ));
    assert!(decide(ALICE, &[identity(ID_ALLOW_GET)], Some(&b), None).allowed);
    let ids = [identity(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)];
    let b2 = resource(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":"{ALICE}"}},"Action":"*","Resource":"*"}}]}}"#
    ));
    assert!(!decide(MALLORY, &ids, Some(&b2), None).allowed);
}

#[test]
fn not_action_and_not_resource() {
    let ids = [identity(r#"{"Statement":{"Effect":"Allow","NotAction":"s3-outposts:DeleteObject","Resource":"*"}}"#)];
    assert!(decide(ALICE, &ids, None, None).allowed);
    let ids = [identity(r#"{"Statement":{"Effect":"Allow","NotAction":"s3-outposts:get*","Resource":"*"}}"#)];
    assert!(!decide(ALICE, &ids, None, None).allowed, "actions match case-insensitively");
    let ids = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3-outposts:*:*:outpost/*/bucket/b/object/*"}}"#,
    )];
    assert!(!decide(ALICE, &ids, None, None).allowed);
}

#[test]
fn resource_wildcards_are_case_sensitive_and_per_part() {
    let ids = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3-outposts:*:*:outpost/*/bucket/B/object/*"}}"#,
    )];
    assert!(!decide(ALICE, &ids, None, None).allowed);
    let ids = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3-outposts:us-east-?:111122223333:outpost/op-1/bucket/b/object/?"}}"#,
    )];
    assert!(decide(ALICE, &ids, None, None).allowed);
    let ids = [identity(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3-outposts:*:outpost/op-1/bucket/b/object/k:x"}}"#,
    )];
    assert!(!decide(ALICE, &ids, None, None).allowed, "a * in one part never spans a colon");
    assert!(
        Policy::parse(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:x"}}"#,
            PolicyKind::Identity,
            "p"
        )
        .is_err()
    );
}

#[test]
fn access_point_and_bucket_policies_both_count() {
    let ap_deny = resource(r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}"#);
    let bucket_allow = resource(&allow_get(r#""*""#));
    assert!(!decide(ALICE, &[identity(ID_ALLOW_GET)], Some(&bucket_allow), via(Some(&ap_deny))).allowed);

    let ap_allow = resource(&allow_get(&format!(r#"{{"AWS":"{MALLORY}"}}"#)));
    let cross_ids = [identity(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)];
    assert!(!decide(MALLORY, &cross_ids, None, via(Some(&ap_allow))).allowed, "bucket side missing");
    assert!(!decide(MALLORY, &cross_ids, Some(&bucket_allow), via(None)).allowed, "access point side missing");
    assert!(decide(MALLORY, &cross_ids, Some(&bucket_allow), via(Some(&ap_allow))).allowed);
    assert!(decide(ALICE, &[], Some(&bucket_allow), via(Some(&resource(&allow_get(r#""*""#))))).allowed);
    assert!(!decide(ALICE, &[], Some(&bucket_allow), via(None)).allowed);
}

#[test]
fn load_errors_name_the_statement_and_element() {
    let cases = [
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BoolIf":{"aws:SecureTransport":"true"}}}}"#,
            "Statement[0].Condition.BoolIf",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Permit","Action":"*","Resource":"*"}]}"#,
            "Statement[1].Effect",
        ),
        (r#"{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}"#, "Statement[0].Action"),
        (r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket/*"}}"#, "Statement[0].Resource"),
        (r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#, "Statement[0].Resource"),
        (r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#, "Statement[0].Principal"),
        (r#"{"Version":"2012-10-18","Statement":[]}"#, "Version"),
        (r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Sids":"x"}}"#, "Statement[0].Sids"),
        ("[1]", "(document)"),
    ];
    for (json, path) in cases {
        let e = Policy::parse(json, PolicyKind::Identity, "p.json").unwrap_err();
        assert_eq!(e.path, path, "{json}: {e}");
    }
    let e = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        PolicyKind::Resource,
        "b.json",
    )
    .unwrap_err();
    assert_eq!(e.path, "Statement[0].Principal");
    let e = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"*","Resource":"*"}}"#,
        PolicyKind::Resource,
        "b.json",
    )
    .unwrap_err();
    assert!(e.message.contains("wildcards"), "{e}");
}

const FROM_VPC: &str = r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#;

fn allow_get_if(principal: &str, condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"s3-outposts:GetObject","Resource":"*","Condition":{condition}}}}}"#
    )
}

#[test]
fn cross_account_bucket_side_condition_decides() {
    let b = resource(&allow_get_if(r#"{"AWS":"444455556666"}"#, FROM_VPC));
    let id = [identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3-outposts:GetObject","Resource":"*"}}"#,
    )];
    assert!(decide_from(MALLORY, "10.1.2.3", &id, Some(&b), None).allowed);
    let d = decide_from(MALLORY, "203.0.113.7", &id, Some(&b), None);
    assert!(!d.allowed);
    assert!(d.reason.to_string().contains("bucket or access point policy does not allow"), "{}", d.reason);
}

#[test]
fn cross_account_identity_side_condition_decides() {
    let b = resource(&allow_get(r#"{"AWS":"444455556666"}"#));
    let id = [identity(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3-outposts:GetObject","Resource":"*","Condition":{FROM_VPC}}}}}"#
    ))];
    assert!(decide_from(MALLORY, "10.1.2.3", &id, Some(&b), None).allowed);
    let d = decide_from(MALLORY, "203.0.113.7", &id, Some(&b), None);
    assert!(!d.allowed);
    assert!(d.reason.to_string().contains("no identity policy of the caller allows"), "{}", d.reason);
}

/// The S3 on Outposts example: deny presigned requests whose signature is over 10 minutes old.
const DENY_OLD_SIGNATURES: &str = r#"{"Version":"2012-10-17","Statement":{"Sid":"old","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3-outposts:*","Resource":"*","Condition":{"NumericGreaterThan":{"s3-outposts:signatureAge":600000},"StringEquals":{"s3-outposts:authType":"REST-QUERY-STRING"}}}}"#;

#[test]
fn access_point_policy_denies_while_the_bucket_allows() {
    let bucket = resource(&allow_get(&format!(r#"{{"AWS":"{ALICE}"}}"#)));
    let ap_deny = resource(DENY_OLD_SIGNATURES);
    let ap_allow = resource(&allow_get(&format!(r#"{{"AWS":"{ALICE}"}}"#)));
    assert!(decide(ALICE, &[], Some(&bucket), via(Some(&ap_allow))).allowed);
    let d = decide(ALICE, &[], Some(&bucket), via(Some(&ap_deny)));
    assert!(!d.allowed);
    match d.reason {
        Reason::ExplicitDeny(p) => assert_eq!(p.kind, "access point"),
        other => panic!("{other}"),
    }
}

#[test]
fn bucket_policy_denies_while_the_access_point_allows() {
    let ap = resource(&allow_get(&format!(r#"{{"AWS":"{ALICE}"}}"#)));
    let bucket_deny = resource(DENY_OLD_SIGNATURES);
    let ids = [identity(ID_ALLOW_GET)];
    let d = decide(ALICE, &ids, Some(&bucket_deny), via(Some(&ap)));
    assert!(!d.allowed);
    match d.reason {
        Reason::ExplicitDeny(p) => assert_eq!(p.kind, "bucket"),
        other => panic!("{other}"),
    }
    // An access point policy whose allow's condition fails grants nothing.
    let bucket = resource(&allow_get(&format!(r#"{{"AWS":"{ALICE}"}}"#)));
    let ap_if_vpc = resource(&allow_get_if(&format!(r#"{{"AWS":"{ALICE}"}}"#), FROM_VPC));
    assert!(!decide(ALICE, &[], Some(&bucket), via(Some(&ap_if_vpc))).allowed);
    assert!(decide_from(ALICE, "10.9.9.9", &[], Some(&bucket), via(Some(&ap_if_vpc))).allowed);
}
