//! Deciding a request allocates nothing: policies with conditions, wildcards, CIDRs and a
//! policy variable are evaluated against borrowed facts with no heap allocation.
//!
//! Counted by `allocation-counter`, whose global allocator counts per thread: only what
//! the deciding thread allocates is seen, never the test harness's or another test's
//! allocations on other threads, so the count cannot be disturbed by what runs beside it.

use std::sync::Arc;

use outpost_gate::authorize::{Subject, Target, ViaAccessPoint, authorize};
use outpost_gate::policy::{AccessPointFacts, AuthFacts, Facts, Policy, PolicyKind};

const BASE: &str = "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904";

#[test]
fn authorizing_allocates_nothing() {
    let identity = vec![Arc::new(
        Policy::parse(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Action":"s3-outposts:Get*","Resource":"{BASE}/*/object/home/${{aws:username}}/*",
                  "Condition":{{"IpAddress":{{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}},
                               "NumericLessThan":{{"s3-outposts:signatureAge":600000}},
                               "StringLike":{{"aws:userid":"AIDA*"}},
                               "DateLessThan":{{"aws:CurrentTime":"2100-01-01T00:00:00Z"}},
                               "BoolIfExists":{{"aws:SecureTransport":"false"}}}}}},
                {{"Effect":"Deny","Action":"*","Resource":"*",
                  "Condition":{{"NotIpAddressIfExists":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}]}}"#
            ),
            PolicyKind::Identity,
            "id.json",
        )
        .unwrap(),
    )];
    let bucket = Policy::parse(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Deny","Principal":"*","Action":"s3-outposts:*","Resource":"{BASE}/bucket/b/object/*",
              "Condition":{{"NumericGreaterThan":{{"s3-outposts:signatureAge":600000}},"StringEquals":{{"s3-outposts:authType":"REST-QUERY-STRING"}}}}}}}}"#
        ),
        PolicyKind::Resource,
        "bucket.json",
    )
    .unwrap();
    let ap = Policy::parse(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:user/alice"}},"Action":"s3-outposts:GetObject","Resource":"{BASE}/accesspoint/ap/object/*",
              "Condition":{{"ArnLike":{{"s3-outposts:DataAccessPointArn":"arn:aws:s3-outposts:*:${{aws:PrincipalAccount}}:outpost/*/accesspoint/ap"}}}}}}}}"#
        ),
        PolicyKind::Resource,
        "ap.json",
    )
    .unwrap();
    let ap_arn = format!("{BASE}/accesspoint/ap");
    let facts = Facts {
        principal_arn: "arn:aws:iam::111122223333:user/alice",
        principal_account: "111122223333",
        principal_type: "User",
        username: Some("alice"),
        userid: Some("AIDAEXAMPLE0000000001"),
        now_ms: 1_795_000_000_000,
        source_ip: Some("10.1.2.3".parse().unwrap()),
        auth: Some(AuthFacts {
            auth_type: "REST-QUERY-STRING",
            signature_version: "AWS4-HMAC-SHA256",
            signature_age_ms: Some(12_000),
            content_sha256: "UNSIGNED-PAYLOAD",
        }),
        access_point: Some(AccessPointFacts { arn: &ap_arn, account: "111122223333", network_origin: "Internet" }),
        ..Facts::default()
    };
    let resource = format!("{BASE}/accesspoint/ap/object/home/alice/report.pdf");
    let bucket_resource = format!("{BASE}/bucket/b/object/home/alice/report.pdf");
    let subject = Subject { facts: &facts, identity_policies: &identity };
    let target = Target {
        owner_account: "111122223333",
        action_lower: "s3-outposts:getobject",
        resource: &resource,
        bucket_resource: &bucket_resource,
        bucket_policy: Some(&bucket),
        access_point: Some(ViaAccessPoint { policy: Some(&ap) }),
    };

    // The counter is live on this thread (so a zero below is not a counter that never ran).
    let boxed = allocation_counter::measure(|| drop(std::hint::black_box(Box::new(1_u64))));
    assert_eq!(boxed.count_total, 1, "the counting allocator is not installed: {boxed:?}");

    // Warm up: anything initialised lazily on first use is allocated outside the count.
    assert!(authorize(&subject, &target).allowed);

    let mut allowed = 0;
    let stats = allocation_counter::measure(|| {
        for _ in 0..1000 {
            allowed += usize::from(authorize(&subject, &target).allowed);
        }
    });
    assert_eq!(allowed, 1000, "the request is allowed: the conditions were all evaluated");
    assert_eq!(stats.count_total, 0, "{stats:?}");
    assert_eq!(stats.bytes_total, 0, "{stats:?}");
}
