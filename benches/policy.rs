//! Authorization of one presigned GET against an identity policy and a bucket policy of
//! 10, 100 and 1,000 statements each. Every statement matches the action and resource and
//! carries three conditions of the kinds owners write (source network, signature age, auth
//! type); all but the last fail on their third condition, so every condition of every
//! statement is evaluated: the worst case. The last statement's resource uses a variable.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use outpost_gate::authorize::{Subject, Target, authorize};
use outpost_gate::policy::{AuthFacts, Facts, Policy, PolicyKind};

const ARN: &str = "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904";

fn policy(n: usize, kind: PolicyKind) -> Policy {
    let principal = if kind == PolicyKind::Resource {
        r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/other"},"#
    } else {
        ""
    };
    let conditions = |auth_type: &str| {
        format!(
            r#""Condition":{{"IpAddress":{{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}},"NumericLessThan":{{"s3-outposts:signatureAge":600000}},"StringEquals":{{"s3-outposts:authType":"{auth_type}"}}}}"#
        )
    };
    let mut statements: Vec<String> = (0..n - 1)
        .map(|i| {
            format!(
                r#"{{"Sid":"S{i}",{principal}"Effect":"Allow","Action":["s3-outposts:Get*","s3-outposts:PutObject"],"Resource":"{ARN}/bucket/example-outpost-bucket/object/*",{}}}"#,
                conditions("REST-HEADER")
            )
        })
        .collect();
    let last_principal = if kind == PolicyKind::Resource {
        r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"#
    } else {
        ""
    };
    statements.push(format!(
        r#"{{"Sid":"Last",{last_principal}"Effect":"Allow","Action":"s3-outposts:GetObject","Resource":"{ARN}/bucket/example-outpost-bucket/object/${{aws:username}}/*",{}}}"#,
        conditions("REST-QUERY-STRING")
    ));
    let json = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
    Policy::parse(&json, kind, "bench.json").unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("authorize");
    let resource = format!("{ARN}/bucket/example-outpost-bucket/object/alice/2026/summary.pdf");
    let facts = Facts {
        principal_arn: "arn:aws:iam::111122223333:user/alice",
        principal_account: "111122223333",
        principal_type: "User",
        username: Some("alice"),
        now_ms: 1_795_000_000_000,
        source_ip: Some("10.1.2.3".parse().unwrap()),
        auth: Some(AuthFacts {
            auth_type: "REST-QUERY-STRING",
            signature_version: "AWS4-HMAC-SHA256",
            signature_age_ms: Some(12_000),
            content_sha256: "UNSIGNED-PAYLOAD",
        }),
        ..Facts::default()
    };
    for n in [10, 100, 1000] {
        let identity = vec![Arc::new(policy(n, PolicyKind::Identity))];
        let bucket = policy(n, PolicyKind::Resource);
        let subject = Subject { facts: &facts, identity_policies: &identity };
        let target = Target {
            owner_account: "111122223333",
            action_lower: "s3-outposts:getobject",
            resource: &resource,
            bucket_resource: &resource,
            bucket_policy: Some(&bucket),
            access_point: None,
        };
        assert!(authorize(&subject, &target).allowed);
        g.bench_with_input(BenchmarkId::new("statements", n), &n, |b, _| {
            b.iter(|| black_box(authorize(black_box(&subject), black_box(&target))).allowed);
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
