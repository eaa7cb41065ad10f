//! `outpost-gate`: everything lives in the library; see `outpost_gate::cli`.

/// jemalloc rather than glibc's malloc: less CPU per request on the thread-per-core
/// workers, and its background thread returns freed memory to the system a few seconds
/// after a burst, which glibc's per-thread arenas keep (benches/README.md, session 9).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    outpost_gate::cli::run()
}
