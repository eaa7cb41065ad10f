//! The configuration loader on arbitrary TOML. Beyond "no panic": every problem it reports
//! names the file (and, past the TOML syntax, the key at fault); a configuration that loads
//! builds a decider; and a secret written in the input never appears in an error message
//! (unless the same text is also written elsewhere, where an error may quote it).
//! Paths in the input resolve under a directory that does not exist, and the loader is the
//! one that never writes (no STS key file is made).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use outpost_gate::config::Config;
use outpost_gate::decide::Decider;

const FILE: &str = "/nonexistent-outpost-gate-fuzz/gate.toml";
/// Seeds write their secrets with this marker; no error may echo it.
const SECRET_MARK: &str = "Fz-S3cr3t-";

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    match Config::from_text(text, Path::new(FILE)) {
        Ok(config) => {
            let _ = Decider::new(&config);
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an error with no problem in it");
            for problem in &errors.0 {
                assert!(problem.starts_with(FILE), "a problem that names no file: {problem}");
                // The marker may be shown back only when the input also has it outside a
                // secret value (as the text of another key, which errors may quote).
                let outside = text.replace(&format!("secret = \"{SECRET_MARK}"), "");
                // An error may quote another key's string value, escaped (`secret = \"…`).
                let quotes_text = problem.contains("secret = \"") || problem.contains("secret = \\\"");
                if !outside.contains(SECRET_MARK) && !quotes_text {
                    assert!(!problem.contains(SECRET_MARK), "a secret in an error: {problem}");
                }
            }
        }
    }
});
