//! The one body type on the hot path, an enum rather than a box (as rpxy does): either a
//! small buffer the gate made (an error document, a health answer) or a stream passed
//! through untouched in either direction. A stream error is returned as an error, never
//! as an early end, so hyper aborts the connection instead of ending a body short.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::pool::Lease;

pub enum GateBody {
    Full(Option<Bytes>),
    Stream(Incoming),
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
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Self::Stream(s) => Pin::new(s).poll_frame(cx),
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
                frame
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(b) => b.is_none(),
            Self::Stream(s) | Self::Pooled(Some(s), _) => s.is_end_stream(),
            Self::Pooled(None, _) => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Full(None) | Self::Pooled(None, _) => SizeHint::with_exact(0),
            Self::Stream(s) | Self::Pooled(Some(s), _) => s.size_hint(),
        }
    }
}
