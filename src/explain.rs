//! Why a request was allowed or denied, in words: which policies were read, which
//! statements applied or what stopped them, and the condition that decided, with the values
//! compared. `outpost-gate explain` prints it; `serve` writes it to the debug log for every
//! denied request.
//!
//! It re-runs the same evaluation as the request path with a recording observer, so the
//! trace can't disagree with the decision.

use std::fmt::Write as _;

use crate::authorize::{Decision, PolicyObserver, Reason};
use crate::policy::{Effect, Facts, Observer, Outcome, Policy};

/// Collects one line per policy read and per statement looked at.
pub struct Recorder<'f> {
    facts: &'f Facts<'f>,
    pub lines: Vec<String>,
}

impl<'f> Recorder<'f> {
    pub fn new(facts: &'f Facts<'f>) -> Self {
        Self { facts, lines: Vec::new() }
    }
}

impl PolicyObserver for Recorder<'_> {
    fn policy(&mut self, kind: &'static str, policy: &Policy) {
        self.lines.push(format!("read {kind} policy {}", policy.source));
    }
}

impl Observer for Recorder<'_> {
    fn statement(&mut self, policy: &Policy, index: usize, outcome: Outcome) {
        let Some(st) = policy.statements.get(index) else { return };
        let effect = match st.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        let name = policy.statement_name(index);
        let line = match outcome {
            Outcome::Principal => format!("  {effect} statement {name}: principal does not match"),
            Outcome::Action => format!("  {effect} statement {name}: action does not match"),
            Outcome::Resource => format!("  {effect} statement {name}: resource does not match"),
            Outcome::Condition(i) => {
                let shown = st.conditions.get(i).map(|c| c.describe(self.facts)).unwrap_or_default();
                format!("  {effect} statement {name}: condition false: {shown}")
            }
            Outcome::Applies if st.conditions.is_empty() => format!("  {effect} statement {name}: applies"),
            Outcome::Applies => {
                format!("  {effect} statement {name}: applies: {}", conditions_shown(policy, index, self.facts))
            }
        };
        self.lines.push(line);
    }
}

/// Every condition of a statement with the values compared, joined by `; `.
fn conditions_shown(policy: &Policy, index: usize, facts: &Facts<'_>) -> String {
    let Some(st) = policy.statements.get(index) else { return String::new() };
    st.conditions.iter().map(|c| c.describe(facts)).collect::<Vec<_>>().join("; ")
}

/// The decision line: `Deny: bucket policy statement "…": s3-outposts:signatureAge 660123
/// NumericGreaterThan 600000`.
pub fn verdict_line(decision: &Decision<'_>, facts: &Facts<'_>) -> String {
    let mut s = String::new();
    match decision.reason {
        Reason::AllowedBy(p) | Reason::ExplicitDeny(p) => {
            let word = if decision.allowed { "Allow" } else { "Deny" };
            let _ = write!(s, "{word}: {} policy statement {}", p.kind, p.policy.statement_name(p.statement));
            let conditions = conditions_shown(p.policy, p.statement, facts);
            if !conditions.is_empty() {
                let _ = write!(s, ": {conditions}");
            }
        }
        Reason::ImplicitDeny(why) => {
            let _ = write!(s, "Deny: {why}");
        }
    }
    s
}

/// The whole trace, one line each, ending with the decision line.
pub fn render(recorder: &Recorder<'_>, decision: &Decision<'_>) -> String {
    let mut out = recorder.lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&verdict_line(decision, recorder.facts));
    out
}

/// What `outpost-gate explain` prints, and whether the request would be allowed.
pub struct Explained {
    pub allowed: bool,
    pub text: String,
}

/// Decides a request given as a URL (plus any extra headers) exactly as `serve` would at
/// `arrival`, and explains the decision. Refusals before any policy is read (bad signature,
/// expiry, unknown bucket) are reported with their S3 error.
pub fn explain_url(
    decider: &crate::decide::Decider,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    arrival: &crate::decide::Arrival<'_>,
) -> Result<Explained, String> {
    use crate::decide::host_of;
    use crate::guard::{check_headers, request_tags};
    use crate::sigv4::Query;

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
    let refused = |e: crate::s3err::S3Error| Explained {
        allowed: false,
        text: format!("Deny: refused before any policy was read: {} {}: {}", e.status.as_u16(), e.code, e.message),
    };
    let mut text = String::new();
    let host = match host_of(&parts) {
        Ok(h) => h,
        Err(e) => return Ok(refused(e)),
    };
    let Ok(query) = Query::parse(parts.uri.query().unwrap_or("")) else {
        return Ok(refused(crate::s3err::S3Error::invalid_uri()));
    };
    if let Err(e) = check_headers(&parts.headers) {
        return Ok(refused(e));
    }
    let asked = match decider.catalog.classify(&parts.method, host, parts.uri.path(), &query, &parts.headers) {
        Ok(a) => a,
        Err(e) => return Ok(refused(e)),
    };
    if let Err(e) = decider.check_network(&asked, arrival) {
        let why = match asked.access_point.as_ref().and_then(|ap| ap.vpc_id.as_ref().map(|v| (&ap.name, v))) {
            Some((name, vpc)) => format!(
                "access point {name} serves requests from {vpc} only; this client ({}) is {}",
                arrival.origin.client,
                arrival.origin.vpc.map_or_else(|| "not in a configured VPC".to_owned(), |v| format!("in {v}"))
            ),
            None => "the copy source's access point is bound to another VPC".to_owned(),
        };
        return Ok(Explained { allowed: false, text: format!("{}\n({why})", refused(e).text) });
    }
    let _ = writeln!(text, "request: {} {} (host {host})", parts.method, parts.uri.path());
    let _ = writeln!(text, "action: {} on {}", asked.action.name(), asked.resource);
    let caller = match decider.authenticate(&parts, host, &query, arrival.now()) {
        Ok(c) => c,
        Err(e) => {
            text.push_str(&refused(e).text);
            return Ok(Explained { allowed: false, text });
        }
    };
    let tags = match request_tags(&parts.headers) {
        Ok(t) => t,
        Err(e) => return Ok(refused(e)),
    };
    let facts = decider.facts(arrival, &caller, &asked, &query, &parts.headers, tags.as_deref());
    let _ = writeln!(
        text,
        "caller: {} (access key {}), presigned ({}), signature age {} ms, from {}{}",
        caller.caller.acting_arn(),
        caller.access_key_id,
        caller.algorithm.name(),
        arrival.now_ms.saturating_sub(caller.signed_at.0.saturating_mul(1000)).max(0),
        arrival.origin.client,
        match (arrival.origin.vpc, arrival.origin.vpce) {
            (None, None) => String::new(),
            (vpc, vpce) => format!(" in {} via {}", vpc.unwrap_or("an unlisted VPC"), vpce.unwrap_or("no endpoint")),
        },
    );
    let mut recorder = Recorder::new(&facts);
    let decision = decider.authorize(&facts, &caller, &asked, &mut recorder);
    text.push_str(&render(&recorder, &decision));
    Ok(Explained { allowed: decision.allowed, text })
}
