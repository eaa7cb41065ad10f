//! `outpost-gate`: everything lives in the library; see `outpost_gate::cli`.

/// mimalloc rather than glibc's malloc: per-thread free lists suit the thread-per-core
/// workers (no arena locks, less CPU per request), and it returns freed pages to the
/// system after a burst, which glibc's per-thread arenas keep.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    outpost_gate::cli::run()
}
