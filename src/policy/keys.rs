//! Condition keys: their names, compiled once at load, and the per-request facts they read.
//!
//! Key names are case-insensitive in IAM, so a name is resolved to a `Key` at load and the
//! request never compares key strings. `Facts` is filled by the gate once per request from
//! values it already holds (borrowed, so building it allocates nothing); the text forms of
//! numbers, times and addresses are made only if a policy asks for them, and then once.

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::base::time::UnixTime;

/// A condition key the gate knows, or one it never sets (which AWS treats as absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    // Signature keys.
    SignatureAge,
    AuthType,
    SignatureVersion,
    ContentSha256,
    // ListBucket.
    Prefix,
    Delimiter,
    MaxKeys,
    // Access points.
    DataAccessPointArn,
    DataAccessPointAccount,
    AccessPointNetworkOrigin,
    // Request headers.
    Header(AmzHeader),
    RequestObjectTag(Box<str>),
    RequestObjectTagKeys,
    // Global keys.
    SourceIp,
    SourceVpc,
    SourceVpce,
    VpcSourceIp,
    ViaAwsService,
    SecureTransport,
    CurrentTime,
    EpochTime,
    PrincipalArn,
    PrincipalAccount,
    PrincipalType,
    Username,
    Userid,
    TokenIssueTime,
    /// A key no request of this gate carries: always absent.
    Unset,
}

/// Request headers that S3 on Outposts exposes as condition keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmzHeader {
    Acl,
    StorageClass,
    ServerSideEncryption,
    CopySource,
    MetadataDirective,
}

impl AmzHeader {
    pub const ALL: [Self; 5] =
        [Self::Acl, Self::StorageClass, Self::ServerSideEncryption, Self::CopySource, Self::MetadataDirective];

    pub fn header_name(self) -> &'static str {
        match self {
            Self::Acl => "x-amz-acl",
            Self::StorageClass => "x-amz-storage-class",
            Self::ServerSideEncryption => "x-amz-server-side-encryption",
            Self::CopySource => "x-amz-copy-source",
            Self::MetadataDirective => "x-amz-metadata-directive",
        }
    }
}

impl Key {
    /// Resolves a key name as written in a policy (any case).
    pub fn parse(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if let Some(tag) = lower.strip_prefix("s3-outposts:requestobjecttag/") {
            // The tag's own name keeps its case: tag keys are case-sensitive.
            let tag_name = &name[name.len() - tag.len()..];
            return Self::RequestObjectTag(tag_name.into());
        }
        match lower.as_str() {
            "s3-outposts:signatureage" => Self::SignatureAge,
            "s3-outposts:authtype" => Self::AuthType,
            "s3-outposts:signatureversion" => Self::SignatureVersion,
            "s3-outposts:x-amz-content-sha256" => Self::ContentSha256,
            "s3-outposts:prefix" => Self::Prefix,
            "s3-outposts:delimiter" => Self::Delimiter,
            "s3-outposts:max-keys" => Self::MaxKeys,
            "s3-outposts:dataaccesspointarn" => Self::DataAccessPointArn,
            "s3-outposts:dataaccesspointaccount" => Self::DataAccessPointAccount,
            "s3-outposts:accesspointnetworkorigin" => Self::AccessPointNetworkOrigin,
            "s3-outposts:x-amz-acl" => Self::Header(AmzHeader::Acl),
            "s3-outposts:x-amz-storage-class" => Self::Header(AmzHeader::StorageClass),
            "s3-outposts:x-amz-server-side-encryption" => Self::Header(AmzHeader::ServerSideEncryption),
            "s3-outposts:x-amz-copy-source" => Self::Header(AmzHeader::CopySource),
            "s3-outposts:x-amz-metadata-directive" => Self::Header(AmzHeader::MetadataDirective),
            "s3-outposts:requestobjecttagkeys" => Self::RequestObjectTagKeys,
            "aws:sourceip" => Self::SourceIp,
            "aws:sourcevpc" => Self::SourceVpc,
            "aws:sourcevpce" => Self::SourceVpce,
            "aws:vpcsourceip" => Self::VpcSourceIp,
            "aws:viaawsservice" => Self::ViaAwsService,
            "aws:securetransport" => Self::SecureTransport,
            "aws:currenttime" => Self::CurrentTime,
            "aws:epochtime" => Self::EpochTime,
            "aws:principalarn" => Self::PrincipalArn,
            "aws:principalaccount" => Self::PrincipalAccount,
            "aws:principaltype" => Self::PrincipalType,
            "aws:username" => Self::Username,
            "aws:userid" => Self::Userid,
            "aws:tokenissuetime" => Self::TokenIssueTime,
            _ => Self::Unset,
        }
    }
}

