//! Resource ARN patterns, matched part by part.

use super::keys::Facts;
use super::pattern::{self, Pattern};

/// A resource ARN pattern matched part by part: wildcards in the first five parts stay
/// within their part, the resource part matches across `/` and `:`.
#[derive(Debug)]
pub enum ArnGlob {
    Any,
    /// No wildcard or variable before the resource part: one match over the whole ARN is
    /// the same test (an exact part cannot span a colon), and the common case.
    Whole(Pattern),
    Parts(Box<[Pattern; 6]>),
}

impl ArnGlob {
    /// Without policy variables (2008-10-17 policies, and tests).
    pub fn new(pattern: &str) -> Option<Self> {
        Self::compile(pattern, false)
    }

    pub fn compile(pattern: &str, variables: bool) -> Option<Self> {
        if pattern == "*" {
            return Some(Self::Any);
        }
        let parts = pattern::arn_parts(pattern, variables)?;
        // A part with a wildcard or a variable must be matched on its own.
        let plain = |p: &&str| !(p.contains(['*', '?']) || (variables && p.contains("${")));
        if parts[..5].iter().all(plain) {
            return Some(Self::Whole(Pattern::new(pattern, variables)));
        }
        Some(Self::Parts(Box::new(parts.map(|p| Pattern::new(p, variables)))))
    }

    /// Matching with no request facts: a variable has no value.
    pub fn matches(&self, arn: &str) -> bool {
        self.matches_with(arn, &Facts::default())
    }

    pub fn matches_with(&self, arn: &str, facts: &Facts<'_>) -> bool {
        match self {
            Self::Any => true,
            Self::Whole(p) => p.matches(arn, facts),
            Self::Parts(patterns) => {
                let mut parts = arn.splitn(6, ':');
                patterns.iter().all(|p| parts.next().is_some_and(|part| p.matches(part, facts)))
            }
        }
    }
}
