//! String, numeric, date, Bool and Binary operators.

use super::*;

#[test]
fn scalar_operators() {
    check(&[
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
    ]);
}
