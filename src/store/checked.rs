//! A client's upload verified as it streams to the store (see `payload`): the decoded
//! bytes go on, except the body's last byte, which is released only once every chunk
//! signature, the trailer and the checksums have verified. A body that fails ends with an
//! error, so the store, sent `Content-Length` bytes, never receives a complete body and
//! keeps nothing; the refusal is left on the upload's `Inflow` for the client's answer.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use http_body::{Body, Frame, SizeHint};

use crate::base::s3err::S3Error;
use crate::payload::{BodyCheck, ChunkError};
use crate::store::inbound::{BoxError, Inbound, Inflow};

pub struct Checked {
    inbound: Inbound,
    check: BodyCheck,
    buf: BytesMut,
    flow: Arc<Inflow>,
    done: bool,
}

/// The error a verified body ends with; the S3 error itself is on the `Inflow`.
#[derive(Debug, thiserror::Error)]
#[error("the upload failed verification: {0}")]
pub struct Refused(&'static str);

impl Checked {
    pub fn new(inbound: Inbound, check: BodyCheck, flow: Arc<Inflow>) -> Self {
        Self { inbound, check, buf: BytesMut::new(), flow, done: false }
    }

    pub fn must_defer(&self) -> bool {
        self.check.must_defer()
    }

    fn refuse(&mut self, e: &ChunkError) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>> {
        self.done = true;
        self.flow.refuse(e.to_s3());
        Poll::Ready(Some(Err(Box::new(Refused(e.s3_code())))))
    }

    /// Reads and verifies a body whose verified form is empty, before the store is asked
    /// anything (an empty body has no last byte to hold back).
    pub async fn settle(&mut self) -> Result<(), S3Error> {
        use http_body_util::BodyExt as _;
        while let Some(frame) = self.frame().await {
            if let Err(e) = frame {
                return Err(self.flow.refusal().unwrap_or_else(|| {
                    tracing::debug!("upload ended early: {e}");
                    S3Error::incomplete_body()
                }));
            }
        }
        Ok(())
    }
}

impl Body for Checked {
    type Data = bytes::Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match this.check.feed(&mut this.buf) {
                Ok(Some(piece)) => return Poll::Ready(Some(Ok(Frame::data(piece)))),
                Ok(None) => {}
                Err(e) => return this.refuse(&e),
            }
            match ready!(Pin::new(&mut this.inbound).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    // HTTP trailers (rare on uploads) carry nothing the store reads.
                    if let Ok(data) = frame.into_data() {
                        if this.buf.is_empty() {
                            // Usually the whole buffer: taken without a copy when unshared.
                            this.buf = data.try_into_mut().unwrap_or_else(|shared| BytesMut::from(&shared[..]));
                        } else {
                            this.buf.extend_from_slice(&data);
                        }
                    }
                }
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    this.done = true;
                    return match this.check.finish() {
                        Ok(Some(last)) => Poll::Ready(Some(Ok(Frame::data(last)))),
                        Ok(None) => Poll::Ready(None),
                        Err(e) => this.refuse(&e),
                    };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.check.store_length())
    }
}
