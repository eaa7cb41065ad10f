//! [`ChunkDecoder`]: an incremental, sans-I/O decoder for `aws-chunked` request bodies. It checks the framing, the
//! chunk signatures and the decoded length, hands the trailer section to the trailer file, and releases data as it
//! arrives.
//!
//! ```text
//! hex-size[;chunk-signature=<sig>]\r\n      (signature only in signed modes)
//! <hex-size bytes of data>\r\n
//! ...
//! 0[;chunk-signature=<sig>]\r\n
//! [name:value\r\n ...]                      (trailer modes only)
//! [x-amz-trailer-signature:<sig>\r\n]       (signed trailer modes only)
//! \r\n
//! ```
//!
//! Hold-back rule: the last byte of the body (byte number `decoded_len`) is kept back and only
//! [`ChunkDecoder::finish`] returns it, once every chunk signature, the zero-length chunk, the trailer and its
//! signature, every trailing checksum and the decoded length have verified and no byte followed the final CRLF. A
//! store sent `Content-Length: decoded_len` thus never receives a complete body that did not verify. An empty body
//! has nothing to hold back, so the caller must not contact the store before `finish` succeeds
//! ([`ChunkDecoder::must_defer`]).

use std::fmt;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::chain::ChunkVerifier;
use super::checksum::{ChecksumAlgorithm, Checksummer};
use super::error::ChunkError;
use super::hold::HoldBack;
use super::mode::{
    MAX_CHUNK_LINE, MAX_CHUNK_SIZE_DIGITS, MAX_TRAILER_SECTION, MIN_CHUNK_SIZE, StreamingMode, find_lf, strip_crlf,
    trim_ows,
};
use super::trailer::verify_section;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line into `line`.
    Header,
    /// Passing chunk data through.
    Data { remaining: u64 },
    /// Expecting the CRLF after chunk data; `seen` bytes of it matched.
    DataEnd { seen: u8 },
    /// Non-trailer modes: expecting the final CRLF after the zero chunk.
    FinalCrlf { seen: u8 },
    /// Trailer modes: reading the trailer section into `line`.
    Trailer,
    /// Everything verified; waiting for `finish`.
    Done,
    /// `finish` succeeded.
    Finished,
}

/// Incremental `aws-chunked` decoder. Call [`feed`](Self::feed) with the bytes read so far until it returns `None`
/// (each call returns at most one zero-copy piece of data), then [`finish`](Self::finish) at end of input.
pub struct ChunkDecoder {
    mode: StreamingMode,
    decoded_len: u64,
    expected_trailers: Vec<ChecksumAlgorithm>,
    verifier: Option<Box<dyn ChunkVerifier + Send>>,
    checksummers: Vec<Checksummer>,
    chunk_hash: Sha256,
    state: State,
    /// Partial chunk-size line, or the trailer section read so far.
    line: Vec<u8>,
    /// Signature of the chunk being read (signed modes).
    chunk_signature: Vec<u8>,
    /// Sum of the chunk sizes declared so far.
    declared: u64,
    /// What has passed, what went on, and the held-back final byte.
    hold: HoldBack,
    /// Number of data chunks seen (1-based index of the current one).
    chunks: u64,
    /// Size of the previous data chunk.
    previous_size: Option<u64>,
    /// Offset in `line` where the current trailer line starts.
    section_line_start: usize,
    error: Option<ChunkError>,
}

impl fmt::Debug for ChunkDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkDecoder")
            .field("mode", &self.mode)
            .field("decoded_len", &self.decoded_len)
            .field("state", &self.state)
            .field("hold", &self.hold)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Parses a chunk size of 1..=16 hex digits. Checking the digits first keeps out the sign `from_str_radix` would
/// accept, and 16 hex digits always fit a `u64`.
fn parse_hex_size(digits: &[u8]) -> Result<u64, ChunkError> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(ChunkError::MalformedChunk);
    }
    if digits.len() > MAX_CHUNK_SIZE_DIGITS {
        return Err(ChunkError::ChunkSizeTooLarge);
    }
    let digits = std::str::from_utf8(digits).map_err(|_| ChunkError::MalformedChunk)?;
    u64::from_str_radix(digits, 16).map_err(|_| ChunkError::ChunkSizeTooLarge)
}

