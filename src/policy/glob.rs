//! IAM wildcards: `*` matches any run of characters (including none), `?` exactly one.
//!
//! Patterns are classified once at load, so the common shapes (`*`, an exact string, a
//! `prefix*`) cost a comparison at request time; the general case is the linear
//! two-pointer match with one backtrack point, which never allocates.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    General(Box<str>),
}

impl Glob {
    pub fn new(pattern: &str) -> Self {
        if pattern == "*" {
            return Self::Any;
        }
        let wild = |c: char| c == '*' || c == '?';
        match pattern.find(wild) {
            None => Self::Exact(pattern.into()),
            Some(i) if i + 1 == pattern.len() && pattern.ends_with('*') => Self::Prefix(pattern[..i].into()),
            Some(_) => Self::General(pattern.into()),
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(p) => **p == *value,
            Self::Prefix(p) => value.starts_with(&**p),
            Self::General(p) => wildcard_match(p, value),
        }
    }

    /// Whether `value` is this pattern's own text (for the `Equals` operators, which read
    /// `*` and `?` as plain characters).
    pub fn is_literally(&self, value: &str) -> bool {
        match self {
            Self::Any => value == "*",
            Self::Exact(p) | Self::General(p) => **p == *value,
            Self::Prefix(p) => value.len() == p.len() + 1 && value.starts_with(&**p) && value.ends_with('*'),
        }
    }

    /// Calls `f` with the pattern's own text, as one or two segments (a `prefix*` shape
    /// is kept without its `*`, which comes as a second segment, so nothing is allocated).
    pub(super) fn with_source<R>(&self, f: impl FnOnce(&[Seg<'_>]) -> R) -> R {
        let seg = |text| Seg { text, wild: false };
        match self {
            Self::Any => f(&[seg("*")]),
            Self::Exact(p) | Self::General(p) => f(&[seg(p)]),
            Self::Prefix(p) => f(&[seg(p), seg("*")]),
        }
    }
}

/// One resolved run of text, and whether `*`/`?` in it are wildcards.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seg<'s> {
    pub(super) text: &'s str,
    pub(super) wild: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Byte(u8),
    Star,
    One,
}

#[derive(Clone, Copy)]
struct Pos {
    seg: usize,
    off: usize,
}

/// The segments of a pattern, by index: a slice, or pieces resolved on each look (so a
/// pattern of any length is matched without collecting its segments).
pub(super) trait Segs<'s> {
    fn seg(&self, i: usize) -> Option<Seg<'s>>;
}

impl<'s> Segs<'s> for [Seg<'s>] {
    fn seg(&self, i: usize) -> Option<Seg<'s>> {
        self.get(i).copied()
    }
}

fn tok<'s>(segs: &(impl Segs<'s> + ?Sized), mut p: Pos) -> Option<(Tok, Pos)> {
    while let Some(s) = segs.seg(p.seg) {
        if let Some(&b) = s.text.as_bytes().get(p.off) {
            let t = match b {
                b'*' if s.wild => Tok::Star,
                b'?' if s.wild => Tok::One,
                _ => Tok::Byte(b),
            };
            return Some((t, Pos { seg: p.seg, off: p.off + 1 }));
        }
        p = Pos { seg: p.seg + 1, off: 0 };
    }
    None
}

/// Width of the UTF-8 character that starts with `b`: `?` matches one character.
fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The linear two-pointer wildcard match with one backtrack point, over segments.
pub(super) fn glob_segs<'s>(segs: &(impl Segs<'s> + ?Sized), v: &[u8]) -> bool {
    // The literal head (an ARN up to its first wildcard, say) is compared in bulk; the
    // byte-at-a-time match starts where the first wildcard is.
    let mut p = Pos { seg: 0, off: 0 };
    let mut vi = 0usize;
    let mut i = 0;
    while let Some(s) = segs.seg(i) {
        let lit_len = if s.wild { s.text.find(['*', '?']).unwrap_or(s.text.len()) } else { s.text.len() };
        let lit = &s.text.as_bytes()[..lit_len];
        if !v[vi..].starts_with(lit) {
            return false;
        }
        vi += lit_len;
        p = Pos { seg: i, off: lit_len };
        if lit_len < s.text.len() {
            break;
        }
        i += 1;
    }
    // Where to resume after the last `*`: the pattern position after it, and the value
    // position it has swallowed up to.
    let mut star: Option<(Pos, usize)> = None;
    while let Some(&c) = v.get(vi) {
        match tok(segs, p) {
            Some((Tok::Star, next)) => {
                star = Some((next, vi));
                p = next;
            }
            Some((Tok::One, next)) => {
                p = next;
                vi += char_len(c);
            }
            Some((Tok::Byte(b), next)) if b == c => {
                p = next;
                vi += 1;
            }
            _ => match star {
                Some((after, swallowed)) => {
                    let resume = swallowed + v.get(swallowed).map_or(1, |&b| char_len(b));
                    star = Some((after, resume));
                    p = after;
                    vi = resume;
                }
                None => return false,
            },
        }
    }
    loop {
        match tok(segs, p) {
            None => return true,
            Some((Tok::Star, next)) => p = next,
            Some(_) => return false,
        }
    }
}

/// `*` / `?` matching of a plain pattern, shared with `Glob`.
pub(super) fn wildcard_match(pattern: &str, value: &str) -> bool {
    glob_segs(&[Seg { text: pattern, wild: true }][..], value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(Glob::new("*"), Glob::Any);
        assert_eq!(Glob::new("abc"), Glob::Exact("abc".into()));
        assert_eq!(Glob::new("ab*"), Glob::Prefix("ab".into()));
        assert!(matches!(Glob::new("a*b"), Glob::General(_)));
        assert!(matches!(Glob::new("a?"), Glob::General(_)));
    }

    #[test]
    fn matching() {
        let cases = [
            ("a*b", "ab", true),
            ("a*b", "axxb", true),
            ("a*b", "axxbc", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aሴc", true),
            ("*/*", "x/y", true),
            ("*/*", "xy", false),
            ("**a", "a", true),
            ("a*", "", false),
            ("*", "", true),
            ("?", "", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("prefix/*", "prefix/", true),
            ("prefix/*", "prefix", false),
        ];
        for (p, v, want) in cases {
            assert_eq!(Glob::new(p).matches(v), want, "{p} ~ {v}");
        }
    }
}
