//! Policy JSON parsing and evaluation. The input is a policy document, then (after a NUL)
//! bytes that choose the request's facts. Beyond "no panic":
//! - a document that parses evaluates, as an identity and as a bucket policy, without a
//!   heap allocation once the request's text forms exist (they are made once per request);
//! - an explicit deny always wins: beside a deny-all policy on the other side (identity or
//!   bucket), whatever the parsed policy says, the request is refused;
//! - evaluating twice gives the same verdict.

#![no_main]

use std::net::IpAddr;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use outpost_gate::authorize::{Subject, Target, authorize};
use outpost_gate::policy::{AuthFacts, Facts, Policy, PolicyKind};
use outpost_gate::time::UnixTime;

const BASE: &str = "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904";
const DENY_ALL: &str = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}"#;
const ACTIONS: [&str; 5] = [
    "s3-outposts:getobject",
    "s3-outposts:putobject",
    "s3-outposts:listbucket",
    "s3-outposts:deleteobject",
    "s3-outposts:abortmultipartupload",
];
const USERS: [&str; 3] = ["alice", "bob", "a*?${}"];

fuzz_target!(|input: &[u8]| {
    let (doc, knobs) = match input.iter().position(|&b| b == 0) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(doc) else { return };
    let knob = |i: usize| knobs.get(i).copied().unwrap_or(0);
    let deny_all = Policy::parse(DENY_ALL, PolicyKind::Resource, "deny.json").expect("deny-all parses");
    let deny_all_identity = vec![Arc::new(
        Policy::parse(r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#, PolicyKind::Identity, "d")
            .expect("identity deny-all parses"),
    )];

    let user = USERS[usize::from(knob(0)) % USERS.len()];
    let arn = format!("arn:aws:iam::111122223333:user/{user}");
    let key: String = knobs.iter().skip(8).take(24).map(|&b| char::from(b'a' + b % 26)).collect();
    let resource = format!("{BASE}/bucket/b/object/{user}/{key}");
    let ip = IpAddr::from([10, knob(1), knob(2), knob(3)]);
    let prefix = format!("{user}/{}", &key[..key.len().min(3)]);
    let facts = Facts {
        principal_arn: &arn,
        principal_account: "111122223333",
        principal_type: "User",
        username: Some(user),
        userid: Some("AIDAEXAMPLE"),
        now_ms: 1_795_000_000_000 + i64::from(knob(4)) * 86_400_000,
        source_ip: (knob(5) % 4 != 0).then_some(ip),
        source_vpc: (knob(5) % 3 == 0).then_some("vpc-0123456789abcdef0"),
        secure_transport: knob(6) % 2 == 0,
        token_issue_time: (knob(6) % 3 == 0).then_some(UnixTime(1_794_000_000)),
        auth: Some(AuthFacts {
            auth_type: if knob(7) % 2 == 0 { "REST-QUERY-STRING" } else { "REST-HEADER" },
            signature_version: "AWS4-HMAC-SHA256",
            signature_age_ms: Some(i64::from(knob(7)) * 1000),
            content_sha256: "UNSIGNED-PAYLOAD",
        }),
        prefix: Some(&prefix),
        headers: [Some("private"), None, Some("AES256"), None, None],
        ..Facts::default()
    };
    let action = ACTIONS[usize::from(knob(1)) % ACTIONS.len()];

    for kind in [PolicyKind::Identity, PolicyKind::Resource] {
        let Ok(policy) = Policy::parse(text, kind, "fuzz.json") else { continue };
        let policy = Arc::new(policy);
        let (identity, bucket): (Vec<Arc<Policy>>, &Policy) = match kind {
            PolicyKind::Identity => (vec![Arc::clone(&policy)], &deny_all),
            _ => (deny_all_identity.clone(), &policy),
        };
        let subject = Subject { facts: &facts, identity_policies: &identity };
        let target = Target {
            owner_account: "111122223333",
            action_lower: action,
            resource: &resource,
            bucket_resource: &resource,
            bucket_policy: Some(bucket),
            access_point: None,
        };
        // The first evaluation may make the facts' text forms (once per request); later
        // ones allocate nothing and agree with it.
        let first = authorize(&subject, &target).allowed;
        assert!(!first, "an explicit deny on the other side lost to {text}");
        let mut again = first;
        let counted = allocation_counter::measure(|| again = authorize(&subject, &target).allowed);
        assert_eq!(first, again);
        assert_eq!(counted.count_total, 0, "evaluation allocated {} times for {text}", counted.count_total);

        // On its own (its kind's side only), it must still not panic or allocate.
        let alone_identity: Vec<Arc<Policy>> = if kind == PolicyKind::Identity { identity.clone() } else { Vec::new() };
        let subject = Subject { facts: &facts, identity_policies: &alone_identity };
        let target = Target { bucket_policy: (kind == PolicyKind::Resource).then_some(&*policy), ..target };
        let one = authorize(&subject, &target).allowed;
        let mut two = one;
        let counted = allocation_counter::measure(|| two = authorize(&subject, &target).allowed);
        assert_eq!(one, two);
        assert_eq!(counted.count_total, 0, "evaluation allocated for {text}");
    }
});
