//! What is asked: which bucket or access point, which key, which S3-on-Outposts action,
//! and the resource ARN that policies match.
//!
//! Addressing (S3 User Guide, "Virtual hosting of buckets"; S3 on Outposts, "Access points"):
//! a Host of `{bucket}.{endpoint}` is virtual-host style, `{ap}-{account}.{outpost}.{endpoint}`
//! is an Outposts access point, anything else is path style (`/{bucket}/{key}`).
//!
//! Sub-resources the gate does not map to an action (`?acl`, `?policy`, `?lifecycle`, …) are
//! refused with 405 rather than forwarded: forwarding them under another action's
//! permission would let a GetObject grant read an ACL or a PutObject grant rewrite one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, Method};

use crate::base::ids::is_account_id;
use crate::base::s3err::S3Error;
use crate::base::scratch::with_buf;
use crate::config::{AccessPoint, Bucket, OutpostConfig, StoreTraits};
use crate::decision::guard;
use crate::sigv4::Query;
use crate::sigv4::encode::percent_decode_utf8;

/// Read on every request: built once, so the lookup does not parse the name.
const X_AMZ_COPY_SOURCE: HeaderName = HeaderName::from_static("x-amz-copy-source");

/// S3-on-Outposts actions, as policies name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    GetObject,
    GetObjectVersion,
    PutObject,
    DeleteObject,
    DeleteObjectVersion,
    AbortMultipartUpload,
    ListMultipartUploadParts,
    ListBucket,
    ListBucketMultipartUploads,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Self::GetObject => "s3-outposts:GetObject",
            Self::GetObjectVersion => "s3-outposts:GetObjectVersion",
            Self::PutObject => "s3-outposts:PutObject",
            Self::DeleteObject => "s3-outposts:DeleteObject",
            Self::DeleteObjectVersion => "s3-outposts:DeleteObjectVersion",
            Self::AbortMultipartUpload => "s3-outposts:AbortMultipartUpload",
            Self::ListMultipartUploadParts => "s3-outposts:ListMultipartUploadParts",
            Self::ListBucket => "s3-outposts:ListBucket",
            Self::ListBucketMultipartUploads => "s3-outposts:ListBucketMultipartUploads",
            Self::GetObjectTagging => "s3-outposts:GetObjectTagging",
            Self::PutObjectTagging => "s3-outposts:PutObjectTagging",
            Self::DeleteObjectTagging => "s3-outposts:DeleteObjectTagging",
        }
    }

    /// Lower case, for case-insensitive matching without allocating.
    pub fn name_lower(self) -> &'static str {
        match self {
            Self::GetObject => "s3-outposts:getobject",
            Self::GetObjectVersion => "s3-outposts:getobjectversion",
            Self::PutObject => "s3-outposts:putobject",
            Self::DeleteObject => "s3-outposts:deleteobject",
            Self::DeleteObjectVersion => "s3-outposts:deleteobjectversion",
            Self::AbortMultipartUpload => "s3-outposts:abortmultipartupload",
            Self::ListMultipartUploadParts => "s3-outposts:listmultipartuploadparts",
            Self::ListBucket => "s3-outposts:listbucket",
            Self::ListBucketMultipartUploads => "s3-outposts:listbucketmultipartuploads",
            Self::GetObjectTagging => "s3-outposts:getobjecttagging",
            Self::PutObjectTagging => "s3-outposts:putobjecttagging",
            Self::DeleteObjectTagging => "s3-outposts:deleteobjecttagging",
        }
    }
}

/// Sub-resources that name operations the gate does not carry.
const REFUSED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metadataTable",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "session",
    "torrent",
    "versioning",
    "versions",
    "website",
];

/// The buckets and access points the gate serves, and the hosts it answers to.
pub struct Catalog {
    pub outpost: OutpostConfig,
    pub endpoint_hosts: Vec<String>,
    pub buckets: BTreeMap<String, Arc<Bucket>>,
    pub access_points: BTreeMap<String, Arc<AccessPoint>>,
    /// How the store reads keys and versions: what `guard` must refuse.
    pub traits: StoreTraits,
}

