//! The `Condition` element: every IAM operator family, `…IfExists`, `ForAllValues:` and
//! `ForAnyValue:` (IAM User Guide, "IAM JSON policy elements: Condition operators" and
//! "Single-valued vs. multivalued context keys").
//!
//! The rules, as AWS documents them:
//! - operators AND, keys AND; several values for one key OR;
//! - a negated operator (`StringNotEquals`, `NotIpAddress`, …) is the negation of its
//!   positive: the request value must match none of the policy's values, and a missing key
//!   makes it true;
//! - a missing key makes a positive operator false; `…IfExists` makes it true for both;
//! - `ForAllValues:` is true over an empty or missing set, `ForAnyValue:` false;
//! - a request value that can't be read as the operator's type matches no policy value.
//!
//! Values are compiled at load (numbers, dates, CIDRs, base64, wildcards), so evaluating
//! allocates nothing.

use std::fmt::Write as _;
use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use serde_json::Value;

use super::arn::ArnGlob;
use super::error::{PolicyError, err};
use super::keys::{Facts, Found, Key, Val};
use super::pattern::Pattern;
use crate::base::ids::parse_net;
use crate::base::time::parse_iso8601_ms;

/// One operator applied to one key.
#[derive(Debug)]
pub struct Condition {
    /// As written, for traces: `NumericGreaterThan`, `ForAllValues:StringLike`.
    pub operator: Box<str>,
    /// As written.
    pub key_name: Box<str>,
    pub key: Key,
    op: Op,
    negated: bool,
    if_exists: bool,
    set: Option<SetOp>,
    values: Values,
    /// As written, for traces.
    shown: Box<[Box<str>]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    BinaryEquals,
    IpAddress,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd + Copy>(self, request: T, policy: T) -> bool {
        match self {
            Self::Eq => request == policy,
            Self::Lt => request < policy,
            Self::Le => request <= policy,
            Self::Gt => request > policy,
            Self::Ge => request >= policy,
        }
    }
}

#[derive(Debug)]
enum Values {
    Strings(Box<[Pattern]>),
    Numbers(Box<[f64]>),
    /// Milliseconds since the epoch.
    Dates(Box<[i64]>),
    Bools(Box<[bool]>),
    Bytes(Box<[Box<[u8]>]>),
    Nets(Box<[IpNet]>),
    Arns(Box<[ArnGlob]>),
}

/// Base operator name → (operator, negated).
fn base_operator(name: &str) -> Option<(Op, bool)> {
    use Cmp::{Eq, Ge, Gt, Le, Lt};
    Some(match name {
        "StringEquals" => (Op::StringEquals, false),
        "StringNotEquals" => (Op::StringEquals, true),
        "StringEqualsIgnoreCase" => (Op::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Op::StringEqualsIgnoreCase, true),
        "StringLike" => (Op::StringLike, false),
        "StringNotLike" => (Op::StringLike, true),
        "NumericEquals" => (Op::Numeric(Eq), false),
        "NumericNotEquals" => (Op::Numeric(Eq), true),
        "NumericLessThan" => (Op::Numeric(Lt), false),
        "NumericLessThanEquals" => (Op::Numeric(Le), false),
        "NumericGreaterThan" => (Op::Numeric(Gt), false),
        "NumericGreaterThanEquals" => (Op::Numeric(Ge), false),
        "DateEquals" => (Op::Date(Eq), false),
        "DateNotEquals" => (Op::Date(Eq), true),
        "DateLessThan" => (Op::Date(Lt), false),
        "DateLessThanEquals" => (Op::Date(Le), false),
        "DateGreaterThan" => (Op::Date(Gt), false),
        "DateGreaterThanEquals" => (Op::Date(Ge), false),
        "Bool" => (Op::Bool, false),
        "BinaryEquals" => (Op::BinaryEquals, false),
        "IpAddress" => (Op::IpAddress, false),
        "NotIpAddress" => (Op::IpAddress, true),
        "ArnEquals" | "ArnLike" => (Op::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Op::Arn, true),
        "Null" => (Op::Null, false),
        _ => return None,
    })
}