/// A value as the request carries it, typed where the gate knows its type. Text forms of
/// typed values are made only if a string operator or a variable asks (`Facts::text_of`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Text(&'a str),
    Int(i64),
    Bool(bool),
    Ip(IpAddr),
    /// Milliseconds since the epoch.
    Time(i64),
}

/// What a key holds in this request.
#[derive(Debug, Clone, Copy)]
pub enum Found<'a> {
    Absent,
    One(Val<'a>),
    /// `RequestObjectTagKeys`, multivalued: the keys of these tags (may be none).
    TagKeys(&'a [(String, String)]),
}

/// How the request was authenticated.
#[derive(Debug, Clone, Copy)]
pub struct AuthFacts<'a> {
    /// `REST-QUERY-STRING` or `REST-HEADER`.
    pub auth_type: &'static str,
    /// `AWS4-HMAC-SHA256`.
    pub signature_version: &'static str,
    /// For presigned URLs: arrival time minus X-Amz-Date.
    pub signature_age_ms: Option<i64>,
    pub content_sha256: &'a str,
}

/// The access point a request came through.
#[derive(Debug, Clone, Copy)]
pub struct AccessPointFacts<'a> {
    pub arn: &'a str,
    pub account: &'a str,
    /// `VPC` or `Internet`.
    pub network_origin: &'static str,
}

/// Everything policies may ask about one request. Built by the gate (or `explain`, or a
/// test) from values it holds; nothing here reads a clock or a socket.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    pub principal_arn: &'a str,
    pub principal_account: &'a str,
    /// `User`, `AssumedRole`, …
    pub principal_type: &'a str,
    pub username: Option<&'a str>,
    pub userid: Option<&'a str>,
    /// For role sessions, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: a resource
    /// policy may name the role or the session.
    pub session_arn: Option<&'a str>,
    pub token_issue_time: Option<UnixTime>,
    /// Arrival time, milliseconds since the epoch.
    pub now_ms: i64,
    pub source_ip: Option<IpAddr>,
    pub source_vpc: Option<&'a str>,
    pub source_vpce: Option<&'a str>,
    pub vpc_source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub auth: Option<AuthFacts<'a>>,
    pub prefix: Option<&'a str>,
    pub delimiter: Option<&'a str>,
    pub max_keys: Option<&'a str>,
    pub access_point: Option<AccessPointFacts<'a>>,
    /// In `AmzHeader::ALL` order.
    pub headers: [Option<&'a str>; 5],
    /// From `x-amz-tagging`, decoded; `None` when the header was not sent.
    pub tags: Option<&'a [(String, String)]>,
    /// Filled on first use; build with `..Facts::default()`.
    pub texts: Texts,
}

/// Text forms of typed values, made on first use.
#[derive(Debug, Default)]
pub struct Texts {
    age: OnceCell<String>,
    epoch: OnceCell<String>,
    now: OnceCell<String>,
    source_ip: OnceCell<String>,
    vpc_source_ip: OnceCell<String>,
    token_issue: OnceCell<String>,
}

impl<'a> Facts<'a> {
    /// The same request's facts as seen through another access point (or none): a copy's
    /// source is judged in its own context, not in its destination's.
    #[must_use]
    pub fn through(&self, access_point: Option<AccessPointFacts<'a>>) -> Self {
        Self {
            principal_arn: self.principal_arn,
            principal_account: self.principal_account,
            principal_type: self.principal_type,
            username: self.username,
            userid: self.userid,
            session_arn: self.session_arn,
            token_issue_time: self.token_issue_time,
            now_ms: self.now_ms,
            source_ip: self.source_ip,
            source_vpc: self.source_vpc,
            source_vpce: self.source_vpce,
            vpc_source_ip: self.vpc_source_ip,
            secure_transport: self.secure_transport,
            auth: self.auth,
            prefix: self.prefix,
            delimiter: self.delimiter,
            max_keys: self.max_keys,
            access_point,
            headers: self.headers,
            tags: self.tags,
            texts: Texts::default(),
        }
    }

