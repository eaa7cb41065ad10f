//! The STS query API at `POST /`, for the SDKs' own STS clients (boto3's `sts` client with
//! `endpoint_url` set to the gate): `GetSessionToken`, `AssumeRole`, `GetCallerIdentity`,
//! authenticated with header SigV4 (service `sts`) over a form body. Answers and errors are
//! STS's XML (`…Response/…Result`, `ErrorResponse/Error/{Type,Code,Message}`).
//!
//! The form body is small and must be hashed before the signature can be checked, so it is
//! read whole, up to `MAX_FORM_BYTES`; object bodies never come here.

use std::fmt::Write as _;

use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use sha2::Digest as _;

use crate::base::s3err::S3Error;
use crate::base::time::UnixTime;
use crate::decision::decide::{Caller, Decider, host_of};
use crate::session::{MintError, Session, mint};
use crate::sigv4::Query;
use crate::sigv4::{SigAuth, SignedRequest, verify};
use crate::store::body::GateBody;

const MAX_FORM_BYTES: usize = 64 * 1024;
const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Whether a request is for the STS API: `POST /` with a form body.
pub fn is_sts_request(method: &http::Method, path: &str, headers: &http::HeaderMap) -> bool {
    method == http::Method::POST
        && path == "/"
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// An STS error: status, `Sender`/`Receiver`, code and message.
#[derive(Debug)]
pub struct StsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl StsError {
    fn sender(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::sender(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    fn access_denied(message: impl Into<String>) -> Self {
        Self::sender(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    /// Authentication failures, in STS's words.
    fn from_auth(e: &S3Error) -> Self {
        match e.code {
            "InvalidAccessKeyId" | "InvalidToken" => Self::sender(
                StatusCode::FORBIDDEN,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            "ExpiredToken" => Self::sender(
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
            // STS's words for a request outside its 15 minutes, and for a malformed header.
            "RequestTimeTooSkewed" => Self::sender(
                StatusCode::BAD_REQUEST,
                "SignatureDoesNotMatch",
                "Signature expired: the request's x-amz-date is more than 15 minutes from the server's time.",
            ),
            "AuthorizationHeaderMalformed" | "InvalidRequest" => {
                Self { status: StatusCode::BAD_REQUEST, code: "IncompleteSignature", message: e.message.to_string() }
            }
            code => Self { status: e.status, code, message: e.message.to_string() },
        }
    }

    fn to_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            self.code,
            escape(&self.message)
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn xml_response(status: StatusCode, body: String) -> Response<GateBody> {
    let mut resp = Response::new(GateBody::full(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    resp
}

/// Serves one STS request. `code` tells the access log what was asked.
pub async fn handle(
    decider: &Decider,
    req: http::Request<Incoming>,
    now: UnixTime,
    request_id: &str,
) -> (Response<GateBody>, &'static str) {
    let (parts, body) = req.into_parts();
    let Ok(body) =
        http_body_util::Limited::new(body, MAX_FORM_BYTES).collect().await.map(http_body_util::Collected::to_bytes)
    else {
        let e = StsError::validation(format!("the request body must be at most {MAX_FORM_BYTES} bytes"));
        return (xml_response(e.status, e.to_xml(request_id)), "sts");
    };
    match serve(decider, &parts, &body, now, request_id) {
        Ok((xml, action)) => (xml_response(StatusCode::OK, xml), action),
        Err((e, action)) => {
            tracing::debug!(request_id, code = e.code, "sts: {}", e.message);
            (xml_response(e.status, e.to_xml(request_id)), action)
        }
    }
}

type Answer = Result<(String, &'static str), (StsError, &'static str)>;

fn serve(decider: &Decider, parts: &http::request::Parts, body: &[u8], now: UnixTime, request_id: &str) -> Answer {
    let fail = |e: StsError| Err((e, "sts"));
    let Some(sts) = &decider.sts else {
        return fail(StsError::sender(StatusCode::BAD_REQUEST, "InvalidAction", "STS is not enabled on this gate"));
    };
    // Authenticate: header SigV4 for service `sts` over the form body.
    let host = match host_of(parts) {
        Ok(h) => h,
        Err(e) => return fail(StsError::from_auth(&e)),
    };
    let mut auth = match SigAuth::from_header(&parts.headers, &decider.catalog.outpost.region, &["sts"]) {
        None => {
            return fail(StsError::sender(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        }
        Some(Err(e)) => return fail(StsError::from_auth(&e)),
        Some(Ok(a)) => a,
    };
    let (caller, secret, _) = match decider.signer(&auth, now) {
        Ok(found) => found,
        Err(e) => return fail(StsError::from_auth(&e)),
    };
    // The signature covers the body through its hash, so the hash is ours to compute: a
    // client's `x-amz-content-sha256` would let a captured signature carry another body.
    let payload_hash = hex::encode(sha2::Sha256::digest(body));
    if let Some(claimed) = parts.headers.get("x-amz-content-sha256")
        && claimed.as_bytes() != payload_hash.as_bytes()
    {
        return fail(StsError::sender(
            StatusCode::BAD_REQUEST,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    auth.payload_hash = payload_hash.into();
    let query = Query::parse("").unwrap_or_else(|_| Query::from_pairs([]));
    let signed = SignedRequest { method: "POST", raw_path: "/", query: &query, headers: &parts.headers, host };
    if let Err(e) = verify(&signed, &auth, &secret, now, 0, &decider.credentials.signing_keys) {
        return fail(StsError::from_auth(&e));
    }

    // The form: `+` is a space there.
    let form_text = String::from_utf8_lossy(body).replace('+', "%20");
    let Ok(form) = Query::parse(&form_text) else {
        return fail(StsError::validation("the form body is not valid application/x-www-form-urlencoded"));
    };
    let param = |name: &str| form.get(name).and_then(|v| std::str::from_utf8(v).ok());
    let action = match param("Action") {
        Some("GetSessionToken") => "sts:GetSessionToken",
        Some("AssumeRole") => "sts:AssumeRole",
        Some("GetCallerIdentity") => "sts:GetCallerIdentity",
        Some(other) => {
            return fail(StsError::sender(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("Could not find operation {other} for version 2011-06-15"),
            ));
        }
        None => return fail(StsError::sender(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action")),
    };
    let duration = match param("DurationSeconds").map(str::parse::<u64>) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => return Err((StsError::validation("DurationSeconds must be a whole number"), action)),
    };
    let result = match action {
        "sts:GetCallerIdentity" => Ok(caller_identity(&caller, request_id)),
        "sts:GetSessionToken" => get_session_token(sts, &caller, duration, now, request_id),
        _ => assume_role(decider, sts, &caller, param("RoleArn"), param("RoleSessionName"), duration, now, request_id),
    };
    result.map(|xml| (xml, action)).map_err(|e| (e, action))
}

fn caller_identity(caller: &Caller, request_id: &str) -> String {
    let userid = match caller {
        Caller::User(u) | Caller::Session { user: u, .. } => u.userid.clone(),
        Caller::Role { userid, .. } => userid.clone(),
    };
    format!(
        "<GetCallerIdentityResponse xmlns=\"{NS}\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        escape(caller.acting_arn()),
        escape(&userid),
        escape(caller.account()),
    )
}

fn credentials_xml(s: &Session) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        s.access_key_id,
        escape(s.secret.expose()),
        escape(&s.token),
        UnixTime(s.expires).iso8601(),
    )
}

fn get_session_token(
    sts: &crate::config::StsConfig,
    caller: &Caller,
    duration: Option<u64>,
    now: UnixTime,
    request_id: &str,
) -> Result<String, StsError> {
    let Caller::User(user) = caller else {
        return Err(StsError::access_denied("Cannot call GetSessionToken with session credentials"));
    };
    let d = duration.unwrap_or(43_200);
    check_duration(d, sts.min_session_secs, 129_600, "durationSeconds")?;
    let session =
        mint(&sts.keys, &user.arn, crate::session::token::SessionKind::Session, None, now, d).map_err(mint_failed)?;
    Ok(format!(
        "<GetSessionTokenResponse xmlns=\"{NS}\"><GetSessionTokenResult>{}</GetSessionTokenResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetSessionTokenResponse>",
        credentials_xml(&session)
    ))
}

// The API's parameters, one each.
#[allow(clippy::too_many_arguments)]
fn assume_role(
    decider: &Decider,
    sts: &crate::config::StsConfig,
    caller: &Caller,
    role_arn: Option<&str>,
    session_name: Option<&str>,
    duration: Option<u64>,
    now: UnixTime,
    request_id: &str,
) -> Result<String, StsError> {
    let Some(role_arn) = role_arn else {
        return Err(StsError::validation(
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
        ));
    };
    let Some(session_name) = session_name.filter(|n| valid_session_name(n)) else {
        return Err(StsError::validation(
            "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match [\\w+=,.@-]*",
        ));
    };
    let denied = || {
        StsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.acting_arn()
        ))
    };
    let role = decider.roles.iter().find(|r| r.arn == role_arn).ok_or_else(denied)?;
    if !role.trusted.iter().any(|t| t == caller.arn() || t == caller.acting_arn()) {
        return Err(denied());
    }
    let d = duration.unwrap_or(3_600);
    // Role chaining (a session assuming a role) is limited to one hour, as in AWS.
    let chained = !matches!(caller, Caller::User(_));
    let max = if chained { 3_600 } else { role.max_session_secs.min(43_200) };
    if d > role.max_session_secs {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    check_duration(d, sts.min_session_secs, max, "durationSeconds")?;
    let session = mint(
        &sts.keys,
        &role.arn,
        crate::session::token::SessionKind::AssumedRole,
        Some(session_name.to_owned()),
        now,
        d,
    )
    .map_err(mint_failed)?;
    let mut xml = String::new();
    let _ = write!(
        xml,
        "<AssumeRoleResponse xmlns=\"{NS}\"><AssumeRoleResult>{}<AssumedRoleUser><AssumedRoleId>{}:{}</AssumedRoleId><Arn>arn:aws:sts::{}:assumed-role/{}/{}</Arn></AssumedRoleUser><PackedPolicySize>0</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></AssumeRoleResponse>",
        credentials_xml(&session),
        role.role_id,
        escape(session_name),
        role.account,
        escape(&role.name),
        escape(session_name),
    );
    Ok(xml)
}

fn valid_session_name(n: &str) -> bool {
    (2..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// AWS's validation message for a duration out of range.
fn check_duration(d: u64, min: u64, max: u64, field: &str) -> Result<(), StsError> {
    if d < min {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{d}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        )));
    }
    if d > max {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{d}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(())
}

fn mint_failed(e: MintError) -> StsError {
    StsError { status: StatusCode::INTERNAL_SERVER_ERROR, code: "InternalFailure", message: e.to_string() }
}
