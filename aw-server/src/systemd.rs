//! systemd readiness notification: the upstream unit file uses `Type=notify`, so
//! the server sends `READY=1` to `$NOTIFY_SOCKET` once it listens (upstream sent it
//! before binding). Without that variable, or off Linux, nothing happens; errors
//! are logged and otherwise ignored.

/// Tells systemd the server is ready, if it runs under a `Type=notify` unit.
pub fn notify_ready() {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    if let Err(err) = send(&socket, b"READY=1") {
        log::warn!("systemd notification to {socket:?} failed: {err}");
    }
}

#[cfg(target_os = "linux")]
fn send(socket: &std::ffi::OsStr, message: &[u8]) -> std::io::Result<usize> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};

    let bytes = socket.as_bytes();
    // A leading '@' names a socket in the abstract namespace.
    let address = match bytes.strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None => SocketAddr::from_pathname(std::path::Path::new(socket))?,
    };
    UnixDatagram::unbound()?.send_to_addr(message, &address)
}

#[cfg(not(target_os = "linux"))]
fn send(_socket: &std::ffi::OsStr, _message: &[u8]) -> std::io::Result<usize> {
    Ok(0)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn sends_ready_to_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let receiver = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        send(path.as_os_str(), b"READY=1").unwrap();
        let mut buffer = [0u8; 32];
        let n = receiver.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"READY=1");
    }
}
