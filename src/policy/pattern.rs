//! Policy strings with variables: `${aws:username}`, the escapes `${*}`, `${?}`, `${$}`,
//! and `${key, 'default'}` (IAM User Guide, "IAM policy elements: Variables and tags").
//!
//! A string is split into pieces once at load. At request time the variables are looked up
//! in the request's `Facts` and the pieces are matched in place, as a list of borrowed
//! segments, so a policy variable costs no allocation. Text that came from a variable or an
//! escape is literal: a `*` in a user name is not a wildcard.
//!
//! Variables are recognized only under `"Version": "2012-10-17"`; under the 2008 version
//! `${…}` is plain text, as in IAM.

use super::glob::{Glob, Seg, Segs, glob_segs};
use super::keys::{Facts, Key};

/// A string that may contain variables, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// No variables and no escapes: the fast shapes of `Glob`.
    Plain(Glob),
    Template(Box<[Piece]>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Policy text: `*` and `?` are wildcards where the operator has them.
    Raw(Box<str>),
    /// An escape: always literal.
    Lit(&'static str),
    Var {
        key: Key,
        default: Option<Box<str>>,
    },
}

impl Pattern {
    /// Compiles `s` for wildcard matching; `variables` is whether the policy's Version
    /// enables them.
    pub fn new(s: &str, variables: bool) -> Self {
        if !variables || !s.contains("${") {
            return Self::Plain(Glob::new(s));
        }
        Self::template(s)
    }

    /// Compiles `s` for literal comparison (the same form: `equals` reads it literally).
    pub fn literal(s: &str, variables: bool) -> Self {
        Self::new(s, variables)
    }

    fn template(s: &str) -> Self {
        let mut pieces = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start..].find('}') else { break };
            if start > 0 {
                pieces.push(Piece::Raw(rest[..start].into()));
            }
            let inner = &rest[start + 2..start + len];
            pieces.push(match inner {
                "*" => Piece::Lit("*"),
                "?" => Piece::Lit("?"),
                "$" => Piece::Lit("$"),
                _ => variable(inner),
            });
            rest = &rest[start + len + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Raw(rest.into()));
        }
        Self::Template(pieces.into())
    }

    /// Wildcard match (`StringLike`, resources, ARNs).
    pub fn matches(&self, value: &str, facts: &Facts<'_>) -> bool {
        match self {
            Self::Plain(g) => g.matches(value),
            Self::Template(pieces) => {
                let segs = Resolved { pieces, facts, raw_wild: true };
                segs.all_found() && glob_segs(&segs, value.as_bytes())
            }
        }
    }

    /// Literal comparison (`StringEquals` and friends): wildcards are plain characters.
    pub fn equals(&self, value: &str, facts: &Facts<'_>, ignore_case: bool) -> bool {
        match self {
            Self::Plain(g) if !ignore_case => g.is_literally(value),
            Self::Plain(g) => g.with_source(|segs| same_text(segs, value, true)),
            Self::Template(pieces) => {
                let segs = Resolved { pieces, facts, raw_wild: false };
                segs.all_found() && same_text(&segs, value, ignore_case)
            }
        }
    }
}

/// Whether the segments' text, one after another, is `value`.
fn same_text<'s>(segs: &(impl Segs<'s> + ?Sized), value: &str, ignore_case: bool) -> bool {
    let chars = (0..).map_while(|i| segs.seg(i)).flat_map(|s| s.text.chars());
    if ignore_case {
        chars.flat_map(char::to_lowercase).eq(value.chars().flat_map(char::to_lowercase))
    } else {
        chars.eq(value.chars())
    }
}

/// A template's pieces with the request's facts: each segment resolved when looked at,
/// borrowed from the policy or the facts, so matching allocates nothing however many
/// pieces a string has.
struct Resolved<'a, 'f> {
    pieces: &'a [Piece],
    facts: &'a Facts<'f>,
    raw_wild: bool,
}

impl Resolved<'_, '_> {
    /// `false` when a variable has no value and no default: such a string matches
    /// nothing, as in IAM.
    fn all_found(&self) -> bool {
        (0..self.pieces.len()).all(|i| self.seg(i).is_some())
    }
}

