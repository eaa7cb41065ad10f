//! PROXY protocol v2, as an AWS Network Load Balancer sends it (HAProxy's
//! "proxy-protocol.txt"; ELB User Guide, "Proxy protocol" for Network Load Balancers).
//!
//! - The header is parsed by the `ppp` crate (addresses, command, TLV walking): small,
//!   synchronous and zero-copy over a byte slice, so the parser is pure and fuzzable, and it
//!   hands out every TLV, including AWS's own type 0xEA that carries the VPC endpoint id
//!   (subtype 0x01). CRC32C (0x03) is verified here; NOOP (0x04) and unknown TLVs are skipped.
//! - LOCAL (health checks): the connection's real endpoints stand.
//! - Several headers in a row: a load balancer keeps a header that was already on the
//!   connection and puts its own in front. The first is the load balancer's, the only one
//!   believed; the rest came from whoever connected to it and are read and dropped.
//! - Bytes read past the headers are replayed to HTTP by `Rewind`.
//!
//! `parse` is pure; `read_headers` does the socket reading around it.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use ppp::v2::{Addresses, Command, Header, Protocol};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

use crate::decision::network::VpceId;

/// The 12 bytes every v2 header starts with.
pub const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// Signature, version/command, family/protocol, length.
const FIXED_LEN: usize = 16;
/// Longer than any load balancer's header (addresses plus a few TLVs); refusing more keeps a
/// peer from making each connection allocate 64 KiB.
pub const MAX_HEADER_LEN: usize = 2048;
const TLV_CRC32C: u8 = 0x03;
const TLV_AWS: u8 = 0xEA;
const AWS_SUBTYPE_VPCE_ID: u8 = 0x01;

/// What the load balancer says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHeader {
    /// The client's address; `None` for LOCAL (health checks) and non-IP families.
    pub source: Option<SocketAddr>,
    /// From the AWS TLV, when the client came through a VPC endpoint.
    pub vpce: Option<VpceId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("the connection did not start with a PROXY protocol v2 header")]
    Missing,
    #[error("the connection closed inside a PROXY header")]
    Truncated,
    #[error("malformed PROXY header: {0}")]
    Malformed(String),
    #[error("PROXY header of {0} bytes is longer than the {MAX_HEADER_LEN} accepted")]
    TooLong(usize),
    #[error("PROXY header CRC32C does not match its contents")]
    BadChecksum,
    #[error("reading the PROXY header: {0}")]
    Io(String),
}

/// The total length of the header whose fixed part is `fixed`.
pub fn header_len(fixed: &[u8; FIXED_LEN]) -> Result<usize, ProxyError> {
    if fixed[..12] != SIGNATURE {
        return Err(ProxyError::Missing);
    }
    if fixed[12] >> 4 != 2 {
        return Err(ProxyError::Malformed(format!("version {} (only 2 is spoken)", fixed[12] >> 4)));
    }
    let total = FIXED_LEN + usize::from(u16::from_be_bytes([fixed[14], fixed[15]]));
    if total > MAX_HEADER_LEN {
        return Err(ProxyError::TooLong(total));
    }
    Ok(total)
}

/// Parses one complete header (exactly its bytes). Pure; the fuzz target.
pub fn parse(bytes: &[u8]) -> Result<ProxyHeader, ProxyError> {
    let fixed: &[u8; FIXED_LEN] =
        bytes.get(..FIXED_LEN).and_then(|b| b.try_into().ok()).ok_or(ProxyError::Truncated)?;
    if header_len(fixed)? != bytes.len() {
        return Err(ProxyError::Malformed("length field does not match the header".into()));
    }
    let header = Header::try_from(bytes).map_err(|e| ProxyError::Malformed(e.to_string()))?;
    let mut vpce = None;
    for tlv in header.tlvs() {
        let tlv = tlv.map_err(|e| ProxyError::Malformed(format!("TLV: {e}")))?;
        match tlv.kind {
            TLV_AWS if tlv.value.first() == Some(&AWS_SUBTYPE_VPCE_ID) => {
                let id = std::str::from_utf8(&tlv.value[1..]).ok().and_then(VpceId::parse);
                vpce = Some(id.ok_or_else(|| {
                    ProxyError::Malformed("the AWS TLV's VPC endpoint id is not one (vpce-…)".into())
                })?);
            }
            TLV_CRC32C => verify_crc(bytes, header.tlv_bytes())?,
            _ => {}
        }
    }
    let source = match (header.command, header.protocol, header.addresses) {
        // LOCAL, or an address family without an IP: the connection's own peer stands.
        (Command::Local, ..) | (Command::Proxy, _, Addresses::Unspecified | Addresses::Unix(_)) => None,
        (Command::Proxy, Protocol::Datagram, _) => {
            return Err(ProxyError::Malformed("a datagram (UDP) header on a TCP connection".into()));
        }
        (Command::Proxy, _, Addresses::IPv4(a)) => Some(SocketAddr::from((a.source_address, a.source_port))),
        (Command::Proxy, _, Addresses::IPv6(a)) => Some(SocketAddr::from((a.source_address, a.source_port))),
    };
    Ok(ProxyHeader { source, vpce })
}

