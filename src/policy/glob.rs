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
            Self::General(p) => super::pattern::wildcard_match(p, value),
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

    /// Calls `f` with the pattern's own text (allocates only for `prefix*` shapes).
    pub fn with_source<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Self::Any => f("*"),
            Self::Exact(p) | Self::General(p) => f(p),
            Self::Prefix(p) => f(&format!("{p}*")),
        }
    }
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
