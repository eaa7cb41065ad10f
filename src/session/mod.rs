//! Temporary credentials: sealed, stateless session tokens (`token`) and minting (`mint`).
//! The STS query API that hands them out is at the edge (`edge::sts`).

mod mint;
pub mod token;

pub use mint::{MintError, Session, mint};