/// The answer to "what is asked".
#[derive(Debug, Clone)]
pub struct Asked {
    pub action: Action,
    /// The store bucket (an access point resolves to its bucket).
    pub bucket: Arc<Bucket>,
    pub access_point: Option<Arc<AccessPoint>>,
    /// The object key, decoded; `None` for bucket-level requests.
    pub key: Option<String>,
    /// The ARN addressed (access-point ARNs for access-point requests). Shared with the
    /// access line, so it is built once.
    pub resource: Arc<str>,
    /// The same resource as a bucket ARN, for the bucket policy (the same string when the
    /// bucket itself was addressed).
    pub bucket_resource: Arc<str>,
    /// `x-amz-copy-source`, resolved: the source needs GetObject too.
    pub copy_source: Option<Box<Asked>>,
    /// What the store gets: the query (only parameters S3 defines for the operation,
    /// canonically encoded) and, for a copy, the `x-amz-copy-source` rebuilt from the
    /// classified source. Policies read the same values.
    pub forward: Forward,
}

/// The parts of the store's request that come from classification, not from the client's
/// text.
#[derive(Debug, Clone, Default)]
pub struct Forward {
    pub query: String,
    pub copy_source: Option<String>,
    /// `bucket/key` of the copy source, decoded: what `s3-outposts:x-amz-copy-source` reads.
    pub copy_source_fact: Option<String>,
}

