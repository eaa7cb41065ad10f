//! A client's upload on its way to the store, counted (`Inbound`), and how it is going
//! (`Inflow`): shared with the first-byte timeout, which starts once the body is all sent,
//! the access line, and the answer when a verified upload was refused.

use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::sync::Notify;

use crate::base::s3err::S3Error;

/// What a body's stream error becomes: hyper's, or a verified upload's refusal.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How an upload is going: shared by the request body on its way to the store
/// (`Inbound`), the first-byte timeout (which starts once the body is all sent) and the
/// access line (bytes in, and whether the client gave up).
pub struct Inflow {
    bytes: AtomicU64,
    state: AtomicU8,
    changed: Notify,
    /// Why a verified upload was refused, for the client's answer.
    refusal: OnceLock<S3Error>,
}

const STREAMING: u8 = 0;
const ENDED: u8 = 1;
const FAILED: u8 = 2;

impl Inflow {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The body has been read to its end (a body-less request starts so).
    pub fn ended(&self) -> bool {
        self.state.load(Ordering::Acquire) == ENDED
    }

    /// The client's body broke off (it disconnected mid-upload).
    pub fn failed(&self) -> bool {
        self.state.load(Ordering::Acquire) == FAILED
    }

    /// A verified upload failed its check: the transfer is over, and `e` is the answer.
    pub fn refuse(&self, e: S3Error) {
        let _ = self.refusal.set(e);
        self.set(FAILED);
    }

    pub fn refusal(&self) -> Option<S3Error> {
        self.refusal.get().cloned()
    }

    /// Resolves once the body has been read to its end or has failed.
    pub async fn finished(&self) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.state.load(Ordering::Acquire) != STREAMING {
                return;
            }
            notified.await;
        }
    }

    fn set(&self, state: u8) {
        if self.state.swap(state, Ordering::AcqRel) != state {
            self.changed.notify_waiters();
        }
    }
}

/// A client's request body on its way to the store, counted.
pub struct Inbound {
    body: Incoming,
    flow: Arc<Inflow>,
    /// Set while the client sends nothing: a body that stalls this long is over.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// How long an upload may send nothing before it is given up, as S3 gives up on it
/// (`RequestTimeout`); without it a stalled client would hold its store request open.
pub const BODY_STALL: Duration = Duration::from_secs(20);

/// The error a stalled body ends with; the S3 error itself is on the `Inflow`.
#[derive(Debug, thiserror::Error)]
#[error("the client sent nothing for {0:?}")]
pub struct Stalled(Duration);

impl Inbound {
    pub fn new(body: Incoming) -> (Self, Arc<Inflow>) {
        // A body with nothing to send (a GET) is over before hyper would ever poll it.
        let state = if body.is_end_stream() { ENDED } else { STREAMING };
        let flow = Arc::new(Inflow {
            bytes: AtomicU64::new(0),
            state: AtomicU8::new(state),
            changed: Notify::new(),
            refusal: OnceLock::new(),
        });
        (Self { body, flow: Arc::clone(&flow), stall: None }, flow)
    }
}

impl Body for Inbound {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        match &frame {
            Poll::Pending => {
                let stall = self.stall.get_or_insert_with(|| Box::pin(tokio::time::sleep(BODY_STALL)));
                if stall.as_mut().poll(cx).is_ready() {
                    self.flow.refuse(S3Error::request_timeout());
                    return Poll::Ready(Some(Err(Box::new(Stalled(BODY_STALL)))));
                }
            }
            Poll::Ready(Some(Ok(_))) if self.stall.is_some() => {
                if let Some(stall) = self.stall.as_mut() {
                    stall.as_mut().reset(tokio::time::Instant::now() + BODY_STALL);
                }
            }
            Poll::Ready(_) => {}
        }
        match &frame {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    self.flow.bytes.fetch_add(d.len() as u64, Ordering::Relaxed);
                }
                // hyper's client stops polling once Content-Length bytes are sent.
                if self.body.is_end_stream() {
                    self.flow.set(ENDED);
                }
            }
            Poll::Ready(Some(Err(_))) => self.flow.set(FAILED),
            Poll::Ready(None) => self.flow.set(ENDED),
            Poll::Pending => {}
        }
        frame.map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