impl<'a> Segs<'a> for Resolved<'a, '_> {
    fn seg(&self, i: usize) -> Option<Seg<'a>> {
        Some(match self.pieces.get(i)? {
            Piece::Raw(t) => Seg { text: t, wild: self.raw_wild },
            Piece::Lit(t) => Seg { text: t, wild: false },
            Piece::Var { key, default } => Seg { text: self.facts.text_of(key).or(default.as_deref())?, wild: false },
        })
    }
}

/// `aws:username` or `aws:username, 'default'`.
fn variable(inner: &str) -> Piece {
    let (name, default) = match inner.split_once(',') {
        Some((name, d)) => {
            let d = d.trim();
            let d = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')).unwrap_or(d);
            (name.trim(), Some(d.into()))
        }
        None => (inner.trim(), None),
    };
    Piece::Var { key: Key::parse(name), default }
}

/// Splits an ARN pattern into its six colon-separated parts, ignoring colons inside `${…}`
/// (`${aws:username}` is one variable, not two parts).
pub fn arn_parts(pattern: &str, variables: bool) -> Option<[&str; 6]> {
    let mut parts = [""; 6];
    let mut start = 0;
    let mut n = 0;
    let mut depth = 0usize;
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() && n < 5 {
        match b[i] {
            b'$' if variables && b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                parts[n] = &pattern[start..i];
                n += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if n < 5 {
        return None;
    }
    parts[5] = &pattern[start..];
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts<'static> {
        Facts { principal_arn: "arn:aws:iam::111122223333:user/a*ce", username: Some("a*ce"), ..Facts::default() }
    }

    #[test]
    fn variables_are_literal_and_escapes_work() {
        let f = facts();
        let p = Pattern::new("home/${aws:username}/*", true);
        assert!(p.matches("home/a*ce/x", &f));
        // The `*` came from the variable: it is not a wildcard.
        assert!(!p.matches("home/alice/x", &f));
        assert!(Pattern::new("a${*}b", true).matches("a*b", &f));
        assert!(!Pattern::new("a${*}b", true).matches("axb", &f));
        assert!(Pattern::literal("${$}{x}", true).equals("${x}", &f, false));
        assert!(Pattern::new("q${?}", true).matches("q?", &f));
        assert!(!Pattern::new("q${?}", true).matches("qz", &f));
    }

    #[test]
    fn defaults_and_missing_values() {
        let f = facts();
        assert!(Pattern::literal("${aws:SourceVpc, 'none'}", true).equals("none", &f, false));
        assert!(Pattern::literal("${aws:SourceVpc,'none'}", true).equals("none", &f, false));
        // No value and no default: matches nothing, not even the empty string.
        assert!(!Pattern::literal("${aws:SourceVpc}", true).equals("", &f, false));
        assert!(!Pattern::new("*${aws:SourceVpc}", true).matches("anything", &f));
    }

    #[test]
    fn the_2008_version_has_no_variables() {
        let f = facts();
        assert!(Pattern::literal("${aws:username}", false).equals("${aws:username}", &f, false));
        assert!(!Pattern::literal("${aws:username}", false).equals("a*ce", &f, false));
    }

    #[test]
    fn key_names_in_variables_ignore_case() {
        let f = facts();
        assert!(Pattern::literal("${AWS:UserName}", true).equals("a*ce", &f, false));
    }

    #[test]
    fn arn_parts_keep_variables_whole() {
        let parts = arn_parts("arn:aws:s3-outposts:*:${aws:PrincipalAccount}:outpost/*", true).unwrap();
        assert_eq!(parts, ["arn", "aws", "s3-outposts", "*", "${aws:PrincipalAccount}", "outpost/*"]);
        assert!(arn_parts("arn:aws:s3", true).is_none());
        let parts = arn_parts("arn:aws:s3:::b/${aws:username}:x", true).unwrap();
        assert_eq!(parts[5], "b/${aws:username}:x");
    }
}
