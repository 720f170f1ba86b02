//! The `aw-sync` binary: folder sync between devices through a shared folder,
//! with the command line of upstream's aw-sync (SYNC.md §5). It talks to the local
//! server over REST and writes only this device's own file in the folder.
//!
//! What must stay true: every failure is one line on stderr and exit code 1 (never a
//! panic); SIGINT and SIGTERM stop between two steps (pages, buckets, waits), and the
//! own file is closed before exit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aw_client_rust::blocking::AwClient;
use aw_server::config::{config_file_name, Config, DEFAULT_PORT, DEFAULT_TESTING_PORT};
use aw_server::dirs::Dirs;
use aw_server::logging::log_level;
use aw_server::sync::folder::{resolve_sync_dir, SYNC_DIR_ENV};
use aw_server::sync::service::{locked_pass, run_daemon};
use aw_server::sync::{
    list, parse_bucket_list, Identity, Mode, StopFlag, SyncError, SyncOptions, DEFAULT_PAGE_SIZE,
};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

/// Seconds between daemon passes, as upstream.
const DEFAULT_INTERVAL_SECS: u64 = 300;

/// `aw-sync [OPTIONS] [COMMAND]`: without a command, runs `daemon`.
#[derive(Debug, Parser)]
#[command(
    name = "aw-sync",
    version,
    about = "Sync ActivityWatch data through a shared folder"
)]
struct Cli {
    /// Host of the local server.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the local server (default: the server's config file, else 5600; 5666 with --testing).
    #[arg(long)]
    port: Option<u16>,
    /// Testing mode: port 5666, the server's config-testing.toml, debug logging.
    #[arg(long)]
    testing: bool,
    /// The sync folder (absolute); default $AW_SYNC_DIR, else ~/ActivityWatchSync.
    #[arg(long)]
    sync_dir: Option<PathBuf>,
    /// Log at debug level.
    #[arg(long)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sync now, then again after every interval, until SIGINT/SIGTERM.
    Daemon(DaemonArgs),
    /// One pass.
    Sync(SyncArgs),
    /// Show what the sync folder holds, per device.
    List,
}

#[derive(Debug, Args)]
struct PassArgs {
    /// First sync of a bucket starts at this date (YYYY-MM-DD, midnight UTC).
    #[arg(long)]
    start_date: Option<NaiveDate>,
    /// Only these bucket ids, comma-separated (empty or `*`: all).
    #[arg(long)]
    buckets: Option<String>,
    /// push, pull or both.
    #[arg(long, default_value = "both")]
    mode: Mode,
    /// Pull only from this database file (absolute, inside the sync folder).
    #[arg(long)]
    sync_db: Option<PathBuf>,
    /// Events per page (default 5000).
    #[arg(long, hide = true, default_value_t = DEFAULT_PAGE_SIZE)]
    page_size: usize,
}