impl ChunkDecoder {
    /// `decoded_len` is `X-Amz-Decoded-Content-Length`; `expected_trailers` comes from `X-Amz-Trailer` (see
    /// `parse_x_amz_trailer`); `verifier` is required in the signed modes and ignored in the unsigned one.
    pub fn new(
        mode: StreamingMode,
        decoded_len: u64,
        expected_trailers: Vec<ChecksumAlgorithm>,
        verifier: Option<Box<dyn ChunkVerifier + Send>>,
    ) -> Result<Self, ChunkError> {
        if mode.is_signed() && verifier.is_none() {
            return Err(ChunkError::VerifierMissing);
        }
        if !mode.has_trailer() && !expected_trailers.is_empty() {
            return Err(ChunkError::TrailerNotSupported);
        }
        let mut unique: Vec<ChecksumAlgorithm> = Vec::with_capacity(expected_trailers.len());
        for alg in expected_trailers {
            if !unique.contains(&alg) {
                unique.push(alg);
            }
        }
        let checksummers = unique.iter().map(|&a| Checksummer::new(a)).collect();
        Ok(ChunkDecoder {
            mode,
            decoded_len,
            expected_trailers: unique,
            verifier: if mode.is_signed() { verifier } else { None },
            checksummers,
            chunk_hash: Sha256::new(),
            state: State::Header,
            line: Vec::new(),
            chunk_signature: Vec::new(),
            declared: 0,
            hold: HoldBack::new(decoded_len),
            chunks: 0,
            previous_size: None,
            section_line_start: 0,
            error: None,
        })
    }

    pub fn mode(&self) -> StreamingMode {
        self.mode
    }

    /// Decoded bytes returned to the caller so far (`feed` and `finish`).
    pub fn released(&self) -> u64 {
        self.hold.released()
    }

    /// `true` when the body is empty, so that no byte can be held back: the caller must not start the request to the
    /// store before `finish` succeeds.
    pub fn must_defer(&self) -> bool {
        self.decoded_len == 0
    }

    /// `true` once the whole body has been read and verified (the final byte is then available from `finish`).
    pub fn is_verified(&self) -> bool {
        matches!(self.state, State::Done | State::Finished)
    }

    fn fail(&mut self, err: ChunkError) -> ChunkError {
        self.error = Some(err.clone());
        err
    }

    /// Consumes as much of `input` as possible and returns the next piece of decoded data, or `None` when `input` has
    /// been used up (a partial line is kept internally). Call it again as long as it returns `Some`.
    ///
    /// The final byte of the body is never returned here; see [`finish`](Self::finish).
    pub fn feed(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, ChunkError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        match self.step(input) {
            Ok(out) => Ok(out),
            Err(err) => Err(self.fail(err)),
        }
    }

