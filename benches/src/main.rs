//! The `aw-bench` command line: `gen`, `load`, `run` and `compare` subcommands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use aw_benches::gen::{self, GenConfig};
use aw_benches::load::{self, ChunkMode, LoadConfig};
use aw_benches::report::Report;
use aw_benches::run::{self, RunConfig};
use aw_benches::{compare, Result};

/// Realistic ActivityWatch datasets and an HTTP benchmark suite for any ActivityWatch server.
#[derive(Debug, Parser)]
#[command(name = "aw-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a deterministic dataset as an ActivityWatch export file.
    Gen {
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Total number of events (window 56.7 %, AFK 3.7 %, Chrome 26.4 %, Firefox 13.2 %).
        #[arg(long, default_value_t = 545_000)]
        events: usize,
        /// Number of days covered.
        #[arg(long, default_value_t = 380)]
        days: u32,
        /// The day after the last simulated day (YYYY-MM-DD, UTC).
        #[arg(long, default_value = "2026-06-12")]
        end: NaiveDate,
        /// Host name used in bucket ids.
        #[arg(long, default_value = "benchhost")]
        hostname: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import an export file into a server (in chunks) and verify the event counts.
    Load {
        /// Server base URL, e.g. http://127.0.0.1:5667
        #[arg(long)]
        url: String,
        /// Events per request.
        #[arg(long, default_value_t = 20_000)]
        chunk: usize,
        /// How chunks after a bucket's first are sent.
        #[arg(long, value_enum, default_value_t = Mode::Insert)]
        mode: Mode,
        /// Delete buckets with the same ids first.
        #[arg(long)]
        replace: bool,
        /// Per-request timeout in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// The export file.
        file: PathBuf,
    },
    /// Run the benchmark suite against a server holding a dataset.
    Run {
        /// Server base URL, e.g. http://127.0.0.1:5667
        #[arg(long)]
        url: String,
        /// Name of this run (e.g. `ours`, `python`).
        #[arg(long)]
        label: String,
        /// Few iterations and short windows (a smoke check).
        #[arg(long)]
        quick: bool,
        /// Server process id, to measure its memory during the export.
        #[arg(long)]
        pid: Option<u32>,
        /// Only run rows whose id contains one of these (comma separated).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Per-request timeout in seconds.
        #[arg(long, default_value_t = 900)]
        timeout: u64,
        /// Write the results as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print result files side by side with ratios to the first one.
    Compare {
        /// Result files written by `run --out`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `load --mode`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// Later chunks via POST /api/0/buckets/<id>/events (every server).
    Insert,
    /// Later chunks via POST /api/0/import (merge with dedup; not the Python server).
    Import,
}

fn main() -> ExitCode {
    match execute(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("aw-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: Command) -> Result<()> {
    match command {
        Command::Gen {
            seed,
            events,
            days,
            end,
            hostname,
            out,
        } => generate(
            GenConfig {
                seed,
                events,
                days,
                end,
                hostname,
            },
            &out,
        ),
        Command::Load {
            url,
            chunk,
            mode,
            replace,
            timeout,
            file,
        } => {
            let mode = match mode {
                Mode::Insert => ChunkMode::Insert,
                Mode::Import => ChunkMode::Import,
            };
            load_file(&LoadConfig {
                url,
                file,
                chunk_events: chunk,
                mode,
                replace,
                timeout: Duration::from_secs(timeout),
            })
        }
        Command::Run {
            url,
            label,
            quick,
            pid,
            only,
            timeout,
            out,
        } => {
            let timeout = Duration::from_secs(timeout);
            let config = RunConfig {
                url,
                label,
                quick,
                pid,
                only,
                timeout,
            };
            run_suite(&config, out.as_deref())
        }
        Command::Compare { files } => {
            let reports = files
                .iter()
                .map(|file| Report::read(file))
                .collect::<Result<Vec<_>>>()?;
            print!("{}", compare::compare(&reports));
            Ok(())
        }
    }
}

fn generate(config: GenConfig, out: &Path) -> Result<()> {
    let summary = gen::write_file(&config, out)?;
    eprint!("{summary}");
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn load_file(config: &LoadConfig) -> Result<()> {
    for bucket in load::load(config)? {
        let action = if bucket.sent {
            "loaded"
        } else {
            "already present"
        };
        let seconds = bucket.elapsed.as_secs_f64();
        eprintln!(
            "{}: {} events {action}, verified ({seconds:.1} s)",
            bucket.id, bucket.events
        );
    }
    Ok(())
}

fn run_suite(config: &RunConfig, out: Option<&Path>) -> Result<()> {
    let report = run::run(config)?;
    if let Some(path) = out {
        report.write(path)?;
    }
    print!("{}", report.to_markdown());
    Ok(())
}
