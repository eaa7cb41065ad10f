//! May this principal do this action on this resource? Combines identity, bucket and
//! access point policies the way S3 does (IAM User Guide, "Policy evaluation logic" and
//! "Cross-account policy evaluation logic"; S3 on Outposts access points):
//!
//! - an explicit Deny in any of them wins;
//! - same account (the caller's account owns the outpost): the identity policy *or* the
//!   resource policy must allow; a resource policy that names only the account delegates to
//!   identity policies and grants nothing by itself;
//! - cross-account: the identity policy *and* the resource policy must allow;
//! - through an access point, both the access point policy and the bucket policy count as
//!   resource policies and each must be satisfied that way.
//!
//! Pure: compiled policies and request facts in, a `Decision` out.

use crate::policy::{Facts, Observer, Policy, PolicyVerdict, PrincipalMatch, RequestContext};

/// Who is asking (the principal is in the request's facts), with their identity policies.
/// The facts are only read while deciding; a decision borrows the policies alone.
pub struct Subject<'f, 'a> {
    pub facts: &'f Facts<'f>,
    pub identity_policies: &'a [std::sync::Arc<Policy>],
}

/// What is asked, with the policies attached to it.
pub struct Target<'a> {
    pub owner_account: &'a str,
    pub action_lower: &'a str,
    /// The ARN addressed: bucket or object, or access point or access-point object.
    pub resource: &'a str,
    /// The same object or bucket as a bucket ARN (what the bucket policy sees).
    pub bucket_resource: &'a str,
    pub bucket_policy: Option<&'a Policy>,
    /// Set when the request came through an access point.
    pub access_point: Option<ViaAccessPoint<'a>>,
}

/// An access point on the request's path, with its policy if it has one.
#[derive(Clone, Copy)]
pub struct ViaAccessPoint<'a> {
    pub policy: Option<&'a Policy>,
}

/// The outcome, with what decided it. Borrowed, so deciding allocates nothing; it is
/// formatted only when a log line or `explain` asks.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    pub allowed: bool,
    pub reason: Reason<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum Reason<'a> {
    AllowedBy(PolicyRef<'a>),
    ExplicitDeny(PolicyRef<'a>),
    ImplicitDeny(&'static str),
}

/// One statement of one policy, and what kind of policy it is.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRef<'a> {
    pub kind: &'static str,
    pub policy: &'a Policy,
    pub statement: usize,
}

impl std::fmt::Display for PolicyRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.policy.statement_name(self.statement);
        write!(f, "{} policy {} statement {name}", self.kind, self.policy.source)
    }
}

impl std::fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AllowedBy(p) => write!(f, "allowed by {p}"),
            Self::ExplicitDeny(p) => write!(f, "explicit deny in {p}"),
            Self::ImplicitDeny(why) => f.write_str(why),
        }
    }
}

/// Sees which policies are read, in order, besides their statements (for traces).
pub trait PolicyObserver: Observer {
    fn policy(&mut self, _kind: &'static str, _policy: &Policy) {}
}

impl PolicyObserver for () {}

pub fn authorize<'a>(subject: &Subject<'_, 'a>, target: &Target<'a>) -> Decision<'a> {
    authorize_observed(subject, target, &mut ())
}

pub fn authorize_observed<'a>(
    subject: &Subject<'_, 'a>,
    target: &Target<'a>,
    observer: &mut impl PolicyObserver,
) -> Decision<'a> {
    let ctx = |resource| RequestContext { action_lower: target.action_lower, resource, facts: subject.facts };
    let deny = |r| Decision { allowed: false, reason: Reason::ExplicitDeny(r) };

    let mut identity_allow: Option<PolicyRef<'a>> = None;
    for policy in subject.identity_policies {
        observer.policy("identity", policy);
        let v = policy.evaluate_observed(&ctx(target.resource), observer);
        if let Some(statement) = v.deny {
            return deny(PolicyRef { kind: "identity", policy, statement });
        }
        if identity_allow.is_none()
            && let Some(statement) = v.allowed_by
        {
            identity_allow = Some(PolicyRef { kind: "identity", policy, statement });
        }
    }
    // Resource policies: the bucket's (it sees the bucket ARN), then the access point's.
    let mut evaluate = |policy: Option<&'a Policy>, resource, kind| match policy {
        None => Ok(None),
        Some(policy) => {
            observer.policy(kind, policy);
            let v = policy.evaluate_observed(&ctx(resource), observer);
            match v.deny {
                Some(statement) => Err(deny(PolicyRef { kind, policy, statement })),
                None => Ok(Some((policy, v))),
            }
        }
    };
    let bucket = match evaluate(target.bucket_policy, target.bucket_resource, "bucket") {
        Ok(b) => b,
        Err(d) => return d,
    };
    let ap = match evaluate(target.access_point.and_then(|via| via.policy), target.resource, "access point") {
        Ok(a) => a,
        Err(d) => return d,
    };

    let same_account = subject.facts.principal_account == target.owner_account;
    // A resource policy's allow, as it counts for this caller.
    let grants = |entry: Option<(&'a Policy, PolicyVerdict)>, kind| -> Option<PolicyRef<'a>> {
        let (policy, v) = entry?;
        let counts = match v.allow? {
            PrincipalMatch::Direct => true,
            PrincipalMatch::Account => !same_account,
            PrincipalMatch::No => false,
        };
        counts.then_some(PolicyRef { kind, policy, statement: v.allowed_by.unwrap_or(0) })
    };
    let bucket_grant = grants(bucket, "bucket");
    // Through an access point its policy is a second resource policy to satisfy.
    let ap_grant = match target.access_point {
        Some(_) => grants(ap, "access point").map(Some),
        None => Some(None),
    };
    let resource_sides = bucket_grant.is_some() && ap_grant.is_some();
    let allowed = if same_account {
        identity_allow.is_some() || resource_sides
    } else {
        identity_allow.is_some() && resource_sides
    };
    if allowed {
        let by = identity_allow.or(bucket_grant).or(ap_grant.flatten());
        if let Some(by) = by {
            return Decision { allowed: true, reason: Reason::AllowedBy(by) };
        }
    }
    let why = if same_account {
        "no identity, bucket or access point policy allows it (implicit deny)"
    } else if identity_allow.is_none() {
        "cross-account: no identity policy of the caller allows it (implicit deny)"
    } else {
        "cross-account: the bucket or access point policy does not allow it (implicit deny)"
    };
    Decision { allowed: false, reason: Reason::ImplicitDeny(why) }
}

#[cfg(test)]
mod tests;