/// Compiles a statement's `Condition` block. `variables`: the policy's Version allows them.
pub fn parse_block(block: &Value, variables: bool, at: &str) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = block else {
        return Err(err(at, "must be an object of operators, as in {\"StringEquals\": {\"aws:username\": \"alice\"}}"));
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let path = format!("{at}.{operator}");
        let (set, rest) = if let Some(r) = operator.strip_prefix("ForAllValues:") {
            (Some(SetOp::ForAllValues), r)
        } else if let Some(r) = operator.strip_prefix("ForAnyValue:") {
            (Some(SetOp::ForAnyValue), r)
        } else {
            (None, operator.as_str())
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let Some((op, negated)) = base_operator(base) else {
            return Err(err(path, format!("unknown condition operator \"{operator}\"")));
        };
        if op == Op::Null && (if_exists || set.is_some()) {
            return Err(err(path, "Null takes neither IfExists nor ForAllValues/ForAnyValue"));
        }
        let Value::Object(keys) = keys else {
            return Err(err(path, "must be an object of condition keys and values"));
        };
        if keys.is_empty() {
            return Err(err(path, "names no condition key"));
        }
        for (key_name, value) in keys {
            let path = format!("{path}.{key_name}");
            let raw = scalars(value, &path)?;
            let values = compile_values(op, &raw, variables, &path)?;
            out.push(Condition {
                operator: operator.as_str().into(),
                key_name: key_name.as_str().into(),
                key: Key::parse(key_name),
                op,
                negated,
                if_exists,
                set,
                values,
                shown: raw.into_iter().map(Into::into).collect(),
            });
        }
    }
    Ok(out)
}

/// A value or a non-empty list of them, each a string, number or boolean, as text.
fn scalars(value: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(err(path, "condition values are strings, numbers or booleans")),
    };
    match value {
        Value::Array(items) if items.is_empty() => Err(err(path, "needs at least one value")),
        Value::Array(items) => items.iter().map(one).collect(),
        v => Ok(vec![one(v)?]),
    }
}

fn compile_values(op: Op, raw: &[String], variables: bool, path: &str) -> Result<Values, PolicyError> {
    Ok(match op {
        Op::StringEquals | Op::StringEqualsIgnoreCase => {
            Values::Strings(raw.iter().map(|s| Pattern::literal(s, variables)).collect())
        }
        Op::StringLike => Values::Strings(raw.iter().map(|s| Pattern::new(s, variables)).collect()),
        Op::Numeric(_) => Values::Numbers(each_of(raw, path, "a number", parse_number)?),
        Op::Date(_) => Values::Dates(each_of(
            raw,
            path,
            "a date (ISO 8601, such as 2026-01-31T00:00:00Z, or epoch seconds)",
            parse_date,
        )?),
        Op::Bool | Op::Null => Values::Bools(each_of(raw, path, "true or false", parse_bool)?),
        Op::BinaryEquals => Values::Bytes(each_of(raw, path, "base64", |s| {
            base64::engine::general_purpose::STANDARD.decode(s).ok().map(Vec::into_boxed_slice)
        })?),
        Op::IpAddress => Values::Nets(each_of(raw, path, "an IP address or CIDR range", parse_net)?),
        Op::Arn => Values::Arns(each_of(raw, path, "an ARN", |s| ArnGlob::compile(s, variables))?),
    })
}

