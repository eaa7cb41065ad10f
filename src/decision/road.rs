//! The one road a request takes through the decision, shared by `serve` (`edge::gate`)
//! and `explain`: the headers guarded, the request classified, the network checked, the
//! signature verified, the facts gathered, the policies evaluated. A `Witness` sees each
//! step as it happens (the access line, the words of `explain`), so the two callers cannot
//! drift apart. Synchronous and pure: the facts and any trace live on the stack.

use http::request::Parts;

use crate::base::s3err::S3Error;
use crate::decision::authorize::Decision;
use crate::decision::classify::{Action, Asked};
use crate::decision::decide::{Arrival, Authenticated, Claim, Decider};
use crate::decision::guard::{check_headers, check_permission_headers, request_tags};
use crate::decision::trace::Recorder;
use crate::policy::Facts;
use crate::sigv4::Query;

/// The request as the road reads it.
#[derive(Clone, Copy)]
pub struct RequestView<'r> {
    pub parts: &'r Parts,
    /// Lower case, without the port (`host_of`).
    pub host: &'r str,
    pub path: &'r str,
    pub query: &'r Query<'r>,
}

/// Where a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Headers,
    Classify,
    Network,
    Authenticate,
    Tags,
}

#[derive(Debug)]
pub struct Refusal {
    pub step: Step,
    pub error: S3Error,
}

/// A request that was authenticated, and whether its policies allow it.
pub struct Decided {
    pub asked: Asked,
    pub caller: Authenticated,
    pub allowed: bool,
}

/// Sees the road's steps. Every method does nothing unless overridden.
pub trait Witness {
    fn classified(&mut self, _asked: &Asked) {}
    /// Who claims to sign, and how, before the claim is checked (never the secret).
    fn claimed(&mut self, _claim: Claim) {}
    fn authenticated(&mut self, _caller: &Authenticated, _facts: &Facts<'_>) {}
    /// Whether to evaluate the policies a second time with a recorder, given the verdict:
    /// the reasons cost nothing unless someone reads them.
    fn wants_reasons(&self, _allowed: bool) -> bool {
        false
    }
    fn reasons(&mut self, _caller: &Authenticated, _asked: &Asked, _recorder: &Recorder<'_>, _decision: &Decision<'_>) {
    }
}

impl Witness for () {}

impl Decider {
    /// Runs the road for `req` arriving at `arrival`.
    pub fn decide(
        &self,
        req: RequestView<'_>,
        arrival: &Arrival<'_>,
        trace: &mut impl Witness,
    ) -> Result<Decided, Refusal> {
        let at = |step| move |error| Refusal { step, error };
        let RequestView { parts, host, path, query } = req;
        check_headers(&parts.headers).map_err(at(Step::Headers))?;
        let asked =
            self.catalog.classify(&parts.method, host, path, query, &parts.headers).map_err(at(Step::Classify))?;
        trace.classified(&asked);
        // PutObjectTagging's tag set is its body, which S3 reads for the tag conditions; the
        // header would be judged while the store applies the body, so it is refused there.
        if asked.action == Action::PutObjectTagging && parts.headers.contains_key("x-amz-tagging") {
            return Err(at(Step::Tags)(
                S3Error::invalid_argument(
                    "x-amz-tagging is not read by PutObjectTagging: the tag set is the request body",
                )
                .with("ArgumentName", "x-amz-tagging"),
            ));
        }
        self.check_network(&asked, arrival).map_err(at(Step::Network))?;
        trace.claimed(Claim::of(&parts.headers, query));
        let caller = self.authenticate(parts, host, query, arrival.now()).map_err(at(Step::Authenticate))?;
        check_permission_headers(&parts.headers).map_err(at(Step::Headers))?;
        let tags = request_tags(&parts.headers).map_err(at(Step::Tags))?;
        let allowed = {
            let facts = self.facts(arrival, &caller, &asked, query, &parts.headers, tags.as_deref());
            trace.authenticated(&caller, &facts);
            let allowed = self.authorize(&facts, &caller, &asked, &mut ()).allowed;
            if trace.wants_reasons(allowed) {
                let mut recorder = Recorder::new(&facts);
                let decision = self.authorize(&facts, &caller, &asked, &mut recorder);
                trace.reasons(&caller, &asked, &recorder, &decision);
            }
            allowed
        };
        Ok(Decided { asked, caller, allowed })
    }
}
