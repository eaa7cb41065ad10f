//! Policy load errors, naming the statement and element at fault.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PolicyError {
    /// Where in the document: `Statement[1].Action`.
    pub path: String,
    pub message: String,
}

pub(super) fn err(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError { path: path.into(), message: message.into() }
}