    #[inline]
    pub fn get(&self, key: &Key) -> Found<'_> {
        let text = |s: Option<&'a str>| s.map_or(Found::Absent, |s| Found::One(Val::Text(s)));
        let typed = |v: Option<Val<'static>>| v.map_or(Found::Absent, Found::One);
        match key {
            Key::SignatureAge => typed(self.auth.and_then(|a| a.signature_age_ms).map(Val::Int)),
            Key::AuthType => text(self.auth.map(|a| a.auth_type)),
            Key::SignatureVersion => text(self.auth.map(|a| a.signature_version)),
            Key::ContentSha256 => text(self.auth.map(|a| a.content_sha256)),
            Key::Prefix => text(self.prefix),
            Key::Delimiter => text(self.delimiter),
            Key::MaxKeys => text(self.max_keys),
            Key::DataAccessPointArn => text(self.access_point.map(|a| a.arn)),
            Key::DataAccessPointAccount => text(self.access_point.map(|a| a.account)),
            Key::AccessPointNetworkOrigin => text(self.access_point.map(|a| a.network_origin)),
            Key::Header(h) => text(self.headers[*h as usize]),
            Key::RequestObjectTag(name) => {
                let tags = self.tags.unwrap_or_default();
                text(tags.iter().find(|(k, _)| **k == **name).map(|(_, v)| v.as_str()))
            }
            Key::RequestObjectTagKeys => self.tags.map_or(Found::Absent, Found::TagKeys),
            Key::SourceIp => typed(self.source_ip.map(Val::Ip)),
            Key::VpcSourceIp => typed(self.vpc_source_ip.map(Val::Ip)),
            Key::SourceVpc => text(self.source_vpc),
            Key::SourceVpce => text(self.source_vpce),
            Key::ViaAwsService => Found::One(Val::Bool(false)),
            Key::SecureTransport => Found::One(Val::Bool(self.secure_transport)),
            Key::CurrentTime => Found::One(Val::Time(self.now_ms)),
            Key::EpochTime => Found::One(Val::Int(self.now_ms.div_euclid(1000))),
            Key::PrincipalArn => text(Some(self.principal_arn).filter(|s| !s.is_empty())),
            Key::PrincipalAccount => text(Some(self.principal_account).filter(|s| !s.is_empty())),
            Key::PrincipalType => text(Some(self.principal_type).filter(|s| !s.is_empty())),
            Key::Username => text(self.username),
            Key::Userid => text(self.userid),
            Key::TokenIssueTime => typed(self.token_issue_time.map(|t| Val::Time(t.0.saturating_mul(1000)))),
            Key::Unset => Found::Absent,
        }
    }

    /// A key's single value as text (for string operators on typed keys, policy variables
    /// and traces). Typed values are formatted once per request, on first use.
    pub fn text_of(&self, key: &Key) -> Option<&str> {
        let Found::One(v) = self.get(key) else { return None };
        let cell = match key {
            Key::SignatureAge => &self.texts.age,
            Key::EpochTime => &self.texts.epoch,
            Key::CurrentTime => &self.texts.now,
            Key::SourceIp => &self.texts.source_ip,
            Key::VpcSourceIp => &self.texts.vpc_source_ip,
            Key::TokenIssueTime => &self.texts.token_issue,
            _ => {
                return match v {
                    Val::Text(t) => Some(t),
                    Val::Bool(true) => Some("true"),
                    Val::Bool(false) => Some("false"),
                    Val::Int(_) | Val::Ip(_) | Val::Time(_) => None,
                };
            }
        };
        Some(cell.get_or_init(|| {
            let mut s = String::new();
            let _ = match v {
                Val::Text(t) => write!(s, "{t}"),
                Val::Int(i) => write!(s, "{i}"),
                Val::Bool(b) => write!(s, "{b}"),
                Val::Ip(ip) => write!(s, "{ip}"),
                Val::Time(ms) => write!(s, "{}", UnixTime(ms.div_euclid(1000)).iso8601()),
            };
            s
        }))
    }
}
