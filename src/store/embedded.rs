//! The embedded store: s3s-fs served in-process on a loopback port, so one command gives a
//! working gate. The gate reaches it over HTTP with its own freshly made credentials,
//! exactly as it reaches a remote store, so the forwarding path under test is the
//! production one.
//!
//! s3s-fs keeps each object as the file `DATA_DIR/BUCKET/KEY` and its metadata in files
//! named after the base64 of bucket and key. Keys that layout cannot hold are refused with a
//! 4xx before anything is read or written (`EmbeddedLimits`), never left to fail as a 5xx:
//! a key segment longer than a file name may be, a key too long for its metadata file
//! name, and a key that would need an object to be a directory (`f/child` while `f`
//! exists, or `f` while `f/…` exist).
//!
//! s3s-fs does not tie a multipart upload to the bucket and key it was created for (S3
//! does: another key gets NoSuchUpload), so a request the gate authorized for one key
//! could add to, list, complete or abort another key's upload. The hook checks that the
//! upload's own metadata file, named after its bucket, key and id, exists.

use std::path::{Path, PathBuf};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::SimpleAuth;
use s3s::path::S3Path;
use s3s::service::S3ServiceBuilder;
use s3s::{S3Result, s3_error};
use tokio::net::TcpListener;

use crate::base::secret::SecretKey;
use crate::store::embedded_fs::MendedFs;
use crate::store::upstream::{StoreTarget, StoreTimeouts};

/// Makes the data directory and one directory per configured bucket (s3s-fs keeps each
/// bucket as a directory), then serves it. Returns where and how to reach it.
pub async fn start_embedded<'a>(
    data_dir: &Path,
    buckets: impl IntoIterator<Item = &'a str>,
    timeouts: StoreTimeouts,
) -> std::io::Result<StoreTarget> {
    start_embedded_for(data_dir, buckets, timeouts, 16 * 1024).await
}

/// As `start_embedded`, for request heads of up to `max_header_bytes` (`server.max_header_bytes`):
/// the store's connections buffer that much plus what the gate adds when it signs, and no
/// more, so a download its client has stalled queues little in the store's own write buffer.
pub async fn start_embedded_for<'a>(
    data_dir: &Path,
    buckets: impl IntoIterator<Item = &'a str>,
    timeouts: StoreTimeouts,
    max_header_bytes: usize,
) -> std::io::Result<StoreTarget> {
    // The directory itself, even when no bucket is configured yet.
    tokio::fs::create_dir_all(data_dir).await?;
    for b in buckets {
        tokio::fs::create_dir_all(data_dir.join(b)).await?;
    }
    let fs = s3s_fs::FileSystem::new(data_dir).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let root = std::fs::canonicalize(data_dir)?;
    let fs = MendedFs { fs, root: root.clone() };
    let access_key_id = format!("EMBEDDED{:016X}", rand::random::<u64>());
    let secret = SecretKey::new(hex::encode(rand::random::<[u8; 20]>()));
    let service = {
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(SimpleAuth::from_single(access_key_id.clone(), secret.expose().to_owned()));
        b.set_access(EmbeddedLimits { root });
        b.build()
    };
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let mut builder = Builder::new(TokioExecutor::new());
        builder.http1().max_buf_size((max_header_bytes + SIGNING_HEADROOM).max(16 * 1024));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors, accept fails at once every time: pause, not spin.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service.clone()).into_owned();
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!("embedded store connection ended: {e}");
                }
            });
        }
    });
    let endpoint =
        format!("http://{addr}").parse().map_err(|e: http::uri::InvalidUri| std::io::Error::other(e.to_string()))?;
    StoreTarget::new(&[endpoint], "us-east-1".to_owned(), access_key_id, secret, None, timeouts)
        .map_err(std::io::Error::other)
}

/// Room for the headers the gate adds to a request head it forwards (its signature, date,
/// payload hash and host).
const SIGNING_HEADROOM: usize = 8 * 1024;

/// A file name's limit (`NAME_MAX` on Linux file systems).
const NAME_MAX: usize = 255;

/// The longest key the embedded store can keep in `bucket`: its metadata file is named
/// `.bucket-B64(bucket).object-B64(key).upload-UUID.metadata.json` at the data directory's
/// top, and that name must fit in one file name.
pub fn embedded_max_key_bytes(bucket: &str) -> usize {
    let fixed = ".bucket-".len() + ".object-".len() + ".upload-".len() + 36 + ".metadata.json".len();
    let room = NAME_MAX.saturating_sub(fixed + base64_len(bucket.len()));
    // base64 without padding: ceil(4n/3) characters for n bytes.
    room * 3 / 4
}

fn base64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Refuses, with a 4xx, what s3s-fs would fail on with a 5xx or a half-done write.
struct EmbeddedLimits {
    /// The data directory, canonical (as s3s-fs resolves it).
    root: PathBuf,
}

/// What the request does with its key: keeps an object there, or reads or removes one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Write,
    Read,
}

impl EmbeddedLimits {
    /// The key fits in s3s-fs's file layout.
    fn fits(bucket: &str, key: &str) -> S3Result<()> {
        let max = embedded_max_key_bytes(bucket);
        if key.len() > max {
            return Err(s3_error!(
                KeyTooLongError,
                "Your key is too long: the embedded store keeps keys of at most {max} bytes in bucket {bucket} \
                 (its metadata file names hold the key)"
            ));
        }
        if key.split('/').any(|seg| seg.len() > NAME_MAX) {
            return Err(s3_error!(
                KeyTooLongError,
                "Your key is too long: the embedded store keeps each `/`-separated part of a key as a file name \
                 of at most {NAME_MAX} bytes"
            ));
        }
        Ok(())
    }

