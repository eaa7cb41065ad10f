//! The access log: one line per request, on stdout, written when the request has ended
//! (its response body finished, failed or was dropped), so it can say how many bytes
//! moved each way, how long the whole transfer took, and whether it completed.
//!
//! The record is filled in as the request goes (`Entry`) and rendered by hand into the
//! worker's stdout buffer (`logbuf`), as `key=value` text or one JSON object
//! (INTERFACE.md "Front door"). What may appear is fixed by the fields below: never a
//! secret, a signature, a session token or a query string. Values a client chose (the
//! claimed key id, a bucket or key inside an ARN) are escaped, so a client cannot forge a
//! line or a field.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use crate::base::time::UnixTime;
use crate::decision::decide::Authenticated;

pub use crate::config::LogFormat as Format;

/// The format in force; set at start and on reload (one process serves one gate).
static FORMAT: AtomicU8 = AtomicU8::new(0);

pub fn set_format(f: Format) {
    FORMAT.store(f as u8, Ordering::Relaxed);
}

fn format() -> Format {
    if FORMAT.load(Ordering::Relaxed) == Format::Json as u8 { Format::Json } else { Format::Text }
}

/// How a transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    /// The client went away (or stopped reading) before the response was all sent, or
    /// before its upload was all received.
    AbortedByClient,
    /// The store failed mid-transfer, so the client connection was aborted.
    AbortedByStore,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::AbortedByClient => "aborted_by_client",
            Self::AbortedByStore => "aborted_by_store",
        }
    }
}

/// A request id: 16 upper-case hex digits, as S3's `x-amz-request-id`.
#[derive(Clone, Copy)]
pub struct RequestId([u8; 16]);

impl RequestId {
    pub fn random() -> Self {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let n = rand::random::<u64>();
        let mut b = [0u8; 16];
        for (i, slot) in b.iter_mut().enumerate() {
            *slot = HEX[((n >> (60 - 4 * i)) & 0xF) as usize];
        }
        Self(b)
    }

