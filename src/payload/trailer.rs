//! The trailer section that follows the zero-length chunk in the trailer modes: `name:value\r\n` lines, then
//! `x-amz-trailer-signature:<sig>\r\n` in the signed modes, then an empty line. Parses the section once it has been
//! read whole, checks the trailer signature and compares the trailing checksums with the computed ones.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::chain::ChunkVerifier;
use super::checksum::{ChecksumAlgorithm, Checksummer};
use super::error::ChunkError;
use super::mode::{StreamingMode, TRAILER_SIGNATURE_NAME, find_lf, strip_crlf, trim_ows};

/// A parsed trailer section.
struct Section {
    /// `name:value\n` per checksum line, names in lower case, in the order sent: what the trailer signature covers.
    canonical: Vec<u8>,
    /// The checksum values as sent (still base64).
    values: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    /// The trailer signature, in the signed modes.
    signature: Option<Vec<u8>>,
}

/// Parses and verifies a complete trailer section (final empty line included). `checksummers` hold the checksums of the
/// decoded data, one per expected trailer.
pub(super) fn verify_section(
    section: &[u8],
    mode: StreamingMode,
    expected: &[ChecksumAlgorithm],
    verifier: Option<&mut dyn ChunkVerifier>,
    checksummers: Vec<Checksummer>,
) -> Result<(), ChunkError> {
    let section = parse(section, mode, expected)?;
    if mode.is_signed() {
        let signature = section.signature.as_deref().ok_or(ChunkError::MalformedTrailer)?;
        let hash: [u8; 32] = Sha256::digest(&section.canonical).into();
        let verifier = verifier.ok_or(ChunkError::VerifierMissing)?;
        // The signature is checked before the checksums so that a forged trailer reports a signature error.
        if !verifier.trailer(&hash, signature) {
            return Err(ChunkError::TrailerSignatureMismatch);
        }
    }
    for summer in checksummers {
        let alg = summer.algorithm();
        let sent = section
            .values
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, v)| v.as_slice())
            .ok_or(ChunkError::MalformedTrailer)?;
        let sent = std::str::from_utf8(sent)
            .ok()
            .and_then(|s| alg.decode_value(s))
            .ok_or(ChunkError::InvalidTrailerChecksum(alg))?;
        if !bool::from(summer.finish().ct_eq(&sent)) {
            return Err(ChunkError::BadDigest(alg));
        }
    }
    Ok(())
}

/// Splits the section into lines and checks its shape: every announced checksum exactly once, nothing unannounced, the
/// signature (signed modes only) last.
fn parse(section: &[u8], mode: StreamingMode, expected: &[ChecksumAlgorithm]) -> Result<Section, ChunkError> {
    let mut out = Section { canonical: Vec::new(), values: Vec::new(), signature: None };
    let mut rest = section;
    loop {
        let Some(end) = find_lf(rest) else {
            return Err(ChunkError::MalformedTrailer);
        };
        let (line, tail) = rest.split_at(end + 1);
        rest = tail;
        let content = strip_crlf(line).ok_or(ChunkError::MalformedTrailer)?;
        if content.is_empty() {
            break;
        }
        if out.signature.is_some() {
            // Nothing may follow the trailer signature.
            return Err(ChunkError::MalformedTrailer);
        }
        let colon = content.iter().position(|&b| b == b':').ok_or(ChunkError::MalformedTrailer)?;
        let (name, value) = content.split_at(colon);
        let name = std::str::from_utf8(trim_ows(name)).map_err(|_| ChunkError::MalformedTrailer)?.to_ascii_lowercase();
        let value = trim_ows(value.get(1..).unwrap_or_default());
        if name.is_empty() || value.iter().any(|&b| b.is_ascii_control() || !b.is_ascii()) {
            return Err(ChunkError::MalformedTrailer);
        }
        if name == TRAILER_SIGNATURE_NAME {
            if !mode.is_signed() || !mode.signature_well_formed(value) {
                return Err(ChunkError::MalformedTrailer);
            }
            out.signature = Some(value.to_vec());
            continue;
        }
        let alg = ChecksumAlgorithm::from_header_name(&name)
            .filter(|a| expected.contains(a))
            .ok_or(ChunkError::MalformedTrailer)?;
        if out.values.iter().any(|(a, _)| *a == alg) {
            return Err(ChunkError::MalformedTrailer);
        }
        out.canonical.extend_from_slice(name.as_bytes());
        out.canonical.push(b':');
        out.canonical.extend_from_slice(value);
        out.canonical.push(b'\n');
        out.values.push((alg, value.to_vec()));
    }
    if !rest.is_empty() || out.values.len() != expected.len() {
        return Err(ChunkError::MalformedTrailer);
    }
    Ok(out)
}