/// Where the client pointed, before looking it up.
enum Addressed<'a> {
    Bucket(std::borrow::Cow<'a, str>),
    AccessPoint { name: &'a str, account: &'a str, outpost: &'a str },
    Service,
}

impl Catalog {
    pub fn classify(
        &self,
        method: &Method,
        host: &str,
        raw_path: &str,
        query: &Query<'_>,
        headers: &HeaderMap,
    ) -> Result<Asked, S3Error> {
        // Host names are case-insensitive (DNS); bucket and access point names are lower case.
        let host = strip_port(host);
        let host: Cow<'_, str> = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(host.to_ascii_lowercase())
        } else {
            Cow::Borrowed(host)
        };
        let (addressed, raw_key) = self.address(&host, raw_path)?;
        let key = match raw_key {
            "" => None,
            k => Some(percent_decode_utf8(k).ok_or_else(S3Error::invalid_uri)?.into_owned()),
        };
        let (bucket, access_point) = match addressed {
            Addressed::Service => {
                return Err(S3Error::method_not_allowed(method.as_str(), "SERVICE"));
            }
            Addressed::Bucket(name) => {
                let b = self.buckets.get(name.as_ref()).ok_or_else(|| S3Error::no_such_bucket(&name))?;
                (Arc::clone(b), None)
            }
            Addressed::AccessPoint { name, account, outpost } => {
                let ap = self
                    .access_points
                    .get(name)
                    .filter(|_| account == self.outpost.account_id && outpost == self.outpost.outpost_id)
                    .ok_or_else(|| S3Error::no_such_bucket(name))?;
                let b = self.buckets.get(&ap.bucket).ok_or_else(|| S3Error::no_such_bucket(&ap.bucket))?;
                (Arc::clone(b), Some(Arc::clone(ap)))
            }
        };
        if let Some(k) = &key {
            guard::check_key(k, self.traits)?;
        }
        let action = action(method, key.is_some(), query)?;
        if matches!(action, Action::ListBucket | Action::ListBucketMultipartUploads) {
            guard::check_prefix(query, self.traits)?;
        }
        let mut forward = Forward { query: guard::forwarded_query(query, self.traits)?, ..Forward::default() };
        let object = |base: &str| -> Arc<str> {
            match &key {
                Some(k) => with_buf(|buf| {
                    for part in [base, "/object/", k] {
                        buf.extend_from_slice(part.as_bytes());
                    }
                    Arc::from(std::str::from_utf8(buf).unwrap_or_default())
                }),
                None => Arc::from(base),
            }
        };
        let bucket_resource = object(&bucket.arn);
        let resource = access_point.as_ref().map_or_else(|| Arc::clone(&bucket_resource), |ap| object(&ap.arn));
        let copy_source = match headers.get(X_AMZ_COPY_SOURCE) {
            Some(v) if key.is_some() && *method == Method::PUT && matches!(action, Action::PutObject) => {
                let (source, header, fact) = self.copy_source(v.as_bytes())?;
                forward.copy_source = Some(header);
                forward.copy_source_fact = Some(fact);
                Some(Box::new(source))
            }
            Some(_) => {
                return Err(S3Error::invalid_argument("x-amz-copy-source is only valid on an object PUT"));
            }
            None => None,
        };
        Ok(Asked { action, bucket, access_point, key, resource, bucket_resource, copy_source, forward })
    }

    /// Host and path → what is addressed, and the still-encoded key part of the path.
    fn address<'a>(&self, host: &'a str, raw_path: &'a str) -> Result<(Addressed<'a>, &'a str), S3Error> {
        let path = raw_path.strip_prefix('/').ok_or_else(S3Error::invalid_uri)?;
        for endpoint in &self.endpoint_hosts {
            let Some(prefix) = host
                .len()
                .checked_sub(endpoint.len() + 1)
                .filter(|&cut| host.is_char_boundary(cut))
                .map(|cut| host.split_at(cut))
                .filter(|(_, suffix)| suffix.starts_with('.') && suffix[1..] == **endpoint)
                .map(|(prefix, _)| prefix)
            else {
                continue;
            };
            if let Some((ap_part, outpost)) = prefix.rsplit_once('.')
                && let Some((name, account)) = ap_part.rsplit_once('-')
                && outpost.starts_with("op-")
                && is_account_id(account)
            {
                return Ok((Addressed::AccessPoint { name, account, outpost }, path));
            }
            return Ok((Addressed::Bucket(prefix.into()), path));
        }
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        if bucket.is_empty() {
            return Ok((Addressed::Service, ""));
        }
        let bucket = percent_decode_utf8(bucket).ok_or_else(S3Error::invalid_uri)?;
        Ok((Addressed::Bucket(bucket), key))
    }

    /// `bucket/key`, `/bucket/key` or an access-point object ARN, URL-encoded, with an
    /// optional `?versionId=` (see `guard::parse_copy_source`). Returns the source as asked,
    /// the header the store gets, and the `bucket/key` text policies read.
    fn copy_source(&self, raw: &[u8]) -> Result<(Asked, String, String), S3Error> {
        let bad = || S3Error::invalid_argument("Invalid copy source object key");
        let text = guard::parse_copy_source(raw)?;
        let decoded = text.path.as_ref();
        let (bucket, access_point, key) =
            if let Some(rest) = decoded.strip_prefix(&format!("{}/accesspoint/", self.outpost.arn_base())) {
                let (ap_name, key) = rest.split_once("/object/").ok_or_else(bad)?;
                let ap = self.access_points.get(ap_name).ok_or_else(|| S3Error::no_such_bucket(ap_name))?;
                let b = self.buckets.get(&ap.bucket).ok_or_else(|| S3Error::no_such_bucket(&ap.bucket))?;
                (Arc::clone(b), Some(Arc::clone(ap)), key)
            } else {
                let (bucket, key) = decoded.split_once('/').ok_or_else(bad)?;
                let b = self.buckets.get(bucket).ok_or_else(|| S3Error::no_such_bucket(bucket))?;
                (Arc::clone(b), None, key)
            };
        if key.is_empty() {
            return Err(bad());
        }
        guard::check_key(key, self.traits)?;
        // A store without versions has one version of each object, `null`.
        let version = match text.version.as_deref() {
            Some(v) if self.traits.versions => Some(v),
            None | Some("null") => None,
            Some(v) => {
                return Err(S3Error::invalid_argument("Invalid version id specified")
                    .with("ArgumentName", "x-amz-copy-source")
                    .with("ArgumentValue", v));
            }
        };
        let header = guard::copy_source_header(&bucket.name, key, version);
        let fact = format!("{}/{key}", bucket.name);
        let bucket_resource: Arc<str> = Arc::from(format!("{}/object/{key}", bucket.arn));
        let resource = access_point
            .as_ref()
            .map_or_else(|| Arc::clone(&bucket_resource), |ap| Arc::from(format!("{}/object/{key}", ap.arn)));
        let action = if text.version.is_some() { Action::GetObjectVersion } else { Action::GetObject };
        let source = Asked {
            action,
            bucket,
            access_point,
            key: Some(key.to_owned()),
            resource,
            bucket_resource,
            copy_source: None,
            forward: Forward::default(),
        };
        Ok((source, header, fact))
    }
}

