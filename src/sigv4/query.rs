//! The query string, split and decoded once per request: one pass over its bytes finds the
//! pieces and which of their sides need decoding or are already canonical.
//!
//! Pairs are kept in arrival order with their decoded bytes; canonicalization re-encodes
//! them (so `%7e` and `~` sign the same), classification looks up sub-resources, and the
//! forwarder rebuilds the store's query from the same pairs.

use std::borrow::Cow;

use smallvec::SmallVec;

use super::encode::{BadEscape, is_unreserved, percent_decode_canonical, uri_encode_bytes};
use crate::base::scratch::with_buf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPair<'a> {
    pub key: Cow<'a, [u8]>,
    pub value: Cow<'a, [u8]>,
    /// `key=value` as sent, when that already is its canonical form: canonicalization
    /// copies it instead of encoding the decoded sides again.
    pub canonical: Option<&'a str>,
}

impl<'a> QueryPair<'a> {
    /// A pair with nothing known about how it was sent.
    pub fn new(key: Cow<'a, [u8]>, value: Cow<'a, [u8]>) -> Self {
        Self { key, value, canonical: None }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pairs: Vec<QueryPair<'a>>,
}

impl<'a> Query<'a> {
    /// Splits on `&` and the first `=`; empty pieces (`a=1&&b=2`) are skipped, as the SDKs
    /// never sign them. A key without `=` has the empty value.
    pub fn parse(raw: &'a str) -> Result<Self, BadEscape> {
        let bytes = raw.as_bytes();
        let pieces = if bytes.is_empty() { 0 } else { memchr::memchr_iter(b'&', bytes).count() + 1 };
        let mut pairs = Vec::with_capacity(pieces);
        let mut at = 0;
        while at < bytes.len() {
            let piece = Piece::scan(bytes, at);
            at = piece.end + 1;
            if piece.end == piece.start {
                continue;
            }
            // Cuts fall on `&`, `=` (ASCII), so on char boundaries.
            let side = |from: usize, to: usize| raw.get(from..to).unwrap_or_default();
            let key_end = piece.eq.unwrap_or(piece.end);
            let key = decode_side(side(piece.start, key_end), piece.key)?;
            let value = match piece.eq {
                Some(eq) => decode_side(side(eq + 1, piece.end), piece.value)?,
                None => (Cow::Borrowed(&b""[..]), true),
            };
            // `flag` canonicalizes as `flag=`, so it is not copied as sent.
            let canonical = (key.1 && value.1 && piece.eq.is_some()).then(|| side(piece.start, piece.end));
            pairs.push(QueryPair { key: key.0, value: value.0, canonical });
        }
        Ok(Self { pairs })
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = QueryPair<'a>>) -> Self {
        Self { pairs: pairs.into_iter().collect() }
    }

    pub fn iter(&self) -> impl Iterator<Item = &QueryPair<'a>> {
        self.pairs.iter()
    }

