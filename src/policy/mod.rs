//! IAM policies: the JSON grammar, compiled once at load, evaluated without allocating.
//!
//! - `parse`: JSON → compiled `Policy` (elements, wildcards, principals), with errors that
//!   name the statement and element at fault.
//! - `glob`: `*` / `?` matching, precompiled.
//! - this file: the compiled form and the per-policy evaluation.
//!
//! Follows "Policy evaluation logic" and "IAM JSON policy elements reference" in the IAM
//! User Guide. Not yet here: the `Condition` element. A policy that uses it is refused at
//! load rather than evaluated partly, because ignoring a condition can only widen access.

mod glob;
mod parse;

pub use glob::Glob;
pub use parse::PolicyError;

/// Identity policies are attached to a user or role and name no principal; resource
/// policies (bucket, access point) must name one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug)]
pub struct Policy {
    /// Where it came from, for traces and errors (the file name).
    pub source: String,
    pub kind: PolicyKind,
    pub statements: Vec<Statement>,
}

#[derive(Debug)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `None` in identity policies.
    pub principal: Option<Principals>,
    pub action: Negatable<Glob>,
    pub resource: Negatable<ArnGlob>,
}

/// `Action` / `NotAction`, `Resource` / `NotResource`, `Principal` / `NotPrincipal`.
#[derive(Debug)]
pub struct Negatable<T> {
    pub negated: bool,
    pub items: Vec<T>,
}

#[derive(Debug)]
pub struct Principals {
    pub negated: bool,
    pub items: Vec<PrincipalPattern>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalPattern {
    /// `"*"` or `{"AWS": "*"}`: everyone, authenticated or not.
    Everyone,
    /// A 12-digit account or `arn:aws:iam::ACCOUNT:root`: the account, which then delegates
    /// to its own identity policies.
    Account(String),
    /// A user or role ARN, matched exactly.
    Arn(String),
    /// Service, Federated and CanonicalUser principals: kept so the policy loads, never
    /// matched by a presigned request.
    Other,
}

/// A resource ARN pattern matched part by part: wildcards in the first five parts stay
/// within their part, the resource part matches across `/` and `:`.
#[derive(Debug)]
pub enum ArnGlob {
    Any,
    /// No wildcard before the resource part: one glob over the whole ARN is the same test
    /// (an exact part cannot span a colon), and the common case.
    Whole(Glob),
    Parts(Box<[Glob; 6]>),
}

impl ArnGlob {
    pub fn new(pattern: &str) -> Option<Self> {
        if pattern == "*" {
            return Some(Self::Any);
        }
        let mut parts = pattern.splitn(6, ':');
        let mut next = || parts.next();
        let raw = [next()?, next()?, next()?, next()?, next()?, next()?];
        if raw[..5].iter().all(|p| !p.contains(['*', '?'])) {
            return Some(Self::Whole(Glob::new(pattern)));
        }
        Some(Self::Parts(Box::new(raw.map(Glob::new))))
    }

    pub fn matches(&self, arn: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Whole(g) => g.matches(arn),
            Self::Parts(globs) => {
                let mut parts = arn.splitn(6, ':');
                globs.iter().all(|g| parts.next().is_some_and(|p| g.matches(p)))
            }
        }
    }
}

/// The request as policies see it. Strings are borrowed from the request and config.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    pub principal_arn: &'a str,
    pub principal_account: &'a str,
    /// Lower case, e.g. `s3-outposts:getobject`: actions match case-insensitively.
    pub action_lower: &'a str,
    pub resource: &'a str,
}

/// How a statement's principal element matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    No,
    /// Only through the account: for a same-account caller this is a delegation to its
    /// identity policies, not a grant.
    Account,
    /// By name or `*`.
    Direct,
}

/// What one policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PolicyVerdict {
    /// An Allow statement applies (with how its principal matched, for resource policies).
    pub allow: Option<PrincipalMatch>,
    /// The first Deny statement that applies, by index.
    pub deny: Option<usize>,
    /// The Allow statement that applied, by index, for traces.
    pub allowed_by: Option<usize>,
}

impl Principals {
    fn matches(&self, ctx: &RequestContext<'_>) -> PrincipalMatch {
        let best = self.items.iter().map(|p| p.matches(ctx)).max().unwrap_or(PrincipalMatch::No);
        match (self.negated, best) {
            (false, m) => m,
            // NotPrincipal: applies to everyone not listed.
            (true, PrincipalMatch::No) => PrincipalMatch::Direct,
            (true, _) => PrincipalMatch::No,
        }
    }
}

impl PrincipalPattern {
    fn matches(&self, ctx: &RequestContext<'_>) -> PrincipalMatch {
        match self {
            Self::Everyone => PrincipalMatch::Direct,
            Self::Account(a) if a == ctx.principal_account => PrincipalMatch::Account,
            Self::Arn(a) if a == ctx.principal_arn => PrincipalMatch::Direct,
            _ => PrincipalMatch::No,
        }
    }
}

impl Statement {
    /// `None` when the statement does not apply; otherwise how its principal matched
    /// (`Direct` for identity policies, which have none).
    pub fn applies(&self, ctx: &RequestContext<'_>) -> Option<PrincipalMatch> {
        let principal = match &self.principal {
            None => PrincipalMatch::Direct,
            Some(p) => p.matches(ctx),
        };
        if principal == PrincipalMatch::No {
            return None;
        }
        let action = self.action.items.iter().any(|g| g.matches(ctx.action_lower)) != self.action.negated;
        let resource = self.resource.items.iter().any(|g| g.matches(ctx.resource)) != self.resource.negated;
        (action && resource).then_some(principal)
    }
}

impl Policy {
    pub fn parse(json: &str, kind: PolicyKind, source: &str) -> Result<Self, PolicyError> {
        parse::parse(json, kind, source)
    }

    pub fn evaluate(&self, ctx: &RequestContext<'_>) -> PolicyVerdict {
        let mut verdict = PolicyVerdict::default();
        for (i, st) in self.statements.iter().enumerate() {
            let Some(m) = st.applies(ctx) else { continue };
            match st.effect {
                Effect::Deny => {
                    verdict.deny = Some(i);
                    return verdict;
                }
                Effect::Allow => {
                    if verdict.allow.is_none_or(|prev| m > prev) {
                        verdict.allow = Some(m);
                        verdict.allowed_by = Some(i);
                    }
                }
            }
        }
        verdict
    }

    /// `Sid` or `Statement[i]`, for traces.
    pub fn statement_name(&self, i: usize) -> String {
        match self.statements.get(i).and_then(|s| s.sid.as_deref()) {
            Some(sid) => format!("\"{sid}\""),
            None => format!("Statement[{i}]"),
        }
    }
}
