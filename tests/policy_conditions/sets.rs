//! IP address, ARN and Null operators, multivalued keys, combining, keys and variables.

use super::*;

#[test]
fn addresses_arns_sets_and_keys() {
    check(&[
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
    ]);
}
