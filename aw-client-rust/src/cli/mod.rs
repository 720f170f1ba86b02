//! The `aw-client` program: parses the command line, connects the blocking client
//! (with the API key from `--api-key`, `AW_API_KEY` or the local server's config),
//! runs one command and turns its outcome into a message and an exit code.
//!
//! What must stay true: every command writes its result to stdout and everything
//! else (progress, warnings, errors) to stderr, so its output can be piped.

mod args;
mod buckets;
mod document;
mod error;
mod export;
mod import;
mod import_send;
mod progress;
mod query;
mod scan;
mod settings;
mod table;
mod time;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use aw_client_rust::blocking::AwClient;
use aw_client_rust::Error;

use crate::cli::args::{Cli, Command};
use crate::cli::error::{CliError, Target};

/// Runs the program.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.verbose {
        log::set_max_level(log::LevelFilter::Debug);
        // Only fails if a logger is already set, which nothing else does.
        let _ = log::set_logger(&StderrLogger);
    }
    let mut stdout = io::stdout().lock();
    let outcome = run(cli, &mut stdout).and_then(|()| stdout.flush().map_err(CliError::output));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("aw-client: error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// The connection every command uses.
pub struct Ctx {
    /// The blocking client.
    pub client: AwClient,
    /// What error messages say about the server.
    pub target: Target,
}

impl Ctx {
    /// A client error as the user should see it.
    pub fn fail(&self, err: Error) -> CliError {
        self.target.error(err, None)
    }

    /// A client error of a request about `bucket_id` (a 404 means no such bucket).
    pub fn fail_bucket(&self, err: Error, bucket_id: &str) -> CliError {
        self.target.error(err, Some(bucket_id))
    }
}

fn connect(cli: &Cli) -> Result<Ctx, CliError> {
    let port = cli.port.unwrap_or(if cli.testing { 5666 } else { 5600 });
    let api_key = cli
        .api_key
        .clone()
        .filter(|key| !key.is_empty())
        .or_else(|| aw_client_rust::local_server_api_key(&cli.host, port));
    let client = match &api_key {
        Some(key) => {
            AwClient::new_with_api_key(&cli.host, port, "aw-client", Some(key.to_string()))
        }
        None => AwClient::new(&cli.host, port, "aw-client"),
    };
    let hint = match (cli.port, cli.testing) {
        (Some(_), _) => "",
        (None, false) => " try --testing for port 5666",
        (None, true) => " (without --testing the port is 5600)",
    };
    let target = Target {
        address: format!("{}:{port}", cli.host),
        has_key: api_key.is_some(),
        hint,
    };
    let client = client.map_err(|err| target.error(err, None))?;
    log::debug!(
        "server {}, API key {}",
        client.baseurl,
        if api_key.is_some() { "set" } else { "not set" }
    );
    Ok(Ctx { client, target })
}

fn run(cli: Cli, out: &mut dyn Write) -> Result<(), CliError> {
    let ctx = connect(&cli)?;
    match cli.command {
        Command::Buckets(args) => buckets::list(&ctx, &args, out),
        Command::Events(args) => buckets::events(&ctx, &args, out),
        Command::Heartbeat(args) => buckets::heartbeat(&ctx, &args, out),
        Command::DeleteBucket(args) => buckets::delete(&ctx, &args, out),
        Command::Query(args) => query::query(&ctx, &args, out),
        Command::Report(args) => query::report(&ctx, &args, out),
        Command::Canonical(args) => query::canonical(&ctx, &args, out),
        Command::Export(args) => export::export(&ctx, &args, out),
        Command::Import(args) => import::import(&ctx, &args, out),
        Command::Settings(command) => settings::settings(&ctx, &command, out),
        Command::PrivacyApply(args) => settings::privacy_apply(&ctx, &args, out),
        Command::RetentionApply(args) => settings::retention_apply(&ctx, &args, out),
    }
}

/// `-v`: log records on stderr.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "aw-client: {}: {}",
                record.level().as_str().to_lowercase(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}