/// Every value must read as the operator's type; the error names the one that doesn't.
fn each_of<T>(raw: &[String], path: &str, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<Box<[T]>, PolicyError> {
    raw.iter().map(|s| f(s).ok_or_else(|| err(path, format!("\"{s}\" is not {what}")))).collect()
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    if ok { t.parse().ok().filter(|n: &f64| n.is_finite()) } else { None }
}

fn parse_date(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    parse_iso8601_ms(s)
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// IPv4 clients on a dual-stack socket appear as `::ffff:a.b.c.d`; policies name them as IPv4.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

impl Condition {
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        let found = facts.get(&self.key);
        if self.op == Op::Null {
            let absent = match found {
                Found::Absent => true,
                Found::TagKeys(list) => list.is_empty(),
                Found::One(_) => false,
            };
            let Values::Bools(wants) = &self.values else { return false };
            return wants.contains(&absent);
        }
        match found {
            Found::Absent => {
                self.if_exists
                    || match self.set {
                        Some(SetOp::ForAllValues) => true,
                        Some(SetOp::ForAnyValue) => false,
                        None => self.negated,
                    }
            }
            // The common case: one value, no set operator.
            Found::One(v) if self.set.is_none() => self.matches_any(v, facts) != self.negated,
            Found::One(v) => self.over(std::iter::once(v), facts),
            Found::TagKeys(tags) => self.over(tags.iter().map(|(k, _)| Val::Text(k)), facts),
        }
    }

    /// The request's values against the policy's, as the set operator says.
    fn over<'v>(&self, mut request: impl Iterator<Item = Val<'v>>, facts: &Facts<'_>) -> bool {
        match self.set {
            None => request.any(|v| self.matches_any(v, facts)) != self.negated,
            Some(SetOp::ForAllValues) => request.all(|v| self.matches_any(v, facts) != self.negated),
            Some(SetOp::ForAnyValue) => request.any(|v| self.matches_any(v, facts) != self.negated),
        }
    }

    /// Whether one request value matches at least one policy value (the positive test).
    #[inline]
    fn matches_any(&self, v: Val<'_>, facts: &Facts<'_>) -> bool {
        // Text operators on a typed key (rare) read its text form, made once per request.
        let text = || match v {
            Val::Text(t) => Some(t),
            _ => facts.text_of(&self.key),
        };
        match &self.values {
            Values::Strings(ps) => text().is_some_and(|t| match self.op {
                Op::StringEquals => ps.iter().any(|p| p.equals(t, facts, false)),
                Op::StringEqualsIgnoreCase => ps.iter().any(|p| p.equals(t, facts, true)),
                _ => ps.iter().any(|p| p.matches(t, facts)),
            }),
            Values::Numbers(ns) => {
                let Op::Numeric(cmp) = self.op else { return false };
                #[allow(clippy::cast_precision_loss)] // ages and counts are far below 2^53
                let n = match v {
                    Val::Int(i) => Some(i as f64),
                    Val::Text(t) => parse_number(t),
                    _ => None,
                };
                n.is_some_and(|n| ns.iter().any(|&p| cmp.holds(n, p)))
            }
            Values::Dates(ds) => {
                let Op::Date(cmp) = self.op else { return false };
                let t = match v {
                    Val::Time(ms) => Some(ms),
                    Val::Int(secs) => secs.checked_mul(1000),
                    Val::Text(t) => parse_date(t),
                    _ => None,
                };
                t.is_some_and(|t| ds.iter().any(|&p| cmp.holds(t, p)))
            }
            Values::Bools(bs) => {
                let b = match v {
                    Val::Bool(b) => Some(b),
                    Val::Text(t) => parse_bool(t),
                    _ => None,
                };
                b.is_some_and(|b| bs.contains(&b))
            }
            Values::Bytes(bs) => text().is_some_and(|t| bs.iter().any(|b| **b == *t.as_bytes())),
            Values::Nets(nets) => {
                let ip = match v {
                    Val::Ip(ip) => Some(ip),
                    Val::Text(t) => t.parse().ok(),
                    _ => None,
                };
                ip.map(canonical_ip).is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)))
            }
            Values::Arns(arns) => text().is_some_and(|t| arns.iter().any(|a| a.matches_with(t, facts))),
        }
    }

    /// `s3-outposts:signatureAge 660123 NumericGreaterThan 600000`: the key, the request's
    /// value, the operator and the policy's values, for traces.
    pub fn describe(&self, facts: &Facts<'_>) -> String {
        let mut s = String::new();
        let _ = write!(s, "{} ", self.key_name);
        match facts.get(&self.key) {
            Found::Absent => s.push_str("(absent)"),
            Found::One(_) => s.push_str(facts.text_of(&self.key).unwrap_or("?")),
            Found::TagKeys(tags) => {
                let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
                let _ = write!(s, "[{}]", keys.join(", "));
            }
        }
        let _ = write!(s, " {} ", self.operator);
        if let [one] = &*self.shown {
            s.push_str(one);
        } else {
            let _ = write!(s, "[{}]", self.shown.join(", "));
        }
        s
    }

    /// Whether the gate ever fills this condition's key (for load-time warnings).
    pub fn key_is_known(&self) -> bool {
        self.key != Key::Unset
    }
}
