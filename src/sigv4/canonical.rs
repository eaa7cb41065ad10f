//! The canonical request and the string to sign (AWS "Create a canonical request",
//! "Create a string to sign").
//!
//! The canonical request is built as bytes: signed header values may carry obs-text that is
//! not UTF-8, and the hash must cover exactly what arrived. What goes *into* it (the path as
//! sent for S3, the canonical query, the payload hash) is the caller's choice, so the same
//! builder serves S3's rules and the generic suite's.

use http::HeaderMap;
use sha2::{Digest, Sha256};

/// `UNSIGNED-PAYLOAD`: what presigned S3 requests hash instead of the body, and what the
/// gate itself signs toward the store so bodies stream unread.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Written into a buffer the caller owns (on the hot path, a reused scratch buffer).
pub struct CanonicalRequest<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'b> CanonicalRequest<'b> {
    pub fn new(buf: &'b mut Vec<u8>, method: &str, canonical_uri: &str, canonical_query: &str) -> Self {
        Self::with_query(buf, method, canonical_uri, |b| b.extend_from_slice(canonical_query.as_bytes()))
    }

    /// As `new`, with the canonical query written by `query` straight into the buffer.
    pub fn with_query(
        buf: &'b mut Vec<u8>,
        method: &str,
        canonical_uri: &str,
        query: impl FnOnce(&mut Vec<u8>),
    ) -> Self {
        buf.clear();
        buf.extend_from_slice(method.as_bytes());
        buf.push(b'\n');
        buf.extend_from_slice(canonical_uri.as_bytes());
        buf.push(b'\n');
        query(buf);
        buf.push(b'\n');
        Self { buf }
    }

    /// One `name:value` line. Several values join with `,`; each is trimmed and inner runs
    /// of white space (including folded line breaks) collapse to one space.
    pub fn header<'v>(&mut self, name: &str, values: impl IntoIterator<Item = &'v [u8]>) {
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b':');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            // The common value (a host, a date, a hash) has nothing to trim or collapse:
            // copied whole, instead of byte by byte.
            if is_plain_value(value) {
                self.buf.extend_from_slice(value);
            } else {
                push_collapsed(self.buf, value);
            }
        }
        self.buf.push(b'\n');
    }

    /// The lines of the headers named in `signed_headers` (`a;b;c`, already sorted by the
    /// signer): `host` from what the client addressed, the others from `headers`; the
    /// session token's value replaced when `redact` (for echoing in an error).
    pub fn signed_headers(&mut self, signed_headers: &str, host: &str, headers: &HeaderMap, redact: bool) {
        for name in signed_headers.split(';') {
            if name == "host" {
                self.header(name, [host.as_bytes()]);
            } else if redact && name == "x-amz-security-token" {
                self.header(name, [b"REDACTED".as_slice()]);
            } else {
                self.header(name, headers.get_all(name).iter().map(http::HeaderValue::as_bytes));
            }
        }
    }

    pub fn finish(self, signed_headers: &str, payload_hash: &str) -> &'b [u8] {
        self.buf.push(b'\n');
        self.buf.extend_from_slice(signed_headers.as_bytes());
        self.buf.push(b'\n');
        self.buf.extend_from_slice(payload_hash.as_bytes());
        self.buf
    }
}

/// `value` trimmed, each inner run of white space (folded line breaks included) one space.
fn push_collapsed(buf: &mut Vec<u8>, value: &[u8]) {
    let mut pending_space = false;
    let mut started = false;
    for &b in value {
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            pending_space = started;
        } else {
            if pending_space {
                buf.push(b' ');
                pending_space = false;
            }
            buf.push(b);
            started = true;
        }
    }
}

/// No white space at either end, no tab or line break, no two spaces in a row: what the
/// canonical form keeps as it is.
fn is_plain_value(value: &[u8]) -> bool {
    let edge = |b: Option<&u8>| b.is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    let mut previous_space = false;
    let mut plain = edge(value.first()) && edge(value.last());
    for &b in value {
        let space = b == b' ';
        plain &= !(matches!(b, b'\t' | b'\r' | b'\n') || space && previous_space);
        previous_space = space;
    }
    plain
}

/// `AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hex(sha256(canonical))}`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    string_to_sign_with(ALGORITHM, amz_date, scope, canonical_request)
}

/// The string to sign for `algorithm` (SigV4 and SigV4a differ only in it and the scope).
pub fn string_to_sign_with(algorithm: &str, amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    string_to_sign_hashed(algorithm, amz_date, scope, &Sha256::digest(canonical_request).into())
}

/// The string to sign from the canonical request's SHA-256.
pub fn string_to_sign_hashed(algorithm: &str, amz_date: &str, scope: &str, hash: &[u8; 32]) -> String {
    let mut out = Vec::with_capacity(algorithm.len() + amz_date.len() + scope.len() + 67);
    string_to_sign_into(&mut out, algorithm, amz_date, scope, hash);
    // Built from text and hex digits only.
    String::from_utf8(out).unwrap_or_default()
}

/// As `string_to_sign_hashed`, into `out` (cleared first).
pub fn string_to_sign_into(out: &mut Vec<u8>, algorithm: &str, amz_date: &str, scope: &str, hash: &[u8; 32]) {
    out.clear();
    for part in [algorithm, "\n", amz_date, "\n", scope, "\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(&super::encode::hex32(hash));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_copied_whole_are_exactly_those_the_byte_walk_leaves_unchanged() {
        // Every value of up to four bytes from these: a value is copied whole exactly when
        // the byte walk would leave it as it is (an empty value goes the slow way).
        let alphabet = [b'a', b' ', b'\t', b'\r', b'\n', b','];
        let mut values = vec![Vec::new()];
        for len in 1..=4u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut rest = n;
                values.push(
                    (0..len)
                        .map(|_| {
                            let b = alphabet[rest % alphabet.len()];
                            rest /= alphabet.len();
                            b
                        })
                        .collect(),
                );
            }
        }
        for value in &values {
            let mut collapsed = Vec::new();
            push_collapsed(&mut collapsed, value);
            let unchanged = !value.is_empty() && collapsed == *value;
            assert_eq!(is_plain_value(value), unchanged, "{value:?}");
        }
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let mut buf = Vec::new();
        let mut c = CanonicalRequest::new(&mut buf, "GET", "/", "");
        c.header("my-header1", [&b"  value1\n  value2   value3 "[..]]);
        c.header("my-header2", [&b"a"[..], &b" b  c "[..]]);
        let text = c.finish("my-header1;my-header2", UNSIGNED_PAYLOAD);
        assert_eq!(
            std::str::from_utf8(text).unwrap(),
            "GET\n/\n\nmy-header1:value1 value2 value3\nmy-header2:a,b c\n\nmy-header1;my-header2\nUNSIGNED-PAYLOAD"
        );
    }
}
