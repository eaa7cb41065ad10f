//! One interface over the two ways a body is verified as it streams: an `aws-chunked`
//! body decoded (`ChunkDecoder`), or a plain body checked against its claimed hash and
//! checksum (`PlainVerifier`); and the S3 error a failure becomes.

use bytes::{Bytes, BytesMut};
use http::StatusCode;

use super::decoder::ChunkDecoder;
use super::error::ChunkError;
use super::plain::PlainVerifier;
use crate::base::s3err::S3Error;

/// A body's verification, fed as its bytes arrive.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per upload, and it lives in the boxed upload body
pub enum BodyCheck {
    /// `then` checks the decoded data against headers that describe it (a `Content-MD5`,
    /// an `x-amz-checksum-*` header), holding back its last byte in turn.
    Chunked {
        decoder: ChunkDecoder,
        decoded_len: u64,
        then: Option<PlainVerifier>,
    },
    Plain {
        verifier: PlainVerifier,
        content_length: u64,
    },
}

impl BodyCheck {
    /// The length of what the store is sent: the decoded data, or the body as sent.
    pub fn store_length(&self) -> u64 {
        match self {
            Self::Chunked { decoded_len, .. } => *decoded_len,
            Self::Plain { content_length, .. } => *content_length,
        }
    }

    /// Whether the body is `aws-chunked`, so the store gets it decoded under other headers.
    pub fn is_chunked(&self) -> bool {
        matches!(self, Self::Chunked { .. })
    }

    /// An empty result has no last byte to hold back: the whole (small) body must verify
    /// before the store is asked anything.
    pub fn must_defer(&self) -> bool {
        match self {
            Self::Chunked { decoder, .. } => decoder.must_defer(),
            Self::Plain { verifier, .. } => verifier.must_defer(),
        }
    }

    /// The next verified piece of `input`, if any; call until `None`.
    pub fn feed(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, ChunkError> {
        match self {
            Self::Chunked { decoder, then: None, .. } => decoder.feed(input),
            Self::Chunked { decoder, then: Some(then), .. } => {
                while let Some(piece) = decoder.feed(input)? {
                    if let Some(out) = then.feed_bytes(piece)? {
                        return Ok(Some(out));
                    }
                }
                Ok(None)
            }
            Self::Plain { verifier, .. } => verifier.feed(input),
        }
    }

    /// At the end of the body: the held-back last byte once everything verified.
    pub fn finish(&mut self) -> Result<Option<Bytes>, ChunkError> {
        match self {
            Self::Chunked { decoder, then: None, .. } => decoder.finish(),
            Self::Chunked { decoder, then: Some(then), .. } => {
                let last = decoder.finish()?;
                let mut out = match last {
                    Some(b) => then.feed_bytes(b)?,
                    None => None,
                };
                if let Some(tail) = then.finish()? {
                    out = Some(match out {
                        Some(head) => [head, tail].concat().into(),
                        None => tail,
                    });
                }
                Ok(out)
            }
            Self::Plain { verifier, .. } => verifier.finish(),
        }
    }
}

impl ChunkError {
    /// The S3 error document for this failure.
    pub fn to_s3(&self) -> S3Error {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let e = S3Error::new(status, self.s3_code(), self.message());
        match self.chunk_size_detail() {
            Some((chunk, size)) => e.with("Chunk", chunk.to_string()).with("BadChunkSize", size.to_string()),
            None => e,
        }
    }
}
