//! The `minicrm` command: parses the command line and runs the command (see `cli/`).

fn main() -> std::process::ExitCode {
    minicrm::cli::main()
}