    /// Signals the end of the input. Returns the held-back final byte if the body verified completely, or the error
    /// that rejects it.
    pub fn finish(&mut self) -> Result<Option<Bytes>, ChunkError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        match self.state {
            State::Done => {
                self.state = State::Finished;
                Ok(self.hold.release_last())
            }
            State::Finished => Ok(None),
            _ => Err(self.fail(ChunkError::Truncated)),
        }
    }

    fn step(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, ChunkError> {
        loop {
            if input.is_empty() {
                return Ok(None);
            }
            match self.state {
                State::Header => {
                    if !self.read_line(input, MAX_CHUNK_LINE, ChunkError::ChunkLineTooLong)? {
                        return Ok(None);
                    }
                    let line = std::mem::take(&mut self.line);
                    self.on_chunk_line(&line)?;
                }
                State::Data { remaining } => {
                    let take = usize::try_from(remaining).unwrap_or(usize::MAX).min(input.len());
                    let piece = input.split_to(take).freeze();
                    let n = piece.len() as u64;
                    if self.mode.is_signed() {
                        self.chunk_hash.update(&piece);
                    }
                    for c in &mut self.checksummers {
                        c.update(&piece);
                    }
                    let remaining = remaining.saturating_sub(n);
                    self.state = State::Data { remaining };
                    if remaining == 0 {
                        self.end_of_chunk_data()?;
                    }
                    if let Some(out) = self.hold.pass(piece) {
                        return Ok(Some(out));
                    }
                }
                State::DataEnd { seen } => {
                    let seen = Self::expect_crlf(input, seen, ChunkError::MalformedChunk)?;
                    self.state = if seen == 2 { State::Header } else { State::DataEnd { seen } };
                }
                State::FinalCrlf { seen } => {
                    // A trailer where none was announced is a malformed trailer; any other deviation is bad framing.
                    if seen == 0 && input.first() != Some(&b'\r') {
                        return Err(ChunkError::MalformedTrailer);
                    }
                    let seen = Self::expect_crlf(input, seen, ChunkError::MalformedChunk)?;
                    self.state = if seen == 2 { State::Done } else { State::FinalCrlf { seen } };
                }
                State::Trailer => {
                    if !self.read_line(input, MAX_TRAILER_SECTION, ChunkError::TrailerTooLarge)? {
                        return Ok(None);
                    }
                    // The section ends with an empty line.
                    let last = self.line.get(self.section_line_start..).unwrap_or_default();
                    if last == b"\r\n" || last == b"\n" {
                        let section = std::mem::take(&mut self.line);
                        let summers = std::mem::take(&mut self.checksummers);
                        let verifier = self.verifier.as_deref_mut().map(|v| v as &mut dyn ChunkVerifier);
                        verify_section(&section, self.mode, &self.expected_trailers, verifier, summers)?;
                        self.state = State::Done;
                    } else {
                        self.section_line_start = self.line.len();
                    }
                }
                State::Done | State::Finished => return Err(ChunkError::TrailingData),
            }
        }
    }

    /// Appends input up to and including the next `\n` to `self.line`. Returns `true` when a full line has been read.
    /// For the trailer section lines accumulate; for chunk headers `self.line` holds a single line.
    fn read_line(&mut self, input: &mut BytesMut, limit: usize, too_long: ChunkError) -> Result<bool, ChunkError> {
        let room = limit.saturating_sub(self.line.len());
        let window = input.len().min(room);
        let (found, take) = match input.get(..window).and_then(find_lf) {
            Some(i) => (true, i + 1),
            None => (false, window),
        };
        if !found && input.len() > room {
            return Err(too_long);
        }
        self.line.extend_from_slice(&input.split_to(take));
        if !found && self.line.len() >= limit {
            return Err(too_long);
        }
        Ok(found)
    }

    /// Matches the remaining bytes of a CRLF; returns how many are matched.
    fn expect_crlf(input: &mut BytesMut, mut seen: u8, err: ChunkError) -> Result<u8, ChunkError> {
        while seen < 2 {
            let Some(&b) = input.first() else { break };
            let want = if seen == 0 { b'\r' } else { b'\n' };
            if b != want {
                return Err(err);
            }
            let _ = input.split_to(1);
            seen += 1;
        }
        Ok(seen)
    }

    fn on_chunk_line(&mut self, line: &[u8]) -> Result<(), ChunkError> {
        let content = strip_crlf(line).ok_or(ChunkError::MalformedChunk)?;
        let (size_part, ext) = match content.iter().position(|&b| b == b';') {
            Some(i) => {
                let (a, b) = content.split_at(i);
                (a, b.get(1..))
            }
            None => (content, None),
        };
        let size = parse_hex_size(trim_ows(size_part))?;

        self.chunk_signature.clear();
        if self.mode.is_signed() {
            let ext = trim_ows(ext.ok_or(ChunkError::MalformedChunk)?);
            let sig = ext.strip_prefix(b"chunk-signature=").map(trim_ows).ok_or(ChunkError::MalformedChunk)?;
            if !self.mode.signature_well_formed(sig) {
                return Err(ChunkError::MalformedChunk);
            }
            self.chunk_signature.extend_from_slice(sig);
        } else if ext.is_some() {
            return Err(ChunkError::MalformedChunk);
        }

        if size > 0 {
            if let Some(prev) = self.previous_size
                && prev < MIN_CHUNK_SIZE
            {
                return Err(ChunkError::ChunkTooSmall { chunk: self.chunks, size: prev });
            }
            let declared =
                self.declared.checked_add(size).filter(|&d| d <= self.decoded_len).ok_or(ChunkError::LengthMismatch)?;
            self.declared = declared;
            self.chunks += 1;
            self.previous_size = Some(size);
            self.chunk_hash = Sha256::new();
            self.state = State::Data { remaining: size };
            return Ok(());
        }

        // The final, zero-length chunk.
        if self.mode.is_signed() {
            let empty: [u8; 32] = Sha256::digest(b"").into();
            self.verify_chunk(&empty)?;
        }
        if self.declared != self.decoded_len {
            return Err(ChunkError::LengthMismatch);
        }
        self.state = if self.mode.has_trailer() { State::Trailer } else { State::FinalCrlf { seen: 0 } };
        Ok(())
    }

    fn verify_chunk(&mut self, hash: &[u8; 32]) -> Result<(), ChunkError> {
        let verifier = self.verifier.as_mut().ok_or(ChunkError::VerifierMissing)?;
        if verifier.chunk(hash, &self.chunk_signature) { Ok(()) } else { Err(ChunkError::ChunkSignatureMismatch) }
    }

    fn end_of_chunk_data(&mut self) -> Result<(), ChunkError> {
        if self.mode.is_signed() {
            let hash: [u8; 32] = std::mem::take(&mut self.chunk_hash).finalize().into();
            self.verify_chunk(&hash)?;
        }
        self.state = State::DataEnd { seen: 0 };
        Ok(())
    }
}
