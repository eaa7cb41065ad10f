//! `outpost-gate explain`: a request given as a URL, decided exactly as `serve` would
//! decide it (the same road, `road`), with each step and the policies' reasons in words.

use std::fmt::Write as _;

use crate::base::s3err::S3Error;
use crate::decision::authorize::Decision;
use crate::decision::classify::Asked;
use crate::decision::decide::{Arrival, Authenticated, Decider, host_of};
use crate::decision::road::{RequestView, Step, Witness};
use crate::decision::trace::{Recorder, render};
use crate::policy::Facts;
use crate::sigv4::{AuthForm, Query};

/// What `outpost-gate explain` prints, and whether the request would be allowed.
pub struct Explained {
    pub allowed: bool,
    pub text: String,
}

/// Decides a request given as a URL (plus any extra headers) exactly as `serve` would at
/// `arrival`, and explains the decision. Refusals before any policy is read (bad signature,
/// expiry, unknown bucket) are reported with their S3 error.
pub fn explain_url(
    decider: &Decider,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    arrival: &Arrival<'_>,
) -> Result<Explained, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("--url: {e}"))?;
    let authority =
        uri.authority().ok_or("--url: needs a scheme and a host, as in http://localhost:8080/bucket/key")?;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str))
        .header(http::header::HOST, authority.as_str());
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let (parts, ()) = builder.body(()).map_err(|e| format!("--method/--header: {e}"))?.into_parts();
    let host = match host_of(&parts) {
        Ok(h) => h,
        Err(e) => return Ok(refused(&e)),
    };
    let Ok(query) = Query::parse(parts.uri.query().unwrap_or("")) else {
        return Ok(refused(&S3Error::invalid_uri()));
    };
    let mut words = Words { arrival, parts: &parts, host, steps: String::new(), network: String::new() };
    let req = RequestView { parts: &parts, host, path: parts.uri.path(), query: &query };
    match decider.decide(req, arrival, &mut words) {
        Ok(decided) => Ok(Explained { allowed: decided.allowed, text: words.steps }),
        Err(r) => Ok(match r.step {
            Step::Network => {
                Explained { allowed: false, text: format!("{}\n({})", refused(&r.error).text, words.network) }
            }
            Step::Authenticate => {
                words.steps.push_str(&refused(&r.error).text);
                Explained { allowed: false, text: words.steps }
            }
            Step::Headers | Step::Classify | Step::Tags => refused(&r.error),
        }),
    }
}

fn refused(e: &S3Error) -> Explained {
    Explained {
        allowed: false,
        text: format!("Deny: refused before any policy was read: {} {}: {}", e.status.as_u16(), e.code, e.message),
    }
}

/// The road's steps in words.
struct Words<'a> {
    arrival: &'a Arrival<'a>,
    parts: &'a http::request::Parts,
    host: &'a str,
    steps: String,
    /// Why the network check would refuse, written before it runs.
    network: String,
}

impl Witness for Words<'_> {
    fn classified(&mut self, asked: &Asked) {
        let arrival = self.arrival;
        self.network = match asked.access_point.as_ref().and_then(|ap| ap.vpc_id.as_ref().map(|v| (&ap.name, v))) {
            Some((name, vpc)) => format!(
                "access point {name} serves requests from {vpc} only; this client ({}) is {}",
                arrival.origin.client,
                arrival.origin.vpc.map_or_else(|| "not in a configured VPC".to_owned(), |v| format!("in {v}"))
            ),
            None => "the copy source's access point is bound to another VPC".to_owned(),
        };
        let _ = writeln!(self.steps, "request: {} {} (host {})", self.parts.method, self.parts.uri.path(), self.host);
        let _ = writeln!(self.steps, "action: {} on {}", asked.action.name(), asked.resource);
    }

    fn authenticated(&mut self, caller: &Authenticated, _facts: &Facts<'_>) {
        let arrival = self.arrival;
        let _ = writeln!(
            self.steps,
            "caller: {} (access key {}), {} ({}), signature age {} ms, from {}{}",
            caller.caller.acting_arn(),
            caller.access_key_id,
            if caller.form == AuthForm::Query { "presigned" } else { "header-signed" },
            caller.algorithm.name(),
            arrival.now_ms.saturating_sub(caller.signed_at.0.saturating_mul(1000)).max(0),
            arrival.origin.client,
            match (arrival.origin.vpc, arrival.origin.vpce) {
                (None, None) => String::new(),
                (vpc, vpce) => {
                    format!(" in {} via {}", vpc.unwrap_or("an unlisted VPC"), vpce.unwrap_or("no endpoint"))
                }
            },
        );
    }

    fn wants_reasons(&self, _allowed: bool) -> bool {
        true
    }

    fn reasons(&mut self, _: &Authenticated, _: &Asked, recorder: &Recorder<'_>, decision: &Decision<'_>) {
        self.steps.push_str(&render(recorder, decision));
    }
}