    pub fn as_str(&self) -> &str {
        // Always ASCII hex digits.
        std::str::from_utf8(&self.0).unwrap_or("0000000000000000")
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the line says about one request, filled in as it goes.
pub struct Entry {
    pub request_id: RequestId,
    /// Arrival, milliseconds since the epoch (the clock read the request was decided on).
    pub time_ms: i64,
    pub started: Instant,
    /// The socket's peer (a load balancer, when there is one).
    pub peer: SocketAddr,
    /// The client policies see (after PROXY and X-Forwarded-For).
    pub source: IpAddr,
    pub vpc: Option<String>,
    pub vpce: Option<String>,
    pub method: http::Method,
    /// `s3-outposts:GetObject`, `sts:AssumeRole`, …
    pub action: Option<&'static str>,
    /// The resource ARN, once classified.
    pub resource: Option<std::sync::Arc<str>>,
    /// The key id a request claimed, even when the claim failed (never its secret).
    pub access_key_id: Option<crate::base::ids::KeyId>,
    /// Who was authenticated, once they were.
    pub caller: Option<Authenticated>,
    /// `REST-QUERY-STRING` or `REST-HEADER`, when the request carried a signature.
    pub auth_type: Option<&'static str>,
    /// `AWS4-HMAC-SHA256` or `AWS4-ECDSA-P256-SHA256`, as the request claimed it.
    pub signature_version: Option<&'static str>,
    pub decision: Option<&'static str>,
    pub status: u16,
    /// The S3 error code of a refusal.
    pub error: Option<&'static str>,
}

impl Entry {
    pub fn new(peer: SocketAddr, source: IpAddr, method: http::Method, time_ms: i64) -> Self {
        Self {
            request_id: RequestId::random(),
            time_ms,
            started: Instant::now(),
            peer,
            source,
            vpc: None,
            vpce: None,
            method,
            action: None,
            resource: None,
            access_key_id: None,
            caller: None,
            auth_type: None,
            signature_version: None,
            decision: None,
            status: 0,
            error: None,
        }
    }

    /// Milliseconds between signing and arrival (`s3-outposts:signatureAge`), which only
    /// presigned requests have.
    fn signature_age_ms(&self) -> Option<i64> {
        self.caller
            .as_ref()
            .filter(|c| c.form == crate::sigv4::AuthForm::Query)
            .map(|c| self.time_ms - c.signed_at.0.saturating_mul(1000))
    }

    /// Writes the line into this worker's stdout buffer.
    pub fn write(&self, bytes_in: u64, bytes_out: u64, outcome: Outcome) {
        let duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let line = Line { entry: self, bytes_in, bytes_out, duration_ms, outcome };
        crate::base::logbuf::stdout_line(|buf| match format() {
            Format::Text => line.text(buf),
            Format::Json => line.json(buf),
        });
    }
}

/// An entry with its end.
struct Line<'a> {
    entry: &'a Entry,
    bytes_in: u64,
    bytes_out: u64,
    duration_ms: u64,
    outcome: Outcome,
}

/// A field's value.
enum Value<'a> {
    Str(&'a str),
    Num(i64),
    Absent,
}

impl Line<'_> {
    /// Every field, in line order. Absent values print as `-` (text) or `null` (JSON).
    fn fields(&self, mut f: impl FnMut(&str, Value<'_>)) {
        use Value::{Absent, Num, Str};
        fn opt(v: Option<&str>) -> Value<'_> {
            v.map_or(Value::Absent, Value::Str)
        }
        let e = self.entry;
        let mut time = [0u8; 64];
        f("time", Str(time_into(e.time_ms, &mut time)));
        f("request_id", Str(e.request_id.as_str()));
        let mut peer = [0u8; 64];
        let peer = match e.peer {
            SocketAddr::V4(v4) => v4_into(*v4.ip(), Some(v4.port()), &mut peer),
            SocketAddr::V6(_) => display_into(&e.peer, &mut peer),
        };
        f("client", Str(peer));
        let mut source = [0u8; 64];
        let source = match e.source {
            IpAddr::V4(v4) => v4_into(v4, None, &mut source),
            IpAddr::V6(_) => display_into(&e.source, &mut source),
        };
        f("source", Str(source));
        f("vpc", opt(e.vpc.as_deref()));
        f("vpce", opt(e.vpce.as_deref()));
        f("principal", opt(e.caller.as_ref().map(|c| c.caller.acting_arn())));
        f("access_key_id", opt(e.access_key_id.as_deref()));
        f("auth_type", opt(e.auth_type));
        f("signature_age_ms", e.signature_age_ms().map_or(Absent, Num));
        f("signature_version", opt(e.signature_version));
        f("method", Str(e.method.as_str()));
        f("action", opt(e.action));
        f("resource", opt(e.resource.as_deref()));
        f("decision", opt(e.decision));
        f("status", Num(i64::from(e.status)));
        f("error", opt(e.error));
        f("bytes_in", Num(i64::try_from(self.bytes_in).unwrap_or(i64::MAX)));
        f("bytes_out", Num(i64::try_from(self.bytes_out).unwrap_or(i64::MAX)));
        f("duration_ms", Num(i64::try_from(self.duration_ms).unwrap_or(i64::MAX)));
        f("outcome", Str(self.outcome.as_str()));
    }

    /// `time=… request_id=… client=…`: values quoted (JSON rules) only when they hold a
    /// space, a quote, `=` or anything outside printable ASCII.
    fn text(&self, buf: &mut Vec<u8>) {
        let mut first = true;
        self.fields(|name, value| {
            if !first {
                buf.push(b' ');
            }
            first = false;
            buf.extend_from_slice(name.as_bytes());
            buf.push(b'=');
            match value {
                Value::Str(s) => {
                    // Copied bare, then judged with one table lookup per byte and no branch
                    // (this runs for every field of every request); quoted instead when
                    // it must be.
                    let start = buf.len();
                    buf.extend_from_slice(s.as_bytes());
                    let quote = s.bytes().fold(s.is_empty(), |q, b| q | NEEDS_QUOTES[usize::from(b)]);
                    if quote {
                        buf.truncate(start);
                        json_string(buf, s);
                    }
                }
                Value::Num(n) => buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                Value::Absent => buf.push(b'-'),
            }
        });
        buf.push(b'\n');
    }

