//! The `tameio` binary: a shim over `tameio::cli`.

fn main() -> std::process::ExitCode {
    tameio::cli::main()
}
