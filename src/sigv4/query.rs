//! The query string, split and decoded once per request.
//!
//! Pairs are kept in arrival order with their decoded bytes; canonicalization re-encodes
//! them (so `%7e` and `~` sign the same), classification looks up sub-resources, and the
//! forwarder rebuilds the store's query from the same pairs.

use std::borrow::Cow;

use smallvec::SmallVec;

use super::encode::{BadEscape, percent_decode_canonical, uri_encode_bytes};
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
        let pieces = if raw.is_empty() { 0 } else { memchr::memchr_iter(b'&', raw.as_bytes()).count() + 1 };
        let mut pairs = Vec::with_capacity(pieces);
        // Split on bytes: `&` and `=` are ASCII, so every cut falls on a char boundary.
        let mut rest = raw;
        while !rest.is_empty() {
            let end = memchr::memchr(b'&', rest.as_bytes()).unwrap_or(rest.len());
            let (piece, tail) = rest.split_at(end);
            rest = tail.get(1..).unwrap_or_default();
            if piece.is_empty() {
                continue;
            }
            let (k, v, has_eq) = match memchr::memchr(b'=', piece.as_bytes()) {
                Some(eq) => (piece.get(..eq).unwrap_or_default(), piece.get(eq + 1..).unwrap_or_default(), true),
                None => (piece, "", false),
            };
            let ((key, key_ok), (value, value_ok)) = (percent_decode_canonical(k)?, percent_decode_canonical(v)?);
            // `flag` canonicalizes as `flag=`, so it is not copied as sent.
            let canonical = (key_ok && value_ok && has_eq).then_some(piece);
            pairs.push(QueryPair { key, value, canonical });
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

    #[test]
    fn malformed_escapes_are_errors() {
        assert!(Query::parse("a=%zz").is_err());
        assert!(Query::parse("%=1").is_err());
    }
}
