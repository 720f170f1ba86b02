//! The `aw-server` binary: CLI -> logging -> config -> datastore -> Rocket, then a
//! graceful shutdown on SIGINT/SIGTERM that closes the datastore before exiting.
//!
//! The start-up log says everything a user needs to find their way: our version and
//! the upstream API it implements, the config file read, the database, the web UI
//! directory served (or that none is), whether an API key, extra CORS origins or
//! extra host names are active, and the URL (logged once listening).

use std::path::Path;
use std::process::ExitCode;

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreConfig, DatastoreError, Storage};
use aw_server::cli::Cli;
use aw_server::commands;
use aw_server::config::Config;
use aw_server::dirs::Dirs;
use aw_server::endpoints::build_server;
use aw_server::error::StartupError;
use aw_server::logging::init_logger;
use aw_server::sync::service::SyncService;
use aw_server::version::LONG_VERSION;
use clap::Parser;

/// mimalloc instead of glibc malloc: queries allocate and free millions of small
/// event maps, and glibc both spends a third of a year-long query in malloc/free and
/// keeps the freed memory (RSS stayed at the query's peak). mimalloc is faster for
/// this pattern and returns freed pages to the system.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    disable_huge_pages();
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

/// Turns transparent huge pages off for this process. mimalloc asks for them; then
/// every fresh 2 MiB of heap is zeroed at once by the kernel (a third of the CPU time
/// of a 550k-event POST went there), and memory freed inside a huge page cannot be
/// given back until all of it is free, so a year query or an import left hundreds of
/// MB resident. With 4 KiB pages the same work ran faster and idle memory returns.
fn disable_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("aw-server: could not turn transparent huge pages off: {err}");
    }
}

fn run(cli: &Cli) -> Result<(), StartupError> {
    let dirs = Dirs::from_env()?;
    let testing = Config::testing_mode(cli);
    let log_file = init_logger(&dirs.log_dir, testing, cli.verbose)?;
    log::info!("aw-server {LONG_VERSION}");
    log::info!("Logging to {}", log_file.display());
    let mut config = Config::load(cli, &dirs)?;
    if let Some(command) = &cli.command {
        return commands::run(command, &config.db_path(&dirs));
    }
    let legacy_import = config.legacy_import_path(&dirs);
    if config.device_id.is_none() {
        let device_id =
            aw_server::legacy::device_id(&dirs, legacy_import.is_some()).map_err(|source| {
                StartupError::Io {
                    action: "read or create the device id file",
                    path: dirs.data_dir.join("device_id"),
                    source,
                }
            })?;
        config.device_id = Some(device_id);
    }
    config.webpath = Some(webui_dir(cli, &dirs)?);
    let datastore = open_datastore(&config, &dirs)?;
    log_settings(&config);
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
    let rocket = build_server(&config, datastore)?;
    // `launch` returns after a graceful shutdown (Ctrl-C, SIGTERM); dropping the
    // returned Rocket drops the last Datastore handle, which commits and stops the
    // worker before we exit.
    let launched =
        aw_server::runtime::execute(rocket.launch()).map_err(|err| StartupError::Launch {
            detail: format!("could not start the async runtime: {err}"),
        })?;
    match launched {
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

/// The web UI directory: `--webpath` must hold an aw-webui build; the default
/// `<data dir>/static` may be missing (the landing page then says how to add one).
fn webui_dir(cli: &Cli, dirs: &Dirs) -> Result<std::path::PathBuf, StartupError> {
    let has_index = |dir: &Path| dir.join("index.html").is_file();
    if let Some(path) = &cli.webpath {
        let problem = if !path.is_dir() {
            Some("not a directory")
        } else if !has_index(path) {
            Some("no index.html in it (give the folder of an aw-webui build, e.g. dist/)")
        } else {
            None
        };
        if let Some(reason) = problem {
            return Err(StartupError::WebUi {
                path: path.clone(),
                reason: reason.to_string(),
            });
        }
        log::info!("Serving the web UI from {}", path.display());
        return Ok(path.clone());
    }
    let default = dirs.data_dir.join("static");
    if has_index(&default) {
        log::info!("Serving the web UI from {}", default.display());
    } else {
        log::info!(
            "No web UI: {} holds no aw-webui build (use --webpath, or copy one there)",
            default.display()
        );
    }
    Ok(default)
}

/// Opens the database (creating its directory), and on the start that creates it
/// also imports the Python aw-server's database and web UI settings.
fn open_datastore(config: &Config, dirs: &Dirs) -> Result<Datastore, StartupError> {
    let db_path = config.db_path(dirs);
    if let Some(parent) = db_path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| StartupError::Io {
            action: "create the database directory",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let is_new = !db_path.exists();
    let legacy_import = config.legacy_import_path(dirs);
    log::info!("Using database {}", db_path.display());
    let backup = config.backup.schedule(&db_path)?;
    let datastore = Datastore::open(DatastoreConfig {
        storage: Storage::File(db_path.clone()),
        legacy_import: legacy_import.clone(),
        backup,
    })
    .map_err(|source| match source {
        DatastoreError::Damaged { detail, .. } => StartupError::Damaged {
            message: commands::damaged_advice(&db_path, &detail, &config.backup),
        },
        source => StartupError::OpenDatabase {
            path: db_path,
            source,
        },
    })?;
    if is_new && legacy_import.is_some() {
        let settings = aw_server::legacy::settings_path(dirs, config.testing);
        aw_server::legacy::import_settings(&datastore, &settings);
    }
    Ok(datastore)
}

/// Logs the settings that change who may talk to the server.
fn log_settings(config: &Config) {
    match config.api_key() {
        Some(_) => log::info!("API key required on /api/ (GET /api/0/info stays open)"),
        None => log::info!("No API key set: any local program may use the API"),
    }
    if !config.cors.is_empty() || !config.cors_regex.is_empty() {
        log::info!(
            "Extra CORS origins: {:?}, regexes: {:?}",
            config.cors,
            config.cors_regex
        );
    }
    if !config.allowed_hosts.is_empty() {
        log::info!("Extra accepted Host names: {:?}", config.allowed_hosts);
    }
}