    /// How often `key` occurs, and its first value.
    pub fn lookup(&self, key: &str) -> (usize, Option<&[u8]>) {
        let mut count = 0;
        let mut first = None;
        for p in &self.pairs {
            if p.key.as_ref() == key.as_bytes() {
                count += 1;
                first.get_or_insert(p.value.as_ref());
            }
        }
        (count, first)
    }

    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.lookup(key).1
    }

    pub fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|p| p.key.as_ref() == key.as_bytes())
    }

    /// The canonical query string: every pair `keep` accepts, each side URI-encoded,
    /// sorted by encoded key and then encoded value, joined with `&`.
    pub fn canonical(&self, keep: impl Fn(&[u8]) -> bool) -> String {
        if !self.pairs.iter().any(|p| keep(&p.key)) {
            return String::new();
        }
        let mut out = Vec::new();
        self.canonical_into(keep, &mut out);
        // Percent-encoded output is ASCII.
        String::from_utf8(out).unwrap_or_default()
    }

    /// As `canonical`, appended to `out` (a reused buffer on the hot path).
    pub fn canonical_into(&self, keep: impl Fn(&[u8]) -> bool, out: &mut Vec<u8>) {
        // Each kept pair is encoded once, as `key=value`, straight into `out`. SDKs send
        // their parameters sorted, and then that is the answer; otherwise the pairs are
        // copied out in order from a scratch copy.
        let base = out.len();
        let mut spans: SmallVec<[(usize, usize, usize); 16]> = SmallVec::new();
        for p in self.pairs.iter().filter(|p| keep(&p.key)) {
            if out.len() > base {
                out.push(b'&');
            }
            let start = out.len();
            // Canonical text has no bare `=` in its key.
            let mid = if let Some(raw) = p.canonical {
                out.extend_from_slice(raw.as_bytes());
                start + raw.bytes().position(|b| b == b'=').unwrap_or(raw.len())
            } else {
                uri_encode_bytes(out, &p.key, false);
                let mid = out.len();
                out.push(b'=');
                uri_encode_bytes(out, &p.value, false);
                mid
            };
            spans.push((start, mid, out.len()));
        }
        let order = |buf: &[u8], a: &(usize, usize, usize), b: &(usize, usize, usize)| {
            let key = |&(s, m, _): &(usize, usize, usize)| buf.get(s..m).unwrap_or_default();
            let value = |&(_, m, e): &(usize, usize, usize)| buf.get(m + 1..e).unwrap_or_default();
            key(a).cmp(key(b)).then_with(|| value(a).cmp(value(b)))
        };
        if spans.is_sorted_by(|a, b| order(out, a, b).is_le()) {
            return;
        }
        with_buf(|copy| {
            copy.extend_from_slice(out);
            // Stable: for the few, nearly sorted pairs of a URL, an insertion sort that
            // allocates nothing (SDKs put one or two parameters out of place).
            spans.sort_by(|a, b| order(copy, a, b));
            out.truncate(base);
            for (i, &(s, _, e)) in spans.iter().enumerate() {
                if i > 0 {
                    out.push(b'&');
                }
                out.extend_from_slice(copy.get(s..e).unwrap_or_default());
            }
        });
    }
}

/// What one byte of a query is to the splitter.
const UNRESERVED: u8 = 1;
const AMP: u8 = 2;
const EQ: u8 = 4;
const PERCENT: u8 = 8;

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)] // b < 256
        let c = b as u8;
        t[b] = match c {
            b'&' => AMP,
            b'=' => EQ,
            b'%' => PERCENT,
            _ if is_unreserved(c) => UNRESERVED,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// One `key=value` piece of a query, found in a single pass over its bytes: where it ends,
/// its first `=`, and what its two sides hold.
struct Piece {
    start: usize,
    end: usize,
    eq: Option<usize>,
    key: SideScan,
    value: SideScan,
}

/// One side of a piece: whether it holds only unreserved bytes and escapes (`plain`), and
/// whether it holds any escape.
#[derive(Clone, Copy)]
struct SideScan {
    plain: bool,
    escaped: bool,
}

impl Piece {
    fn scan(bytes: &[u8], start: usize) -> Self {
        let empty = SideScan { plain: true, escaped: false };
        let mut p = Self { start, end: bytes.len(), eq: None, key: empty, value: empty };
        // The side being read: the key's until the first `=`.
        let (mut plain, mut escaped) = (1u8, false);
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            let class = CLASS[usize::from(b)];
            i += 1;
            if class & (AMP | EQ | PERCENT) == 0 {
                plain &= class;
                continue;
            }
            if class == AMP {
                p.end = i - 1;
                break;
            }
            if class == PERCENT {
                escaped = true;
            } else if p.eq.is_none() {
                p.key = SideScan { plain: plain == 1, escaped };
                (plain, escaped) = (1, false);
                p.eq = Some(i - 1);
            } else {
                // A second `=` is part of the value, and must be escaped there.
                plain = 0;
            }
        }
        let last = SideScan { plain: plain == 1, escaped };
        if p.eq.is_some() {
            p.value = last;
        } else {
            p.key = last;
        }
        p
    }
}

