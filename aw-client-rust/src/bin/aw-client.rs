//! The `aw-client` command-line tool; its code lives in `src/cli/` (one file per
//! command group), outside the library so watchers do not compile it.

#[path = "../cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
