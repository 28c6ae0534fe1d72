//! The `signet` binary: everything lives in `signet-server`.

/// jemalloc instead of glibc malloc, with its options compiled in from
/// `.cargo/config.toml`: see docs/reliability.md ("Load and soak").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    signet_server::cli::main()
}
