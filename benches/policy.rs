//! Authorization of one request against identity and bucket policies of 10, 100 and 1,000
//! statements. The matching statement is the last one, so every statement is looked at.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use outpost_gate::authorize::{Subject, Target, authorize};
use outpost_gate::policy::{Policy, PolicyKind};

const ARN: &str = "arn:aws:s3-outposts:us-east-1:111122223333:outpost/op-01ac5d28a6a232904";

fn policy(n: usize, kind: PolicyKind) -> Policy {
    let principal = if kind == PolicyKind::Resource {
        r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/other"},"#
    } else {
        ""
    };
    let mut statements: Vec<String> = (0..n - 1)
        .map(|i| {
            format!(
                r#"{{"Sid":"S{i}",{principal}"Effect":"Allow","Action":["s3-outposts:Get*","s3-outposts:PutObject"],"Resource":"{ARN}/bucket/bucket-{i}/object/prefix-{i}/*"}}"#
            )
        })
        .collect();
    let last_principal = if kind == PolicyKind::Resource {
        r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"#
    } else {
        ""
    };
    statements.push(format!(
        r#"{{"Sid":"Last",{last_principal}"Effect":"Allow","Action":"s3-outposts:GetObject","Resource":"{ARN}/bucket/example-outpost-bucket/object/reports/*"}}"#
    ));
    let json = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
    Policy::parse(&json, kind, "bench.json").unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("authorize");
    let resource = format!("{ARN}/bucket/example-outpost-bucket/object/reports/2026/summary.pdf");
    for n in [10, 100, 1000] {
        let identity = vec![Arc::new(policy(n, PolicyKind::Identity))];
        let bucket = policy(n, PolicyKind::Resource);
        let subject = Subject {
            principal_arn: "arn:aws:iam::111122223333:user/alice",
            account: "111122223333",
            identity_policies: &identity,
        };
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