/// One side of a pair decoded, and whether it was sent in canonical form.
fn decode_side(text: &str, scan: SideScan) -> Result<(Cow<'_, [u8]>, bool), BadEscape> {
    if scan.escaped {
        // The decoder validates the escapes and judges them canonical or not.
        return percent_decode_canonical(text);
    }
    Ok((Cow::Borrowed(text.as_bytes()), scan.plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_encoded_key_then_value() {
        let q = Query::parse("b=2&a=2&a=1&%E1%88%B4=x&A=0&flag").unwrap();
        assert_eq!(q.canonical(|_| true), "%E1%88%B4=x&A=0&a=1&a=2&b=2&flag=");
    }

    #[test]
    fn excludes_what_the_filter_drops_and_counts_duplicates() {
        let q = Query::parse("X-Amz-Signature=abc&x=1&x=2").unwrap();
        assert_eq!(q.canonical(|k| k != b"X-Amz-Signature"), "x=1&x=2");
        assert_eq!(q.lookup("x"), (2, Some(&b"1"[..])));
        assert_eq!(q.lookup("y"), (0, None));
    }

    #[test]
    fn pairs_sent_canonical_are_copied_and_the_rest_encoded_alike() {
        let raw = "X-Amz-Credential=AKID%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&b=%7e&a=x%2fy&flag&c=1/2&=v";
        let q = Query::parse(raw).unwrap();
        let copied: Vec<_> = q.iter().map(|p| p.canonical).collect();
        assert_eq!(
            copied,
            [
                Some("X-Amz-Credential=AKID%2F20261201%2Fus-east-1%2Fs3%2Faws4_request"),
                None,
                None,
                None,
                None,
                Some("=v")
            ]
        );
        let encoded_afresh = Query::from_pairs(q.iter().map(|p| QueryPair::new(p.key.clone(), p.value.clone())));
        assert_eq!(q.canonical(|_| true), encoded_afresh.canonical(|_| true));
        assert_eq!(
            q.canonical(|_| true),
            "=v&X-Amz-Credential=AKID%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&a=x%2Fy&b=~&c=1%2F2&flag="
        );
    }

    /// The obvious way: split on `&`, then on the first `=`, decode each side alone.
    fn parse_by_splitting(raw: &str) -> Result<Vec<QueryPair<'_>>, BadEscape> {
        let mut pairs = Vec::new();
        for piece in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v, has_eq) = match piece.split_once('=') {
                Some((k, v)) => (k, v, true),
                None => (piece, "", false),
            };
            let ((key, key_ok), (value, value_ok)) = (percent_decode_canonical(k)?, percent_decode_canonical(v)?);
            pairs.push(QueryPair { key, value, canonical: (key_ok && value_ok && has_eq).then_some(piece) });
        }
        Ok(pairs)
    }

    #[test]
    fn the_one_pass_split_agrees_with_splitting_piece_by_piece() {
        let mut cases: Vec<String> = [
            "",
            "&",
            "&&a",
            "a",
            "a=",
            "=",
            "=a",
            "a==b",
            "a=b=c",
            "a=%3D",
            "%3D=a",
            "a=%",
            "a=%4",
            "a%41=1",
            "a=%7e",
            "a=%7E",
            "a=~&b",
            "X-Amz-Credential=AK%2F20261201%2Fus-east-1%2Fs3%2Faws4_request",
            "a=1/2",
            "a+b=c d",
            "k=%E1%88%B4&k=%e1%88%b4",
            "a=%2F%2f&b=%25",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // And 20,000 strings of up to five of these pieces, drawn by a fixed xorshift.
        let alphabet = ["a", "=", "&", "%2F", "%2f", "%41", "%", "~", "/", "Z9"];
        let mut n: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            let len = (n % 6) as usize;
            cases.push((0..len).map(|i| alphabet[((n >> (8 + 4 * i)) % 10) as usize]).collect());
        }
        for raw in &cases {
            let ours = Query::parse(raw).map(|q| q.pairs);
            assert_eq!(ours, parse_by_splitting(raw), "{raw:?}");
        }
    }

    #[test]
    fn malformed_escapes_are_errors() {
        assert!(Query::parse("a=%zz").is_err());
        assert!(Query::parse("%=1").is_err());
    }
}
