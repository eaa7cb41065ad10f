//! The body types on the hot path. `GateBody` is an enum rather than a box (as rpxy does):
//! either a small buffer the gate made (an error document, a health answer) or a stream
//! passed through untouched in either direction. A stream error is returned as an error,
//! never as an early end, so hyper aborts the connection instead of ending a body short.
//!
//! Around it, the counting wrappers: `Inbound` (the client's upload on its way to the
//! store) and `Logged` (the response on its way to the client, which writes the access
//! line and the transfer's metrics when it is dropped).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::ops::access::{Entry, Outcome};
use crate::store::checked::Checked;
pub use crate::store::inbound::{BoxError, Inbound, Inflow};
use crate::store::pool;

/// A store connection on loan to one response body.
pub type Lease = pool::Lease<GateBody>;

pub enum GateBody {
    Full(Option<Bytes>),
    Stream(Incoming),
    /// A client's upload on its way to the store.
    Upload(Inbound),
    /// A client's upload verified on its way (`aws-chunked` decoded, hashes checked).
    Checked(Box<Checked>),
    /// A store response; its connection goes back to the pool once the body has ended.
    /// (Options so that `drop` can move them out.)
    Pooled(Option<Incoming>, Option<Lease>),
}

impl GateBody {
    pub fn empty() -> Self {
        Self::Full(None)
    }

    pub fn full(b: impl Into<Bytes>) -> Self {
        Self::Full(Some(b.into()))
    }

    /// A store response body holding its connection's lease. An empty body (a HEAD answer,
    /// a 204) releases at once.
    pub fn pooled(body: Incoming, lease: Lease) -> Self {
        if body.is_end_stream() {
            lease.release();
            return Self::Stream(body);
        }
        Self::Pooled(Some(body), Some(lease))
    }
}

impl Drop for GateBody {
    // hyper may stop polling a body once its Content-Length is written, so the end is also
    // recognised here. Every byte may have arrived before hyper's client has read the end
    // of the message; dropping the body then would close a good connection, so a task
    // reads that last step and releases. A body dropped before its end closes the
    // connection with the lease.
    fn drop(&mut self) {
        let Self::Pooled(body, lease) = self else { return };
        let (Some(body), Some(lease)) = (body.take(), lease.take()) else { return };
        if body.is_end_stream() {
            lease.release();
        } else if body.size_hint().exact() == Some(0)
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(finish(body, lease));
        }
    }
}

/// Reads a body whose bytes have all arrived to its end, then releases its connection.
async fn finish(mut body: Incoming, lease: Lease) {
    use http_body_util::BodyExt as _;
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            return;
        }
    }
    lease.release();
}

impl Body for GateBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Self::Stream(s) => Pin::new(s).poll_frame(cx).map_err(Into::into),
            Self::Upload(u) => Pin::new(u).poll_frame(cx).map_err(Into::into),
            Self::Checked(c) => Pin::new(&mut **c).poll_frame(cx),
            Self::Pooled(None, _) => Poll::Ready(None),
            Self::Pooled(Some(s), lease) => {
                let frame = Pin::new(s).poll_frame(cx);
                match &frame {
                    Poll::Ready(None) => {
                        if let Some(lease) = lease.take() {
                            lease.release();
                        }
                    }
                    // An error mid-body: the connection is not reusable.
                    Poll::Ready(Some(Err(_))) => drop(lease.take()),
                    _ => {}
                }
                frame.map_err(Into::into)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(b) => b.is_none(),
            Self::Stream(s) | Self::Pooled(Some(s), _) => s.is_end_stream(),
            Self::Upload(u) => u.is_end_stream(),
            Self::Checked(c) => c.is_end_stream(),
            Self::Pooled(None, _) => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Full(None) | Self::Pooled(None, _) => SizeHint::with_exact(0),
            Self::Stream(s) | Self::Pooled(Some(s), _) => s.size_hint(),
            Self::Upload(u) => u.size_hint(),
            Self::Checked(c) => c.size_hint(),
        }
    }
}

/// The body a client receives: the response, counted, carrying the request's access-log
/// entry, which is written (with the metrics of the transfer) when the body is dropped,
/// so every request gets exactly one line however it ends.
pub struct Logged {
    body: GateBody,
    end: Box<Ending>,
}

struct Ending {
    entry: Entry,
    inflow: Option<Arc<Inflow>>,
    sent: u64,
    /// Content-Length, when known: hyper may stop polling once it is reached.
    expected: Option<u64>,
    outcome: Option<Outcome>,
    /// Held while the request lasts, for the connection's idle timeout.
    _busy: Option<crate::ops::activity::Busy>,
}

impl Logged {
    pub fn new(
        body: GateBody,
        entry: Entry,
        inflow: Option<Arc<Inflow>>,
        busy: Option<crate::ops::activity::Busy>,
    ) -> Self {
        let expected = body.size_hint().exact();
        Self { body, end: Box::new(Ending { entry, inflow, sent: 0, expected, outcome: None, _busy: busy }) }
    }
}

impl Body for Logged {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        match &frame {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    this.end.sent += d.len() as u64;
                }
            }
            // Only a store stream can fail: the client connection is aborted with it.
            Poll::Ready(Some(Err(_))) => this.end.outcome = Some(Outcome::AbortedByStore),
            Poll::Ready(None) => this.end.outcome = Some(Outcome::Complete),
            Poll::Pending => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let end = &mut *self.end;
        let upload_failed = end.inflow.as_ref().is_some_and(|f| f.failed());
        let outcome = match end.outcome {
            _ if upload_failed => Outcome::AbortedByClient,
            Some(o) => o,
            None if self.body.is_end_stream() || end.expected == Some(end.sent) => Outcome::Complete,
            None => Outcome::AbortedByClient,
        };
        let received = end.inflow.as_ref().map_or(0, |f| f.bytes());
        crate::base::metrics::global().transfer_ended(
            end.entry.started.elapsed(),
            received,
            end.sent,
            outcome.as_str(),
        );
        end.entry.write(received, end.sent, outcome);
    }
}
