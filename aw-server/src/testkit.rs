//! [`spawn_test_server`]: the real server on `127.0.0.1:0` with a SQLite file in a
//! caller-owned directory, for integration tests of aw-server, aw-client-rust and
//! the benches (STYLE rule 7).
//!
//! The server runs on its own thread and runtime. Its bound port is learned from an
//! `AdHoc::on_liftoff` fairing (Rocket writes the port it actually bound back into
//! its config before liftoff), so there are no fixed ports and no sleeps: when
//! `spawn_test_server` returns, the server accepts connections. Dropping the
//! [`TestServer`] shuts it down gracefully and, once its own datastore handle goes
//! too, the datastore commits and closes its file.
//!
//! ```no_run
//! let dir = tempfile::tempdir().unwrap();
//! let server = aw_server::testkit::spawn_test_server(dir.path());
//! let info = reqwest::blocking::get(format!("{}/api/0/info", server.url())).unwrap();
//! assert!(info.status().is_success());
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use aw_datastore::native::Datastore;
use aw_datastore::{DatastoreConfig, Storage};
use rocket::fairing::AdHoc;
use rocket::Shutdown;

use crate::config::Config;
use crate::endpoints::build_server;
use crate::error::StartupError;
use crate::sync::service::SyncService;
use crate::sync::Identity;

/// The device id every test server reports.
pub const TEST_DEVICE_ID: &str = "test-device-id";

/// A running server. Dropping it stops the server and closes its database.
pub struct TestServer {
    /// The address the server listens on (`127.0.0.1:<ephemeral port>`).
    pub addr: SocketAddr,
    /// The SQLite file the server uses.
    pub db_path: PathBuf,
    datastore: Datastore,
    shutdown: Shutdown,
    thread: Option<JoinHandle<()>>,
    sync: Option<SyncService>,
}

impl TestServer {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle to the server's own datastore, for setting up or inspecting state
    /// behind the API (e.g. `set_max_page_count` to simulate a full disk).
    pub fn datastore(&self) -> &Datastore {
        &self.datastore
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        drop(self.sync.take());
        self.shutdown.clone().notify();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("test server thread panicked");
            }
        }
    }
}

/// The config every test server starts from: `127.0.0.1`, port 0, testing mode, a
/// fixed device id, no legacy import, no automatic backups. Change fields (CORS, API key…) and pass it to
/// [`spawn_test_server_with`].
pub fn test_config() -> Config {
    Config {
        address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: Some(0),
        testing: true,
        device_id: Some(TEST_DEVICE_ID.to_string()),
        legacy_import: false,
        backup: crate::config::BackupConfig {
            enabled: false,
            ..crate::config::BackupConfig::default()
        },
        ..Config::default()
    }
}

/// Starts a server with [`test_config`] and its database in `data_dir` (created if
/// missing).
///
/// # Panics
/// If the server cannot start: a test helper has no better way to fail the test.
pub fn spawn_test_server(data_dir: &Path) -> TestServer {
    spawn_test_server_with(data_dir, test_config())
}

/// Starts a server with `config` (its address and port are used as given; keep
/// port 0) and its database in `data_dir`.
///
/// # Panics
/// If the server cannot start.
#[expect(
    clippy::panic,
    reason = "test helper: a server that cannot start must fail the calling test"
)]
pub fn spawn_test_server_with(data_dir: &Path, config: Config) -> TestServer {
    match try_spawn_test_server(data_dir, config) {
        Ok(server) => server,
        Err(err) => panic!("test server failed to start: {err}"),
    }
}

/// Like [`spawn_test_server_with`], returning the error instead of panicking.
pub fn try_spawn_test_server(
    data_dir: &Path,
    mut config: Config,
) -> Result<TestServer, StartupError> {
    std::fs::create_dir_all(data_dir).map_err(|source| StartupError::Io {
        action: "create the test data directory",
        path: data_dir.to_path_buf(),
        source,
    })?;
    let db_path = data_dir.join("sqlite-testing.db");
    config.dbpath = Some(db_path.clone());
    let backup = config.backup.schedule(&db_path)?;
    let datastore = Datastore::open(DatastoreConfig {
        storage: Storage::File(db_path.clone()),
        legacy_import: None,
        backup,
    })?;
    let rocket = build_server(&config, datastore.clone())?;
    let identity = Identity {
        device_id: config.device_id.clone().unwrap_or_default(),
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
    };
    let sync = SyncService::start(&config.sync, datastore.clone(), identity).map_err(|err| {
        StartupError::Launch {
            detail: format!("folder sync: {err}"),
        }
    })?;
    let mut rocket_config: rocket::Config =
        rocket
            .figment()
            .extract()
            .map_err(|err| StartupError::Launch {
                detail: format!("test server config: {err}"),
            })?;
    // Tests must stay killable with Ctrl-C and shut down quickly.
    rocket_config.shutdown.ctrlc = false;
    #[cfg(unix)]
    rocket_config.shutdown.signals.clear();
    rocket_config.shutdown.grace = 1;
    rocket_config.shutdown.mercy = 1;
    rocket_config.workers = 4;
    rocket_config.log_level = rocket::config::LogLevel::Off;

    let (sender, receiver) = mpsc::channel::<Result<(SocketAddr, Shutdown), String>>();
    let liftoff_sender = sender.clone();
    let rocket = rocket.configure(rocket_config).attach(AdHoc::on_liftoff(
        "testkit: report bound address",
        move |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                let addr = SocketAddr::new(config.address, config.port);
                let _ = liftoff_sender.send(Ok((addr, rocket.shutdown())));
            })
        },
    ));
    let thread = std::thread::Builder::new()
        .name(String::from("aw-test-server"))
        .spawn(move || match crate::runtime::execute(rocket.launch()) {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                let _ = sender.send(Err(err.to_string()));
            }
            Err(err) => {
                let _ = sender.send(Err(err.to_string()));
            }
        })
        .map_err(|source| StartupError::Io {
            action: "start the server thread for",
            path: data_dir.to_path_buf(),
            source,
        })?;
    match receiver.recv() {
        Ok(Ok((addr, shutdown))) => Ok(TestServer {
            addr,
            db_path,
            datastore,
            shutdown,
            thread: Some(thread),
            sync,
        }),
        Ok(Err(detail)) => Err(StartupError::Launch { detail }),
        Err(_) => Err(StartupError::Launch {
            detail: String::from("the server thread ended before liftoff"),
        }),
    }
}
