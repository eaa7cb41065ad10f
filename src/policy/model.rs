//! The compiled form of a policy, and the evaluation of one policy against a request.

use super::arn::ArnGlob;
use super::condition::Condition;
use super::glob::Glob;
use super::keys::Facts;

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
    /// Things that load but probably don't do what the author meant (a condition key this
    /// gate never sets, which IAM treats as absent).
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `None` in identity policies.
    pub principal: Option<Principals>,
    pub action: Negatable<Glob>,
    pub resource: Negatable<ArnGlob>,
    /// All must hold.
    pub conditions: Vec<Condition>,
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

/// The request as policies see it: the action and resource, and the facts conditions read.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// Lower case, e.g. `s3-outposts:getobject`: actions match case-insensitively.
    pub action_lower: &'a str,
    pub resource: &'a str,
    pub facts: &'a Facts<'a>,
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
            Self::Account(a) if a == ctx.facts.principal_account => PrincipalMatch::Account,
            Self::Arn(a) if a == ctx.facts.principal_arn || Some(a.as_str()) == ctx.facts.session_arn => {
                PrincipalMatch::Direct
            }
            _ => PrincipalMatch::No,
        }
    }
}

/// Why a statement did or did not apply, for traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Principal,
    Action,
    Resource,
    /// The condition at this index is false.
    Condition(usize),
    Applies,
}

/// Sees every statement looked at. The request path passes `()`, which compiles away;
/// traces (`explain`, the debug log of a denial) pass a recorder.
pub trait Observer {
    fn statement(&mut self, policy: &Policy, index: usize, outcome: Outcome);
}

impl Observer for () {
    #[inline]
    fn statement(&mut self, _: &Policy, _: usize, _: Outcome) {}
}

impl Statement {
    /// How the statement's principal matched (`Direct` for identity policies, which name
    /// none) when it applies; otherwise which element stopped it.
    pub fn applies(&self, ctx: &RequestContext<'_>) -> Result<PrincipalMatch, Outcome> {
        let principal = match &self.principal {
            None => PrincipalMatch::Direct,
            Some(p) => p.matches(ctx),
        };
        if principal == PrincipalMatch::No {
            return Err(Outcome::Principal);
        }
        if self.action.items.iter().any(|g| g.matches(ctx.action_lower)) == self.action.negated {
            return Err(Outcome::Action);
        }
        if self.resource.items.iter().any(|g| g.matches_with(ctx.resource, ctx.facts)) == self.resource.negated {
            return Err(Outcome::Resource);
        }
        if let Some(i) = self.conditions.iter().position(|c| !c.holds(ctx.facts)) {
            return Err(Outcome::Condition(i));
        }
        Ok(principal)
    }
}

impl Policy {
    pub fn evaluate(&self, ctx: &RequestContext<'_>) -> PolicyVerdict {
        self.evaluate_observed(ctx, &mut ())
    }

    pub fn evaluate_observed(&self, ctx: &RequestContext<'_>, observer: &mut impl Observer) -> PolicyVerdict {
        let mut verdict = PolicyVerdict::default();
        for (i, st) in self.statements.iter().enumerate() {
            let m = match st.applies(ctx) {
                Ok(m) => m,
                Err(outcome) => {
                    observer.statement(self, i, outcome);
                    continue;
                }
            };
            observer.statement(self, i, Outcome::Applies);
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
