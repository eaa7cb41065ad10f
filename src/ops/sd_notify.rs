//! systemd readiness (`Type=notify`): once every listener accepts, `READY=1` goes to the
//! datagram socket named by `NOTIFY_SOCKET`, if there is one. No crate: it is one datagram.

/// Tells systemd the gate is ready; does nothing outside systemd.
pub fn ready() {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::net::UnixDatagram;
        let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return };
        let Ok(socket) = UnixDatagram::unbound() else { return };
        let bytes = path.as_encoded_bytes();
        let sent = if let Some(name) = bytes.strip_prefix(b"@") {
            // An abstract socket name.
            use std::os::linux::net::SocketAddrExt as _;
            std::os::unix::net::SocketAddr::from_abstract_name(name)
                .and_then(|addr| socket.send_to_addr(b"READY=1", &addr))
        } else {
            socket.send_to(b"READY=1", &path)
        };
        if let Err(e) = sent {
            tracing::warn!("could not notify systemd of readiness: {e}");
        }
    }
}
