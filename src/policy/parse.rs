//! The IAM JSON grammar, read with serde_json into the compiled form.
//!
//! Element names are case-sensitive as in IAM. Anything the gate cannot evaluate exactly
//! is a load error naming the statement and element, never silently skipped.

use serde_json::{Map, Value};

use super::arn::ArnGlob;
use super::condition;
use super::error::{PolicyError, err};
use super::glob::Glob;
use super::model::{Effect, Negatable, Policy, PolicyKind, PrincipalPattern, Principals, Statement};
use crate::base::ids::is_account_id;

impl Policy {
    pub fn parse(json: &str, kind: PolicyKind, source: &str) -> Result<Self, PolicyError> {
        parse(json, kind, source)
    }
}

fn parse(json: &str, kind: PolicyKind, source: &str) -> Result<Policy, PolicyError> {
    let doc: Value = serde_json::from_str(json).map_err(|e| err("(document)", format!("not valid JSON: {e}")))?;
    let Value::Object(top) = doc else {
        return Err(err("(document)", "a policy is a JSON object"));
    };
    for key in top.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(err(key.clone(), "unknown policy element"));
        }
    }
    // Policy variables exist only in the 2012 language version; without a Version, IAM
    // reads the policy as 2008-10-17.
    let variables = match top.get("Version") {
        None => false,
        Some(Value::String(v)) if v == "2012-10-17" => true,
        Some(Value::String(v)) if v == "2008-10-17" => false,
        Some(other) => {
            return Err(err("Version", format!("must be \"2012-10-17\" or \"2008-10-17\", not {other}")));
        }
    };
    let statements = match top.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => return Err(err("Statement", "must be an object or an array of objects")),
        None => return Err(err("Statement", "missing")),
    };
    let statements = statements
        .into_iter()
        .enumerate()
        .map(|(i, st)| statement(st, kind, variables, &format!("Statement[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut warnings = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        // A Deny whose condition on a never-set key is false when the key is absent can
        // never apply: AWS, which may set the key, would deny where the gate allows. Refused,
        // so that a Deny never fails open (an `…IfExists` form, true when absent, loads).
        let absent = super::keys::Facts::default();
        if st.effect == Effect::Deny
            && let Some(c) = st.conditions.iter().find(|c| !c.key_is_known() && !c.holds(&absent))
        {
            return Err(err(
                format!("Statement[{i}].Condition.{}", c.operator),
                format!(
                    "a Deny conditioned on \"{}\", a key the gate never sets, would never apply where AWS could deny; \
                     remove the condition, or write it as {}IfExists to deny when the key is absent",
                    c.key_name, c.operator
                ),
            ));
        }
        for c in st.conditions.iter().filter(|c| !c.key_is_known()) {
            warnings.push(format!(
                "Statement[{i}].Condition.{}: the gate never sets the key \"{}\", so it is always absent",
                c.operator, c.key_name
            ));
        }
    }
    Ok(Policy { source: source.to_owned(), kind, statements, warnings })
}

fn statement(value: &Value, kind: PolicyKind, variables: bool, at: &str) -> Result<Statement, PolicyError> {
    let Value::Object(st) = value else {
        return Err(err(at, "a statement is a JSON object"));
    };
    for key in st.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(err(format!("{at}.{key}"), "unknown statement element"));
        }
    }
    let sid = match st.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(err(format!("{at}.Sid"), "must be a string")),
    };
    let effect = match st.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(err(format!("{at}.Effect"), format!("must be \"Allow\" or \"Deny\", not {other}")));
        }
        None => return Err(err(format!("{at}.Effect"), "missing")),
    };

    let principal = match (st.get("Principal"), st.get("NotPrincipal"), kind) {
        (None, None, PolicyKind::Identity) => None,
        (Some(_) | None, Some(_) | None, PolicyKind::Identity) => {
            return Err(err(format!("{at}.Principal"), "identity policies cannot name a principal"));
        }
        (Some(_), Some(_), PolicyKind::Resource) => {
            return Err(err(format!("{at}.Principal"), "use Principal or NotPrincipal, not both"));
        }
        (None, None, PolicyKind::Resource) => {
            return Err(err(format!("{at}.Principal"), "a resource policy statement needs Principal or NotPrincipal"));
        }
        (Some(p), None, PolicyKind::Resource) => Some(principals(p, false, &format!("{at}.Principal"))?),
        (None, Some(p), PolicyKind::Resource) => Some(principals(p, true, &format!("{at}.NotPrincipal"))?),
    };

    let action = negatable(st, "Action", "NotAction", at, |s, path| {
        if s != "*" && !s.contains(':') {
            return Err(err(path, format!("action \"{s}\" needs a service prefix, as in \"s3-outposts:GetObject\"")));
        }
        Ok(Glob::new(&s.to_ascii_lowercase()))
    })?;
    let resource = negatable(st, "Resource", "NotResource", at, |s, path| {
        ArnGlob::compile(s, variables).ok_or_else(|| err(path, format!("resource \"{s}\" is neither \"*\" nor an ARN")))
    })?;
    let conditions = match st.get("Condition") {
        None => Vec::new(),
        Some(block) => condition::parse_block(block, variables, &format!("{at}.Condition"))?,
    };
    Ok(Statement { sid, effect, principal, action, resource, conditions })
}

