//! IAM policies: the JSON grammar, compiled once at load, evaluated without allocating.
//!
//! - `parse`: JSON → compiled `Policy` (elements, wildcards, principals), with errors that
//!   name the statement and element at fault.
//! - `condition`: the `Condition` element, every operator family.
//! - `keys`: condition key names and the per-request `Facts` they read.
//! - `pattern`: policy variables (`${aws:username}`) and wildcard matching over them.
//! - `glob`: `*` / `?` matching, precompiled.
//! - `model`: the compiled form and the per-policy evaluation.
//! - `arn`: resource ARN patterns; `error`: load errors naming the element at fault.
//!
//! Follows "Policy evaluation logic" and "IAM JSON policy elements reference" in the IAM
//! User Guide. Pure: compiled policies and request facts in, verdicts out.

mod arn;
mod condition;
mod error;
mod glob;
pub mod keys;
mod model;
mod parse;
mod pattern;

pub use arn::ArnGlob;
pub use condition::Condition;
pub use error::PolicyError;
pub use glob::Glob;
pub use keys::{AccessPointFacts, AuthFacts, Facts};
pub use model::*;
pub use pattern::Pattern;