    /// No object stands where the key needs a directory, and no directory where it needs an
    /// object. A write is refused (400); a read finds nothing (404), as S3 would.
    async fn placeable(&self, bucket: &str, key: &str, usage: Use) -> S3Result<()> {
        let mut path = self.root.join(bucket);
        let mut segments = key.split('/').peekable();
        while let Some(seg) = segments.next() {
            path.push(seg);
            let last = segments.peek().is_none();
            let Ok(meta) = tokio::fs::symlink_metadata(&path).await else {
                // Absent: nothing further down exists either.
                return Ok(());
            };
            let clash = if last { meta.is_dir() } else { !meta.is_dir() };
            if clash {
                return Err(match usage {
                    Use::Read => s3_error!(NoSuchKey),
                    Use::Write => s3_error!(
                        InvalidArgument,
                        "The embedded store keeps objects as files: a key cannot name an object and, followed by \
                         `/`, a folder of other objects (`f` and `f/child`) at the same time"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The request's `uploadId` names an upload created for this bucket and key: s3s-fs
    /// keeps `.bucket-B64(bucket).object-B64(key).upload-UUID.metadata.json` from its
    /// creation until it is completed or aborted.
    async fn upload_of(&self, bucket: &str, key: &str, query: &str) -> S3Result<()> {
        use base64::Engine as _;
        let id = query_value(query, "uploadId")
            .filter(|id| is_uuid(id))
            .ok_or_else(|| s3_error!(NoSuchUpload))?
            .to_ascii_lowercase();
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let name = format!(".bucket-{}.object-{}.upload-{id}.metadata.json", b64(bucket), b64(key));
        if tokio::fs::try_exists(self.root.join(name)).await.unwrap_or(false) {
            Ok(())
        } else {
            Err(s3_error!(NoSuchUpload))
        }
    }

    async fn object(&self, bucket: &str, key: &str, usage: Use) -> S3Result<()> {
        Self::fits(bucket, key)?;
        self.placeable(bucket, key, usage).await
    }
}

/// A hyphenated UUID (`8-4-4-4-12` hex digits), the form s3s-fs gives upload ids.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() })
}

/// s3s-fs cuts a listing's common prefixes one byte past where the delimiter starts: a
/// delimiter of several bytes gives wrong prefixes, and one that is not ASCII makes it
/// panic mid-character. S3 takes any string; this store takes one byte. (The gate drops an
/// empty delimiter, which S3 reads as none.)
fn one_byte_delimiter(query: &str) -> S3Result<()> {
    // The gate forwards each parameter once.
    if let Some(value) = query_value(query, "delimiter")
        && percent_encoding::percent_decode_str(value).count() > 1
    {
        return Err(s3_error!(
            InvalidArgument,
            "The embedded store supports a delimiter of one character (one byte); use a real S3 store for longer ones"
        ));
    }
    Ok(())
}

/// The raw value of `name` in the query the gate forwarded (canonical: each parameter once).
fn query_value<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

#[async_trait::async_trait]
impl S3Access for EmbeddedLimits {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        // As s3s's default: the gate always signs.
        if cx.credentials().is_none() {
            return Err(s3_error!(AccessDenied, "Signature is required"));
        }
        let op = cx.s3_op().name();
        if op.starts_with("List") {
            one_byte_delimiter(cx.uri().query().unwrap_or(""))?;
        }
        let S3Path::Object { bucket, key } = cx.s3_path() else { return Ok(()) };
        let usage = match op {
            "PutObject" | "CopyObject" | "CreateMultipartUpload" | "CompleteMultipartUpload" | "UploadPart" => {
                Use::Write
            }
            _ => Use::Read,
        };
        self.object(bucket, key, usage).await?;
        if matches!(
            op,
            "UploadPart" | "UploadPartCopy" | "CompleteMultipartUpload" | "AbortMultipartUpload" | "ListParts"
        ) {
            self.upload_of(bucket, key, cx.uri().query().unwrap_or("")).await?;
        }
        if matches!(op, "CopyObject" | "UploadPartCopy")
            && let Some(source) = cx.headers().get("x-amz-copy-source").and_then(|v| v.to_str().ok())
        {
            // The gate rebuilt this header as `/bucket/encoded-key[?versionId=…]`.
            let path = source.split_once('?').map_or(source, |(p, _)| p);
            let decoded =
                percent_encoding::percent_decode_str(path).decode_utf8().map_err(|_| s3_error!(InvalidArgument))?;
            if let Some((b, k)) = decoded.trim_start_matches('/').split_once('/') {
                self.object(b, k, Use::Read).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_key_fills_the_metadata_file_name_exactly() {
        for bucket in ["b", "example-outpost-bucket", &"x".repeat(63)] {
            let max = embedded_max_key_bytes(bucket);
            let name = |n: usize| 8 + base64_len(bucket.len()) + 8 + base64_len(n) + 8 + 36 + 14;
            assert!(name(max) <= NAME_MAX, "{bucket}: {max}");
            assert!(name(max + 1) > NAME_MAX, "{bucket}: {max} is not the largest");
        }
        assert_eq!(embedded_max_key_bytes("example-outpost-bucket"), 113);
    }

    #[test]
    fn upload_ids_are_hyphenated_uuids() {
        assert!(is_uuid("8b52888a-1c05-4882-b37f-5cfb9a87dc53"));
        assert!(is_uuid("8B52888A-1C05-4882-B37F-5CFB9A87DC53"));
        for bad in [
            "",
            "x",
            "../../payroll/salaries.csv",
            "8b52888a1c054882b37f5cfb9a87dc53",
            "{8b52888a-1c05-4882-b37f-5cfb9a87dc5}",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }
}
