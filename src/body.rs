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
    Pooled(Incoming, Option<Lease>),
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
        Self::Pooled(body, Some(lease))
    }
}

impl Drop for GateBody {
    // hyper may stop polling a body once its Content-Length is written, so the end is also
    // recognised here; a body dropped before its end closes the connection with the lease.
    fn drop(&mut self) {
        if let Self::Pooled(body, lease) = self
            && body.is_end_stream()
            && let Some(lease) = lease.take()
        {
            lease.release();
        }
    }
}

impl Body for GateBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Self::Stream(s) => Pin::new(s).poll_frame(cx),
            Self::Pooled(s, lease) => {
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
            Self::Stream(s) | Self::Pooled(s, _) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Full(None) => SizeHint::with_exact(0),
            Self::Stream(s) | Self::Pooled(s, _) => s.size_hint(),
        }
    }
}
