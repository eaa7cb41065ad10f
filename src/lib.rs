pub mod s3err;
pub mod secret;
pub mod sigv4;
pub mod time;
pub mod authorize;
pub mod policy;
pub mod classify;
pub mod config;
