//! [`PlainVerifier`]: checks a non-chunked body against `Content-Length`, an optional `x-amz-checksum-*` header and an
//! optional hex `x-amz-content-sha256`, with the same `feed` / `finish` interface and the same hold-back rule as the
//! chunked decoder, so the caller drives both the same way.

use std::fmt;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::checksum::{ChecksumAlgorithm, Checksummer};
use super::error::ChunkError;
use super::hold::HoldBack;

/// Verifies a non-chunked body against `Content-Length`, an optional `x-amz-checksum-*` header and an optional hex
/// `x-amz-content-sha256`. The final byte is held back until [`finish`](Self::finish) has checked everything.
pub struct PlainVerifier {
    content_length: u64,
    checksum: Option<(Checksummer, Vec<u8>)>,
    sha256: Option<(Sha256, [u8; 32])>,
    md5: Option<(md5::Md5, [u8; 16])>,
    hold: HoldBack,
    finished: bool,
    error: Option<ChunkError>,
}

impl fmt::Debug for PlainVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainVerifier")
            .field("content_length", &self.content_length)
            .field("hold", &self.hold)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl PlainVerifier {
    /// `checksum` is the algorithm and base64 value of an `x-amz-checksum-*` header; `sha256_hex` a hex
    /// `x-amz-content-sha256` (not one of the special values). Malformed values are rejected here.
    pub fn new(
        content_length: u64,
        checksum: Option<(ChecksumAlgorithm, &str)>,
        sha256_hex: Option<&str>,
    ) -> Result<Self, ChunkError> {
        let checksum = match checksum {
            Some((alg, b64)) => {
                let expected = alg.decode_value(b64).ok_or(ChunkError::InvalidChecksumHeader(alg))?;
                Some((Checksummer::new(alg), expected))
            }
            None => None,
        };
        let sha256 = match sha256_hex {
            Some(h) => {
                // `decode_to_slice` also refuses any length other than 64 hex digits.
                let mut expected = [0u8; 32];
                hex::decode_to_slice(h.trim(), &mut expected).map_err(|_| ChunkError::InvalidContentSha256)?;
                Some((Sha256::new(), expected))
            }
            None => None,
        };
        Ok(PlainVerifier {
            content_length,
            checksum,
            sha256,
            md5: None,
            hold: HoldBack::new(content_length),
            finished: false,
            error: None,
        })
    }

    /// Also checks the body against a `Content-MD5` header (base64 of 16 bytes), as S3 does.
    pub fn with_content_md5(mut self, b64: &str) -> Result<Self, ChunkError> {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok();
        let expected: [u8; 16] = decoded.and_then(|d| d.try_into().ok()).ok_or(ChunkError::InvalidContentMd5)?;
        self.md5 = Some((md5::Md5::new(), expected));
        Ok(self)
    }

    /// Bytes a decoder already produced (an `aws-chunked` body's data), checked the same way.
    pub fn feed_bytes(&mut self, piece: Bytes) -> Result<Option<Bytes>, ChunkError> {
        let mut buf = BytesMut::new();
        buf.unsplit(piece.try_into_mut().unwrap_or_else(|shared| BytesMut::from(&shared[..])));
        self.feed(&mut buf)
    }

    pub fn released(&self) -> u64 {
        self.hold.released()
    }

    /// `true` when the body is empty, so that no byte can be held back: the caller must not start the request to the
    /// store before `finish` succeeds.
    pub fn must_defer(&self) -> bool {
        self.content_length == 0
    }

    fn fail(&mut self, err: ChunkError) -> ChunkError {
        self.error = Some(err.clone());
        err
    }

    /// Takes all of `input` and returns it, minus the held-back final byte.
    pub fn feed(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, ChunkError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        if input.is_empty() {
            return Ok(None);
        }
        if self.finished {
            return Err(self.fail(ChunkError::TrailingData));
        }
        if input.len() as u64 > self.hold.room() {
            return Err(self.fail(ChunkError::LengthMismatch));
        }
        let piece = input.split().freeze();
        if let Some((c, _)) = &mut self.checksum {
            c.update(&piece);
        }
        if let Some((h, _)) = &mut self.sha256 {
            h.update(&piece);
        }
        if let Some((h, _)) = &mut self.md5 {
            h.update(&piece);
        }
        Ok(self.hold.pass(piece))
    }

    /// Signals the end of the body: checks the length and the digests and returns the held-back final byte.
    pub fn finish(&mut self) -> Result<Option<Bytes>, ChunkError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        if self.finished {
            return Ok(None);
        }
        if self.hold.passed() != self.content_length {
            return Err(self.fail(ChunkError::LengthMismatch));
        }
        if let Some((h, expected)) = self.sha256.take() {
            let got: [u8; 32] = h.finalize().into();
            if !bool::from(got.ct_eq(&expected)) {
                return Err(self.fail(ChunkError::ContentSha256Mismatch));
            }
        }
        if let Some((h, expected)) = self.md5.take() {
            let got: [u8; 16] = h.finalize().into();
            if !bool::from(got.ct_eq(&expected)) {
                return Err(self.fail(ChunkError::ContentMd5Mismatch));
            }
        }
        if let Some((c, expected)) = self.checksum.take() {
            let alg = c.algorithm();
            if !bool::from(c.finish().ct_eq(&expected)) {
                return Err(self.fail(ChunkError::BadDigest(alg)));
            }
        }
        self.finished = true;
        Ok(self.hold.release_last())
    }
}
