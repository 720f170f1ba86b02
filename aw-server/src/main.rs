//! The `aw-server` binary: CLI -> logging -> config -> datastore -> Rocket, then a
//! graceful shutdown on SIGINT/SIGTERM that closes the datastore before exiting.

use std::process::ExitCode;

use aw_datastore::{Datastore, DatastoreConfig, Storage};
use aw_server::cli::Cli;
use aw_server::config::Config;
use aw_server::dirs::{load_or_create_device_id, Dirs};
use aw_server::endpoints::build_rocket;
use aw_server::error::StartupError;
use aw_server::logging::setup_logger;
use aw_server::sync::service::SyncService;
use clap::Parser;

/// mimalloc instead of glibc malloc: queries allocate and free millions of small
/// event maps, and glibc both spends a third of a year-long query in malloc/free and
/// keeps the freed memory (RSS stayed at the query's peak). mimalloc is faster for
/// this pattern and returns freed pages to the system.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{err}");
            eprintln!("aw-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), StartupError> {
    let dirs = Dirs::from_env()?;
    let testing = Config::testing_mode(cli);
    let log_file = setup_logger(&dirs.log_dir, testing, cli.verbose)?;
    log::info!("Logging to {}", log_file.display());
    let mut config = Config::load(cli, &dirs)?;
    if config.device_id.is_none() {
        let device_id =
            load_or_create_device_id(&dirs.data_dir).map_err(|source| StartupError::Io {
                path: dirs.data_dir.join("device_id"),
                source,
            })?;
        config.device_id = Some(device_id);
    }
    if config.webpath.is_none() {
        config.webpath = Some(dirs.data_dir.join("static"));
    }
    let db_path = config.db_path(&dirs);
    if let Some(parent) = db_path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| StartupError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let legacy_import = config.legacy_import_path(&dirs);
    log::info!("Using database {}", db_path.display());
    let datastore = Datastore::open(DatastoreConfig {
        storage: Storage::File(db_path),
        legacy_import,
    })?;
    let identity = aw_server::sync::Identity {
        device_id: config.device_id.clone().unwrap_or_default(),
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
    };
    // Stopped and joined once Rocket has shut down, before the datastore's last
    // handle goes.
    let sync = SyncService::start(&config.sync, datastore.clone(), identity).map_err(|err| {
        StartupError::Launch {
            detail: format!("folder sync: {err}"),
        }
    })?;
    let rocket = build_rocket(&config, datastore)?;
    log::info!(
        "Starting aw-server-rust at {}:{}",
        config.address,
        config.effective_port()
    );
    // `launch` returns after a graceful shutdown (Ctrl-C, SIGTERM); dropping the
    // returned Rocket drops the last Datastore handle, which commits and stops the
    // worker before we exit.
    match rocket::execute(rocket.launch()) {
        Ok(rocket) => {
            drop(sync);
            drop(rocket);
            log::info!("aw-server stopped");
            Ok(())
        }
        Err(err) => Err(StartupError::Launch {
            detail: err.to_string(),
        }),
    }
}
