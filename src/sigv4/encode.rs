//! Percent-encoding the SigV4 way.
//!
//! SigV4 encodes every byte except the unreserved set `A-Z a-z 0-9 - _ . ~`, with upper-case
//! hex (AWS "Create a canonical request": UriEncode). Decoding is strict: a `%` not followed
//! by two hex digits is an error, never passed through, so two parties can't disagree on what
//! a malformed escape meant. `+` is a literal plus, as in RFC 3986 and the AWS SDKs' own
//! canonicalization; it is not a space.

use std::borrow::Cow;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Which bytes pass unescaped: 1 for the unreserved set, 2 for `/` (kept in paths). A
/// table, because every byte of every query value is looked up on the hot path.
const PASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)] // b < 256
        let c = b as u8;
        if is_unreserved(c) {
            t[b] = 1;
        }
        b += 1;
    }
    t[b'/' as usize] = 2;
    t
};

/// Appends `bytes` encoded to a byte buffer (which stays ASCII).
pub fn uri_encode_bytes(out: &mut Vec<u8>, bytes: &[u8], keep_slash: bool) {
    let mask = if keep_slash { 3 } else { 1 };
    let keep = |b: u8| PASS[usize::from(b)] & mask != 0;
    let mut rest = bytes;
    while !rest.is_empty() {
        // Copy the longest run that needs no escaping in one go.
        let run = rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..run]);
        let Some((&b, tail)) = rest[run..].split_first() else {
            break;
        };
        out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
        rest = tail;
    }
}

/// Appends `bytes` encoded; `keep_slash` leaves `/` as is (object keys in paths).
pub fn uri_encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    let mut buf = Vec::with_capacity(bytes.len() + 8);
    uri_encode_bytes(&mut buf, bytes, keep_slash);
    // Encoded output is ASCII by construction.
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// Lower-case hex of a 32-byte digest, without allocating.
pub fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = LOWER[usize::from(b >> 4)];
        out[2 * i + 1] = LOWER[usize::from(b & 0x0f)];
    }
    out
}

pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    uri_encode_into(&mut out, bytes, keep_slash);
    out
}

/// A `%` escape that is not `%XX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadEscape;

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes; borrows when there are none.
pub fn percent_decode(s: &str) -> Result<Cow<'_, [u8]>, BadEscape> {
    percent_decode_canonical(s).map(|(decoded, _)| decoded)
}

/// As `percent_decode`, and whether `s` is already canonical: exactly what
/// `uri_encode_bytes(decoded, false)` gives back (unreserved bytes as they are, every other
/// byte as an upper-case `%XX`). SDKs send their query that way, and then canonicalization
/// can copy it instead of encoding it again.
pub fn percent_decode_canonical(s: &str) -> Result<(Cow<'_, [u8]>, bool), BadEscape> {
    let bytes = s.as_bytes();
    let Some(first) = memchr::memchr(b'%', bytes) else {
        return Ok((Cow::Borrowed(bytes), all_unreserved(bytes)));
    };
    let upper_hex = |b: u8| matches!(b, b'0'..=b'9' | b'A'..=b'F');
    let mut canonical = all_unreserved(bytes.get(..first).unwrap_or_default());
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..first).unwrap_or_default());
    let mut rest = bytes.get(first..).unwrap_or_default();
    while let [b'%', hi, lo, tail @ ..] = rest {
        let byte = hex_val(*hi).zip(hex_val(*lo)).map(|(h, l)| h << 4 | l).ok_or(BadEscape)?;
        canonical &= upper_hex(*hi) && upper_hex(*lo) && !is_unreserved(byte);
        out.push(byte);
        let run = memchr::memchr(b'%', tail).unwrap_or(tail.len());
        let (plain, next) = tail.split_at(run);
        canonical &= all_unreserved(plain);
        out.extend_from_slice(plain);
        rest = next;
    }
    // A `%` without two characters after it.
    if !rest.is_empty() {
        return Err(BadEscape);
    }
    Ok((Cow::Owned(out), canonical))
}

/// `A-Z a-z 0-9 - _ . ~`: the bytes SigV4 leaves unescaped.
pub(super) const fn is_unreserved(b: u8) -> bool {
    matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~')
}

/// One table lookup per byte, no branch: query values are a few hundred bytes on every
/// request, mostly in short pieces, where this beats the vector code a range test becomes
/// (whose setup and tail cost more than the bytes; measured about 1.8× faster).
fn all_unreserved(bytes: &[u8]) -> bool {
    bytes.iter().fold(1, |all, &b| all & PASS[usize::from(b)]) == 1
}

/// Decodes and requires UTF-8 (object keys and bucket names are UTF-8 in S3).
pub fn percent_decode_utf8(s: &str) -> Option<Cow<'_, str>> {
    match percent_decode(s).ok()? {
        Cow::Borrowed(_) => Some(Cow::Borrowed(s)),
        Cow::Owned(v) => String::from_utf8(v).ok().map(Cow::Owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_input_is_recognised_and_decoded() {
        for (text, decoded_as, canonical) in [
            ("abc-_.~XYZ09", &b"abc-_.~XYZ09"[..], true),
            ("a%2Fb%3D", b"a/b=", true),
            ("%E1%88%B4", "ሴ".as_bytes(), true),
            ("", b"", true),
            ("a%2fb", b"a/b", false), // lower-case hex
            ("a%41", b"aA", false),   // an unreserved byte escaped
            ("a/b", b"a/b", false),   // a byte that must be escaped, sent bare
            ("a+b", b"a+b", false),
            ("%20x y", b" x y", false),
        ] {
            let (decoded, is) = percent_decode_canonical(text).unwrap();
            assert_eq!(decoded.as_ref(), decoded_as, "{text}");
            assert_eq!(is, canonical, "{text}");
            assert_eq!(is, uri_encode(&decoded, false) == text, "{text}");
        }
        for bad in ["%", "a%2", "%zz", "a%2Fb%"] {
            assert_eq!(percent_decode_canonical(bad), Err(BadEscape), "{bad}");
        }
    }

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(uri_encode(b"a b+c=d&e%f~g/h", false), "a%20b%2Bc%3Dd%26e%25f~g%2Fh");
        assert_eq!(uri_encode(b"a b/c", true), "a%20b/c");
        assert_eq!(uri_encode("ሴ".as_bytes(), false), "%E1%88%B4");
    }

    #[test]
    fn decodes_strictly() {
        assert_eq!(percent_decode("a%2Fb%2fc+d").unwrap().as_ref(), b"a/b/c+d");
        assert!(matches!(percent_decode("plain").unwrap(), Cow::Borrowed(_)));
        for bad in ["%", "%2", "%zz", "a%g0", "%%41"] {
            assert_eq!(percent_decode(bad), Err(BadEscape), "{bad}");
        }
        assert_eq!(percent_decode_utf8("%E1%88%B4").as_deref(), Some("ሴ"));
        assert_eq!(percent_decode_utf8("%FF"), None);
    }

    #[test]
    fn decode_then_encode_is_canonical() {
        for s in ["a%20b", "%7E", "~", "%2B", "x%2Fy"] {
            let d = percent_decode(s).unwrap();
            let e = uri_encode(&d, false);
            assert_eq!(percent_decode(&e).unwrap(), d);
        }
        assert_eq!(uri_encode(&percent_decode("%7e").unwrap(), false), "~");
    }
}