/// Checks a CRC32C TLV: the checksum of the whole header with the TLV's value zeroed.
fn verify_crc(header: &[u8], tlvs: &[u8]) -> Result<(), ProxyError> {
    let tlv_start = header.len() - tlvs.len();
    let mut off = 0;
    while off + 3 <= tlvs.len() {
        let len = usize::from(u16::from_be_bytes([tlvs[off + 1], tlvs[off + 2]]));
        if tlvs[off] == TLV_CRC32C {
            if len != 4 || off + 3 + 4 > tlvs.len() {
                return Err(ProxyError::Malformed("CRC32C TLV is not 4 bytes".into()));
            }
            let at = tlv_start + off + 3;
            let want = u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
            let mut copy = header.to_vec();
            copy[at..at + 4].fill(0);
            return if crc32c(&copy) == want { Ok(()) } else { Err(ProxyError::BadChecksum) };
        }
        off += 3 + len;
    }
    Ok(())
}

/// CRC-32C (Castagnoli), bitwise: a header is checked once per connection.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

/// What reading the start of a connection found.
pub struct Accepted {
    /// The first (the load balancer's) header, if there was one.
    pub header: Option<ProxyHeader>,
    /// How many further headers were read and dropped.
    pub dropped: usize,
    /// Bytes read past the headers, for HTTP.
    pub rest: Bytes,
}

/// Reads the PROXY header(s) at the start of a connection. With `required`, a connection
/// that starts otherwise is an error; without, its first bytes are handed back untouched.
/// The caller bounds the time this may take.
pub async fn read_headers<S: AsyncRead + Unpin>(stream: &mut S, required: bool) -> Result<Accepted, ProxyError> {
    let mut header = None;
    let mut dropped = 0;
    loop {
        let (fixed, filled) = read_signature(stream).await?;
        let Some(fixed) = fixed else {
            if header.is_none() && required {
                return Err(ProxyError::Missing);
            }
            return Ok(Accepted { header, dropped, rest: Bytes::copy_from_slice(&filled) });
        };
        let total = header_len(&fixed)?;
        let mut bytes = vec![0u8; total];
        bytes[..FIXED_LEN].copy_from_slice(&fixed);
        stream.read_exact(&mut bytes[FIXED_LEN..]).await.map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => ProxyError::Truncated,
            _ => ProxyError::Io(e.to_string()),
        })?;
        let parsed = parse(&bytes)?;
        if header.is_none() {
            header = Some(parsed);
        } else {
            dropped += 1;
        }
    }
}

/// Reads until the bytes either are a full fixed part (16 bytes starting with the
/// signature) or stop looking like one. Returns the fixed part, or the bytes read.
async fn read_signature<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<(Option<[u8; FIXED_LEN]>, Vec<u8>), ProxyError> {
    let mut buf = [0u8; FIXED_LEN];
    let mut filled = 0;
    while filled < FIXED_LEN {
        let n = stream.read(&mut buf[filled..]).await.map_err(|e| ProxyError::Io(e.to_string()))?;
        if n == 0 {
            // Closed: cleanly between headers and HTTP, or inside a signature.
            let inside = filled > 0 && buf[..filled.min(12)] == SIGNATURE[..filled.min(12)];
            return if inside { Err(ProxyError::Truncated) } else { Ok((None, buf[..filled].to_vec())) };
        }
        filled += n;
        let checked = filled.min(12);
        if buf[..checked] != SIGNATURE[..checked] {
            return Ok((None, buf[..filled].to_vec()));
        }
    }
    Ok((Some(buf), Vec::new()))
}

/// A stream that first replays bytes already read from it.
pub struct Rewind<S> {
    pre: Bytes,
    inner: S,
}

impl<S> Rewind<S> {
    pub fn new(pre: Bytes, inner: S) -> Self {
        Self { pre, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.pre.is_empty() {
            let n = self.pre.len().min(buf.remaining());
            buf.put_slice(&self.pre[..n]);
            self.pre.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