/// `host:port`, `[v6]:port` → host.
pub fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(host, |(h, _)| h);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Method and sub-resources → action (S3 on Outposts, "Actions, resources and condition keys").
/// A request naming more than one of the sub-resources that choose the operation
/// (`uploads`, `uploadId`, `tagging`) is refused: stores differ in which one wins.
fn action(method: &Method, object: bool, q: &Query<'_>) -> Result<Action, S3Error> {
    let refuse = || S3Error::method_not_allowed(method.as_str(), if object { "OBJECT" } else { "BUCKET" });
    if q.iter().any(|p| REFUSED_SUBRESOURCES.iter().any(|r| r.as_bytes() == p.key.as_ref())) {
        return Err(refuse());
    }
    let (uploads, upload_id, tagging) = (q.has("uploads"), q.has("uploadId"), q.has("tagging"));
    let version = q.has("versionId");
    let selectors = [("uploads", uploads), ("uploadId", upload_id), ("tagging", tagging)];
    if selectors.iter().filter(|(_, on)| *on).count() > 1 {
        let named: Vec<&str> = selectors.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        return Err(S3Error::new(
            http::StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!("A request may name one of uploads, uploadId and tagging, not {}", named.join(" and ")),
        ));
    }
    // Multipart operations have no version; a bucket has none either.
    if version && (uploads || upload_id || !object) {
        return Err(S3Error::invalid_argument("versionId is not valid for this request")
            .with("ArgumentName", "versionId")
            .with("ArgumentValue", String::from_utf8_lossy(q.get("versionId").unwrap_or_default())));
    }
    let m = method.as_str();
    if object {
        Ok(match m {
            "GET" if upload_id => Action::ListMultipartUploadParts,
            "GET" if tagging => Action::GetObjectTagging,
            "GET" | "HEAD" if uploads || tagging || upload_id => return Err(refuse()),
            "GET" | "HEAD" if version => Action::GetObjectVersion,
            "GET" | "HEAD" => Action::GetObject,
            "PUT" if tagging => Action::PutObjectTagging,
            "PUT" if uploads => return Err(refuse()),
            "PUT" => Action::PutObject,
            "POST" if uploads || upload_id => Action::PutObject,
            "DELETE" if upload_id => Action::AbortMultipartUpload,
            "DELETE" if tagging => Action::DeleteObjectTagging,
            "DELETE" if uploads => return Err(refuse()),
            "DELETE" if version => Action::DeleteObjectVersion,
            "DELETE" => Action::DeleteObject,
            _ => return Err(refuse()),
        })
    } else {
        Ok(match m {
            "GET" if uploads => Action::ListBucketMultipartUploads,
            "GET" | "HEAD" if !tagging && !upload_id && !uploads => Action::ListBucket,
            _ => return Err(refuse()),
        })
    }
}

#[cfg(test)]
mod tests;