fn strings<'v>(value: &'v Value, path: &str) -> Result<Vec<&'v str>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(|v| v.as_str().ok_or_else(|| err(path, "every entry must be a string"))).collect()
        }
        _ => Err(err(path, "must be a string or a non-empty array of strings")),
    }
}

fn negatable<T>(
    st: &Map<String, Value>,
    plain: &str,
    not: &str,
    at: &str,
    compile: impl Fn(&str, &str) -> Result<T, PolicyError>,
) -> Result<Negatable<T>, PolicyError> {
    let (negated, name, value) = match (st.get(plain), st.get(not)) {
        (Some(v), None) => (false, plain, v),
        (None, Some(v)) => (true, not, v),
        (Some(_), Some(_)) => {
            return Err(err(format!("{at}.{plain}"), format!("use {plain} or {not}, not both")));
        }
        (None, None) => {
            return Err(err(format!("{at}.{plain}"), format!("missing ({plain} or {not})")));
        }
    };
    let path = format!("{at}.{name}");
    let items = strings(value, &path)?.into_iter().map(|s| compile(s, &path)).collect::<Result<_, _>>()?;
    Ok(Negatable { negated, items })
}

fn principals(value: &Value, negated: bool, path: &str) -> Result<Principals, PolicyError> {
    let items = match value {
        Value::String(s) if s == "*" => vec![PrincipalPattern::Everyone],
        Value::Object(map) => {
            let mut items = Vec::new();
            for (kind, v) in map {
                let names = strings(v, &format!("{path}.{kind}"))?;
                match kind.as_str() {
                    "AWS" => {
                        for name in names {
                            items.push(aws_principal(name, &format!("{path}.AWS"))?);
                        }
                    }
                    "Service" | "Federated" | "CanonicalUser" => {
                        items.push(PrincipalPattern::Other);
                    }
                    other => return Err(err(format!("{path}.{other}"), "unknown principal type")),
                }
            }
            items
        }
        _ => {
            return Err(err(
                path,
                "must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::123456789012:user/alice\"}",
            ));
        }
    };
    Ok(Principals { negated, items })
}

fn aws_principal(name: &str, path: &str) -> Result<PrincipalPattern, PolicyError> {
    if name == "*" {
        return Ok(PrincipalPattern::Everyone);
    }
    if is_account_id(name) {
        return Ok(PrincipalPattern::Account(name.to_owned()));
    }
    if name.contains('*') || name.contains('?') {
        return Err(err(path, format!("\"{name}\": wildcards are not allowed in principal ARNs; use a Condition")));
    }
    if let Some(rest) = name.strip_prefix("arn:aws:iam::")
        && let Some((account, resource)) = rest.split_once(':')
        && is_account_id(account)
    {
        if resource == "root" {
            return Ok(PrincipalPattern::Account(account.to_owned()));
        }
        if resource.starts_with("user/") || resource.starts_with("role/") {
            return Ok(PrincipalPattern::Arn(name.to_owned()));
        }
    }
    if name.starts_with("arn:aws:sts::") && name.contains(":assumed-role/") {
        return Ok(PrincipalPattern::Arn(name.to_owned()));
    }
    Err(err(path, format!("\"{name}\" is not an account id, \"*\", or an IAM user, role or assumed-role ARN")))
}
