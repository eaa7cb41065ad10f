//! Why policies allowed or denied a request, in words: which policies were read, which
//! statements applied or what stopped them, and the condition that decided, with the values
//! compared. `explain` prints it; `serve` writes it to the debug log for a denied request.
//!
//! The road re-runs the same evaluation with this recording observer, so the trace can't
//! disagree with the decision.

use std::fmt::Write as _;

use crate::decision::authorize::{Decision, PolicyObserver, Reason};
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
