//! The one client-facing error type: S3's status, code, message and extra elements.
//!
//! Every refusal the gate makes becomes exactly one of these, and `to_xml` is the only place
//! that renders them (`<Error><Code/><Message/>…<RequestId/></Error>`), so the wire format is
//! pinned by one set of tests. Extra elements are what S3 itself adds for the case
//! (`X-Amz-Expires`/`Expires`/`ServerTime` on expiry, `StringToSign`/`CanonicalRequest` on a
//! signature mismatch, `BucketName` on NoSuchBucket, …). Nothing secret may be put in one:
//! callers pass only values the client sent or may see.

use std::borrow::Cow;
use std::fmt::Write as _;

use http::StatusCode;

/// An S3 error as the client will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Cow<'static, str>,
    /// Extra elements in S3's order, rendered after `Message`.
    pub extras: Vec<(&'static str, String)>,
}

impl S3Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self { status, code, message: message.into(), extras: Vec::new() }
    }

    /// Adds an extra element such as `<BucketName>`.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extras.push((name, value.into()));
        self
    }

    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extras.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    // The constructors below are the error table of INTERFACE.md plus the few other
    // refusals S3 makes on the same paths. Each is pinned by a test in `tests/errors.rs`.

    pub fn auth_query(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "AuthorizationQueryParametersError", message)
    }

    pub fn access_denied() -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied")
    }

    pub fn expired(
        expires_secs: u32,
        expires_at: crate::base::time::UnixTime,
        now: crate::base::time::UnixTime,
    ) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired")
            .with("X-Amz-Expires", expires_secs.to_string())
            .with("Expires", expires_at.iso8601().to_string())
            .with("ServerTime", now.iso8601().to_string())
    }

    pub fn not_yet_valid(signed_at: crate::base::time::UnixTime, now: crate::base::time::UnixTime) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", "Request is not yet valid")
            .with("X-Amz-Date", signed_at.amz().to_string())
            .with("ServerTime", now.iso8601().to_string())
    }

    /// A header-signed request more than 15 minutes from the gate's clock.
    pub fn request_time_too_skewed(signed_at: crate::base::time::UnixTime, now: crate::base::time::UnixTime) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", signed_at.amz().to_string())
        .with("ServerTime", now.iso8601().to_string())
        .with("MaxAllowedSkewMilliseconds", "900000")
    }

    /// S3's answer to a signature that is well formed but wrong. Callers add what the gate
    /// computed (never what the client sent as its signature).
    pub fn signature_mismatch() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
    }

    pub fn headers_not_signed(names: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "There were headers present in the request which were not signed",
        )
        .with("HeadersNotSigned", names)
    }

    pub fn invalid_access_key_id(access_key_id: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", access_key_id)
    }

    pub fn invalid_token() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidToken", "The provided token is malformed or otherwise invalid.")
    }

    pub fn expired_token() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ExpiredToken", "The provided token has expired.")
    }

    pub fn no_such_bucket(name: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", name)
    }

    pub fn invalid_uri() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidURI", "Couldn't parse the specified URI.")
    }

    pub fn invalid_argument(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    pub fn method_not_allowed(method: &str, resource_type: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .with("Method", method)
        .with("ResourceType", resource_type)
    }

    /// An upload whose client went away before sending all it announced.
    /// An upload that stopped sending.
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "RequestTimeout",
            "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
        )
    }

    pub fn incomplete_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        )
    }

    /// The request line and headers (or the URL alone) are over `server.max_header_bytes`
    /// (`server.max_url_bytes`).
    pub fn header_section_too_large(max: usize) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "RequestHeaderSectionTooLarge",
            "Your request header section exceeds the maximum allowed size.",
        )
        .with("MaxSizeAllowed", max.to_string())
    }

    pub fn service_unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "Service is unable to handle request.")
    }

    pub fn internal_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    /// The XML body S3 sends, with the request id that also goes into the log line.
    pub fn to_xml(&self, request_id: &str) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        out.push_str(self.code);
        out.push_str("</Code><Message>");
        escape_into(&mut out, &self.message);
        out.push_str("</Message>");
        for (name, value) in &self.extras {
            let _ = write!(out, "<{name}>");
            escape_into(&mut out, value);
            let _ = write!(out, "</{name}>");
        }
        out.push_str("<RequestId>");
        escape_into(&mut out, request_id);
        out.push_str("</RequestId></Error>");
        out
    }
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for S3Error {}

/// XML text escaping (element content only, so quotes stay as S3 writes them). Characters XML 1.0 cannot carry at all (most C0 controls, which can
/// arrive in a header value echoed inside `CanonicalRequest`) become U+FFFD.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_code_message_extras_and_request_id_in_order() {
        let e = S3Error::no_such_bucket("a<b");
        assert_eq!(
            e.to_xml("REQ1"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>\
             <Message>The specified bucket does not exist</Message><BucketName>a&lt;b</BucketName>\
             <RequestId>REQ1</RequestId></Error>"
        );
    }

    #[test]
    fn control_characters_cannot_break_the_document() {
        let e = S3Error::auth_query("x").with("CanonicalRequest", "a\u{1}b\nc&");
        assert!(e.to_xml("r").contains("<CanonicalRequest>a\u{fffd}b\nc&amp;</CanonicalRequest>"));
    }
}
