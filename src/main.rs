//! The `signet` binary: everything lives in `signet-server`.

fn main() -> std::process::ExitCode {
    signet_server::cli::main()
}
