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
}

/// Two-pointer wildcard match over chars; `?` consumes one character, not one byte.
fn wildcard_match(pattern: &str, value: &str) -> bool {
    let (p, v) = (pattern.as_bytes(), value.as_bytes());
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    let char_len = |b: u8| match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    while vi < v.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(b'?') => {
                pi += 1;
                vi += char_len(v[vi]);
            }
            Some(&c) if c == v[vi] => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    let next = sv + char_len(v[sv]);
                    star = Some((sp, next));
                    pi = sp + 1;
                    vi = next;
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == b'*')
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