impl Default for PassArgs {
    /// What the flags default to (used when no subcommand is given).
    fn default() -> PassArgs {
        PassArgs {
            start_date: None,
            buckets: None,
            mode: Mode::Both,
            sync_db: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

#[derive(Debug, Args)]
struct DaemonArgs {
    #[command(flatten)]
    pass: PassArgs,
    /// Seconds between the end of a pass and the start of the next.
    #[arg(long, default_value_t = DEFAULT_INTERVAL_SECS)]
    interval: u64,
}

#[derive(Debug, Args)]
struct SyncArgs {
    #[command(flatten)]
    pass: PassArgs,
    /// Pull only from these host folders, comma-separated.
    #[arg(long = "host")]
    hosts: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    setup_logging(&cli);
    match run(cli) {
        Ok(()) | Err(SyncError::Stopped) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{err}");
            eprintln!("aw-sync: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), SyncError> {
    let stop = StopFlag::new();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.as_atomic()).map_err(|source| SyncError::Io {
            path: PathBuf::from("signal handler"),
            source,
        })?;
    }
    let sync_dir = resolve_sync_dir(
        cli.sync_dir.as_deref(),
        std::env::var_os(SYNC_DIR_ENV),
        dirs::home_dir(),
    )?;
    let port = cli.port.unwrap_or_else(|| configured_port(cli.testing));
    let client = AwClient::new(&cli.host, port, "aw-sync")?;
    // The daemon often starts with the server: wait a little for it, as watchers do.
    let info = match cli.command {
        None | Some(Command::Daemon(_)) => client.wait_for_start()?,
        Some(_) => client.get_info()?,
    };
    let identity = Identity {
        device_id: info.device_id,
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
    };
    let command = cli.command.unwrap_or(Command::Daemon(DaemonArgs {
        pass: PassArgs::default(),
        interval: DEFAULT_INTERVAL_SECS,
    }));
    match command {
        Command::List => {
            print!(
                "{}",
                list::render(&list::list(&sync_dir, &identity.device_id))
            );
            Ok(())
        }
        Command::Sync(args) => {
            let mut options = pass_options(sync_dir, &args.pass)?;
            options.hosts = args.hosts.as_deref().and_then(parse_bucket_list);
            locked_pass(&client, &identity, &options, &stop).map(|_| ())
        }
        Command::Daemon(args) => {
            if args.interval == 0 {
                return Err(SyncError::Config {
                    reason: "--interval must be at least 1 second".to_string(),
                });
            }
            let options = pass_options(sync_dir, &args.pass)?;
            let interval = Duration::from_secs(args.interval);
            run_daemon(&client, &identity, &options, interval, &stop);
            Ok(())
        }
    }
}

fn pass_options(sync_dir: PathBuf, args: &PassArgs) -> Result<SyncOptions, SyncError> {
    if let Some(file) = &args.sync_db {
        if !file.is_absolute() || !file.starts_with(&sync_dir) {
            return Err(SyncError::Config {
                reason: format!(
                    "--sync-db must be an absolute path inside {}: {}",
                    sync_dir.display(),
                    file.display()
                ),
            });
        }
    }
    let mut options = SyncOptions::new(sync_dir);
    options.mode = args.mode;
    options.buckets = args.buckets.as_deref().and_then(parse_bucket_list);
    options.start_date = args.start_date;
    options.sync_db.clone_from(&args.sync_db);
    options.page_size = args.page_size.max(1);
    Ok(options)
}

/// The `port` of the server's config file, else the default port.
fn configured_port(testing: bool) -> u16 {
    let fallback = if testing {
        DEFAULT_TESTING_PORT
    } else {
        DEFAULT_PORT
    };
    let Ok(dirs) = Dirs::from_env() else {
        return fallback;
    };
    let path = dirs.config_dir.join(config_file_name(testing));
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| Config::from_toml(&text).ok())
        .and_then(|config| config.port)
        .unwrap_or(fallback)
}

/// Stderr, plus a file in `<cache>/activitywatch/log/aw-sync/` when it can be made.
fn setup_logging(cli: &Cli) {
    let env_value = std::env::var("LOG_LEVEL").ok();
    let level = log_level(env_value.as_deref(), cli.verbose || cli.testing);
    let mut dispatch = fern::Dispatch::new()
        .level(level)
        .level_for("hyper", log::LevelFilter::Warn)
        .level_for("reqwest", log::LevelFilter::Warn)
        .format(|out, message, record| {
            out.finish(format_args!(
                "[{}][{}][{}]: {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                record.level(),
                record.target(),
                message
            ));
        })
        .chain(std::io::stderr());
    let prefix = if cli.testing {
        "aw-sync-testing"
    } else {
        "aw-sync"
    };
    if let Some(cache) = dirs::cache_dir() {
        let dir = cache.join("activitywatch").join("log").join("aw-sync");
        let stamp = chrono::Local::now().format("%Y-%m-%dT%H-%M-%S%z");
        let file = std::fs::create_dir_all(&dir)
            .and_then(|()| fern::log_file(dir.join(format!("{prefix}_{stamp}.log"))));
        if let Ok(file) = file {
            dispatch = dispatch.chain(file);
        }
    }
    if let Err(err) = dispatch.apply() {
        eprintln!("aw-sync: cannot set up logging: {err}");
    }
}