    fn json(&self, buf: &mut Vec<u8>) {
        buf.push(b'{');
        let mut first = true;
        self.fields(|name, value| {
            if !first {
                buf.push(b',');
            }
            first = false;
            json_string(buf, name);
            buf.push(b':');
            match value {
                Value::Str(s) => json_string(buf, s),
                Value::Num(n) => buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                Value::Absent => buf.extend_from_slice(b"null"),
            }
        });
        buf.extend_from_slice(b"}\n");
    }
}

/// The bytes a text-format value cannot hold bare: space, controls, `"`, `=` and every
/// byte outside printable ASCII.
const NEEDS_QUOTES: [bool; 256] = {
    let mut t = [true; 256];
    let mut b = 0x21;
    while b < 0x7f {
        t[b] = b == b'"' as usize || b == b'=' as usize;
        b += 1;
    }
    t
};

/// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped.
fn json_string(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    for c in s.chars() {
        match c {
            '"' => buf.extend_from_slice(b"\\\""),
            '\\' => buf.extend_from_slice(b"\\\\"),
            '\n' => buf.extend_from_slice(b"\\n"),
            '\r' => buf.extend_from_slice(b"\\r"),
            '\t' => buf.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => {
                let mut utf8 = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    buf.push(b'"');
}

// The line is written for every request: the three fields below are formatted by hand
// (IPv4 and the time's whole second are by far the common case), the rest by `fmt`.

/// `1.2.3.4` or `1.2.3.4:5678` (IPv6 goes through `fmt`).
fn v4_into(v4: std::net::Ipv4Addr, port: Option<u16>, out: &mut [u8; 64]) -> &str {
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        out[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            put(b".");
        }
        put(itoa::Buffer::new().format(octet).as_bytes());
    }
    if let Some(p) = port {
        put(b":");
        put(itoa::Buffer::new().format(p).as_bytes());
    }
    std::str::from_utf8(&out[..len]).unwrap_or("-")
}

/// `2026-11-25T04:49:00.123Z`; the part up to the second is formatted once a second per
/// thread.
fn time_into(ms: i64, out: &mut [u8; 64]) -> &str {
    thread_local! {
        static SECOND: std::cell::Cell<(i64, [u8; 19])> = const { std::cell::Cell::new((i64::MIN, [0; 19])) };
    }
    let second = ms.div_euclid(1000);
    let head = SECOND.with(|cached| {
        let (at, head) = cached.get();
        if at == second {
            return head;
        }
        let mut fresh = [0u8; 19];
        let mut text = [0u8; 64];
        let iso = display_into(&UnixTime(second).iso8601(), &mut text);
        let n = iso.len().min(19);
        fresh[..n].copy_from_slice(&iso.as_bytes()[..n]);
        cached.set((second, fresh));
        fresh
    });
    out[..19].copy_from_slice(&head);
    let millis = ms.rem_euclid(1000);
    out[19] = b'.';
    for (i, div) in [100, 10, 1].into_iter().enumerate() {
        out[20 + i] = b'0' + u8::try_from(millis / div % 10).unwrap_or(0);
    }
    out[23] = b'Z';
    std::str::from_utf8(&out[..24]).unwrap_or("-")
}

/// Formats `v` into a stack buffer (addresses and times fit in 64 bytes).
fn display_into<'b>(v: &impl std::fmt::Display, out: &'b mut [u8; 64]) -> &'b str {
    let mut cursor = std::io::Cursor::new(&mut out[..]);
    let _ = write!(cursor, "{v}");
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    std::str::from_utf8(&out[..len]).unwrap_or("-")
}

#[cfg(test)]
mod tests;
