//! The `keyhound` binary: everything lives in the library; see `cli`.

fn main() -> std::process::ExitCode {
    keyhound::cli::main()
}
