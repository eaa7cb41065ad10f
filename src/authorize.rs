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

use crate::policy::{Policy, PolicyVerdict, PrincipalMatch, RequestContext};

/// Who is asking, with the policies attached to them.
pub struct Subject<'a> {
    pub principal_arn: &'a str,
    pub account: &'a str,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The policy and statement that decided, or why nothing did.
    pub reason: String,
}

pub fn authorize(subject: &Subject<'_>, target: &Target<'_>) -> Decision {
    let ctx = |resource| RequestContext {
        principal_arn: subject.principal_arn,
        principal_account: subject.account,
        action_lower: target.action_lower,
        resource,
    };

    let mut identity_allow: Option<String> = None;
    for policy in subject.identity_policies {
        let v = policy.evaluate(&ctx(target.resource));
        if let Some(d) = deny(policy, &v, "identity") {
            return d;
        }
        if identity_allow.is_none()
            && let Some(i) = v.allowed_by
        {
            identity_allow = Some(format!(
                "identity policy {} statement {}",
                policy.source,
                policy.statement_name(i)
            ));
        }
    }
    let bucket = target
        .bucket_policy
        .map(|p| (p, p.evaluate(&ctx(target.bucket_resource))));
    if let Some((p, v)) = &bucket
        && let Some(d) = deny(p, v, "bucket")
    {
        return d;
    }
    let ap = target
        .access_point
        .and_then(|via| via.policy)
        .map(|p| (p, p.evaluate(&ctx(target.resource))));
    if let Some((p, v)) = &ap
        && let Some(d) = deny(p, v, "access point")
    {
        return d;
    }

    let same_account = subject.account == target.owner_account;
    // A resource policy's allow, as it counts for this caller.
    let grants = |entry: &Option<(&Policy, PolicyVerdict)>, what: &str| -> Option<String> {
        let (p, v) = entry.as_ref()?;
        let counts = match v.allow? {
            PrincipalMatch::Direct => true,
            PrincipalMatch::Account => !same_account,
            PrincipalMatch::No => false,
        };
        counts.then(|| {
            format!(
                "{what} policy {} statement {}",
                p.source,
                p.statement_name(v.allowed_by.unwrap_or(0))
            )
        })
    };
    let bucket_grant = grants(&bucket, "bucket");

    let mut sides = vec![bucket_grant];
    if target.access_point.is_some() {
        sides.push(grants(&ap, "access point"));
    }
    let allowed = if same_account {
        identity_allow.is_some() || sides.iter().all(Option::is_some)
    } else {
        identity_allow.is_some() && sides.iter().all(Option::is_some)
    };
    if allowed {
        let reason = identity_allow
            .or_else(|| sides.into_iter().flatten().next())
            .unwrap_or_default();
        return Decision {
            allowed: true,
            reason: format!("allowed by {reason}"),
        };
    }
    let reason = if same_account {
        "no identity, bucket or access point policy allows it (implicit deny)"
    } else if identity_allow.is_none() {
        "cross-account: no identity policy of the caller allows it (implicit deny)"
    } else {
        "cross-account: the bucket or access point policy does not allow it (implicit deny)"
    };
    Decision {
        allowed: false,
        reason: reason.to_owned(),
    }
}

fn deny(policy: &Policy, v: &PolicyVerdict, what: &str) -> Option<Decision> {
    v.deny.map(|i| Decision {
        allowed: false,
        reason: format!(
            "explicit deny in {what} policy {} statement {}",
            policy.source,
            policy.statement_name(i)
        ),
    })
}

#[cfg(test)]
mod tests;
