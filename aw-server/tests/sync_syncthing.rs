//! Two servers kept in sync through a real file-sync engine: two Syncthing instances
//! on loopback (own homes; no global or local discovery, relays, NAT traversal,
//! usage reporting or upgrades) share the sync folder. Skipped, with a printed SKIP,
//! when `syncthing` is not on PATH (Debian package `syncthing`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed step must fail the calling test"
)]

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aw_server::sync::Mode;
use common::sync::{series, Device};

/// How long one direction may take before the test fails.
const PROPAGATION_LIMIT: Duration = Duration::from_secs(90);

struct Syncthing {
    child: Child,
    home: PathBuf,
}

impl Drop for Syncthing {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A free loopback port. Syncthing needs its peers' ports before it starts, so this
/// one probes and releases; a collision would show as a timeout, not a wrong result.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Generates keys in `home` and returns the device id.
fn generate(home: &Path) -> String {
    let output = Command::new("syncthing")
        .args(["generate", "--no-default-folder"])
        .arg(format!("--home={}", home.display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    text.lines()
        .find_map(|line| line.split("Device ID: ").nth(1))
        .map(|id| id.trim().to_string())
        .expect("syncthing generate printed no device id")
}

struct Peer {
    id: String,
    port: u16,
}

fn config_xml(me: &Peer, other: &Peer, folder: &Path, gui_port: u16) -> String {
    let device = |peer: &Peer| {
        format!(
            "<device id=\"{}\" name=\"{}\" compression=\"metadata\" introducer=\"false\">\
             <address>tcp://127.0.0.1:{}</address><autoAcceptFolders>false</autoAcceptFolders></device>",
            peer.id, peer.port, peer.port
        )
    };
    format!(
        "<configuration version=\"36\">\
         <folder id=\"aw-sync\" label=\"aw-sync\" path=\"{folder}\" type=\"sendreceive\" \
          rescanIntervalS=\"1\" fsWatcherEnabled=\"true\" fsWatcherDelayS=\"1\">\
          <device id=\"{me_id}\"></device><device id=\"{other_id}\"></device>\
          <minDiskFree unit=\"%\">0</minDiskFree></folder>\
         {me_device}{other_device}\
         <gui enabled=\"true\" tls=\"false\"><address>127.0.0.1:{gui_port}</address>\
          <apikey>aw-sync-test</apikey></gui>\
         <options><listenAddress>tcp://127.0.0.1:{me_port}</listenAddress>\
          <globalAnnounceEnabled>false</globalAnnounceEnabled>\
          <localAnnounceEnabled>false</localAnnounceEnabled>\
          <relaysEnabled>false</relaysEnabled><natEnabled>false</natEnabled>\
          <urAccepted>-1</urAccepted><autoUpgradeIntervalH>0</autoUpgradeIntervalH>\
          <startBrowser>false</startBrowser><crashReportingEnabled>false</crashReportingEnabled>\
          <minHomeDiskFree unit=\"%\">0</minHomeDiskFree></options>\
         </configuration>",
        folder = folder.display(),
        me_id = me.id,
        other_id = other.id,
        me_device = device(me),
        other_device = device(other),
        me_port = me.port,
    )
}

fn start(home: &Path, config: &str) -> Syncthing {
    std::fs::write(home.join("config.xml"), config).unwrap();
    let child = Command::new("syncthing")
        .args(["serve", "--no-browser", "--no-restart", "--no-upgrade"])
        .arg(format!("--home={}", home.display()))
        .arg(format!(
            "--logfile={}",
            home.join("syncthing.log").display()
        ))
        .env("STNODEFAULTFOLDER", "1")
        .env("STNOUPGRADE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Syncthing {
        child,
        home: home.to_path_buf(),
    }
}

/// Passes on `to` (pull) until `bucket_id` holds `expected` events; returns the time.
fn wait_for(
    to: &Device,
    root: &Path,
    bucket_id: &str,
    expected: usize,
    homes: &[&Syncthing],
) -> Duration {
    let started = Instant::now();
    loop {
        to.pass(root, Mode::Pull, 5000);
        if to.events_if_any(bucket_id).len() >= expected {
            return started.elapsed();
        }
        if started.elapsed() > PROPAGATION_LIMIT {
            for syncthing in homes {
                let log = std::fs::read_to_string(syncthing.home.join("syncthing.log"))
                    .unwrap_or_default();
                eprintln!("--- {}:\n{log}", syncthing.home.display());
            }
            panic!("{bucket_id} did not reach {expected} events within {PROPAGATION_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn two_servers_through_syncthing() {
    if !on_path("syncthing") {
        println!("SKIP two_servers_through_syncthing: syncthing is not on PATH");
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (home_a, home_b) = (dir.path().join("st-a"), dir.path().join("st-b"));
    let (root_a, root_b) = (dir.path().join("sync-a"), dir.path().join("sync-b"));
    for root in [&root_a, &root_b] {
        std::fs::create_dir_all(root.join(".stfolder")).unwrap();
    }
    let peer_a = Peer {
        id: generate(&home_a),
        port: free_port(),
    };
    let peer_b = Peer {
        id: generate(&home_b),
        port: free_port(),
    };
    let st_a = start(&home_a, &config_xml(&peer_a, &peer_b, &root_a, free_port()));
    let st_b = start(&home_b, &config_xml(&peer_b, &peer_a, &root_b, free_port()));

    let a = Device::start("host-a");
    let b = Device::start("host-b");
    let id_a = a.record(
        "aw-watcher-window",
        series("2024-03-01T08:00:00Z", 300, 10, 9.0, 10),
    );
    a.pass(&root_a, Mode::Both, 5000);
    let a_to_b = wait_for(
        &b,
        &root_b,
        &format!("{id_a}-synced-from-host-a"),
        330,
        &[&st_a, &st_b],
    );
    assert_eq!(
        b.events(&format!("{id_a}-synced-from-host-a")),
        a.events(&id_a)
    );

    let id_b = b.record(
        "aw-watcher-afk",
        series("2024-03-01T08:00:00Z", 40, 60, 60.0, 0),
    );
    b.pass(&root_b, Mode::Both, 5000);
    let b_to_a = wait_for(
        &a,
        &root_a,
        &format!("{id_b}-synced-from-host-b"),
        40,
        &[&st_a, &st_b],
    );
    assert_eq!(
        a.events(&format!("{id_b}-synced-from-host-b")),
        b.events(&id_b)
    );
    // No data came back to where it was recorded.
    assert!(!a
        .bucket_ids()
        .iter()
        .any(|id| id.ends_with("-synced-from-host-a")));
    assert!(!b
        .bucket_ids()
        .iter()
        .any(|id| id.ends_with("-synced-from-host-b")));
    println!(
        "syncthing: A -> B in {a_to_b:?}, B -> A in {b_to_a:?}, whole test {:?}",
        started.elapsed()
    );
}
