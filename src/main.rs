//! `outpost-gate`: everything lives in the library; see `outpost_gate::cli`.

fn main() -> std::process::ExitCode {
    outpost_gate::cli::run()
}
