//! The command line (INTERFACE.md "Command line"): `serve`, `check-config`, `presign`,
//! `explain`.
//! `main` only calls `run`; each command is a small function over the library.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::base::time::UnixTime;

/// `println!` that does not panic when stdout is gone (`check-config | head -1`): what a
/// command prints is for whoever still reads it.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
use crate::config::{self, Config};
use crate::sigv4::Signer;
use crate::sigv4::encode::uri_encode;
use crate::sigv4::presigned::MAX_EXPIRES_SECS;

#[derive(Debug, Parser)]
#[command(name = "outpost-gate", version, about = "Verifying reverse proxy for S3 on Outposts presigned URLs")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gate until SIGINT/SIGTERM, then drain in-flight transfers.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Load and validate everything `serve` would; exit 2 with one line per problem.
    CheckConfig {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a presigned URL made with a configured key.
    Presign(PresignArgs),
    /// Mint temporary credentials and print them as AWS `credential_process` JSON.
    Credentials(CredentialsArgs),
    /// Authenticate and authorize a URL as `serve` would, and print why it is allowed or
    /// denied; exit 0 when allowed, 1 when denied.
    Explain(ExplainArgs),
}

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("who").required(true).args(["user", "role"]))]
struct CredentialsArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    /// A configured user: a session with the user's identity (as GetSessionToken).
    #[arg(long)]
    user: Option<String>,
    /// A configured role: a role session (as AssumeRole), or with --instance-profile the
    /// role's instance-profile credentials.
    #[arg(long)]
    role: Option<String>,
    #[arg(long, requires = "role")]
    instance_profile: bool,
    /// Seconds; defaults as AWS's: 43200 for users, 3600 for roles and instance profiles.
    #[arg(long)]
    duration: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    method: String,
    /// The full URL, as the client would send it (presigned query included).
    #[arg(long)]
    url: String,
    /// The client's address as the gate would see it (after PROXY and X-Forwarded-For).
    #[arg(long, default_value = "127.0.0.1")]
    source_ip: std::net::IpAddr,
    /// The VPC endpoint a PROXY header would name.
    #[arg(long)]
    vpce: Option<String>,
    /// When the request arrives (RFC 3339); defaults to now.
    #[arg(long)]
    at: Option<String>,
    /// Extra request headers, `Name: value` (repeatable), for URLs that sign headers.
    #[arg(long = "header")]
    headers: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct PresignArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    access_key_id: String,
    #[arg(long, value_enum)]
    method: HttpMethod,
    #[arg(long)]
    bucket: String,
    #[arg(long)]
    key: Option<String>,
    #[arg(long, default_value_t = 3600)]
    expires: u32,
    /// Host (and port) the URL points at; defaults to the first listener.
    #[arg(long)]
    host: Option<String>,
    #[arg(long, value_enum)]
    scheme: Option<Scheme>,
    #[arg(long)]
    session_token: Option<String>,
    /// Sign with SigV4a (`AWS4-ECDSA-P256-SHA256`), as the AWS CLI v2 and the SDKs do for
    /// Outposts access points.
    #[arg(long)]
    sigv4a: bool,
    /// The SigV4a region set (`*`, or a comma-separated list; entries may end in `*`).
    #[arg(long, requires = "sigv4a", default_value = "*")]
    region_set: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "UPPER")]
enum HttpMethod {
    Get,
    Put,
    Delete,
    Head,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scheme {
    Http,
    Https,
}

/// Exit code for a configuration that does not load, as INTERFACE.md fixes it.
const EXIT_CONFIG: u8 = 2;

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config } => serve(config),
        Command::CheckConfig { config } => check_config(config),
        Command::Presign(args) => presign(&args),
        Command::Explain(args) => explain(&args),
        Command::Credentials(args) => credentials(&args),
    }
}

fn load(flag: Option<PathBuf>) -> Result<Config, ExitCode> {
    let path = config::resolve_path(flag);
    Config::load(&path).map_err(|e| {
        for line in &e.0 {
            eprintln!("{line}");
        }
        ExitCode::from(EXIT_CONFIG)
    })
}

fn check_config(flag: Option<PathBuf>) -> ExitCode {
    match load(flag) {
        Ok(c) => {
            for w in c.warnings() {
                eprintln!("warning: {w}");
            }
            say!("{}", c.summary());
            say!("{}", c.store_explained());
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn serve(flag: Option<PathBuf>) -> ExitCode {
    init_tracing();
    let config = match load(flag) {
        Ok(c) => c,
        Err(code) => return code,
    };
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    let scheme = if config.server.tls.is_some() { "https" } else { "http" };
    let result = crate::edge::server::run(&config, |addr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {scheme}://{addr}");
        let _ = out.flush();
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn presign(args: &PresignArgs) -> ExitCode {
    let config = match load(args.config.clone()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !(1..=MAX_EXPIRES_SECS).contains(&args.expires) {
        eprintln!("--expires: must be 1..={MAX_EXPIRES_SECS} seconds");
        return ExitCode::from(EXIT_CONFIG);
    }
    let Some(secret) =
        config.users.iter().flat_map(|u| &u.access_keys).find(|k| k.id == args.access_key_id).map(|k| &k.secret)
    else {
        eprintln!("--access-key-id: no access key \"{}\" in {}", args.access_key_id, config.source.display());
        return ExitCode::from(EXIT_CONFIG);
    };
    let host =
        args.host.clone().unwrap_or_else(|| config.server.listen.first().map(ToString::to_string).unwrap_or_default());
    let scheme = match args.scheme {
        // As INTERFACE.md says: https when the listeners speak TLS.
        Some(Scheme::Https) => "https",
        None if config.server.tls.is_some() => "https",
        Some(Scheme::Http) | None => "http",
    };
    let mut path = format!("/{}", uri_encode(args.bucket.as_bytes(), false));
    if let Some(key) = &args.key {
        path.push('/');
        path.push_str(&uri_encode(key.as_bytes(), true));
    }
    let method = match args.method {
        HttpMethod::Get => "GET",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Head => "HEAD",
    };
    let signer =
        Signer { access_key_id: &args.access_key_id, secret, region: &config.outpost.region, service: "s3-outposts" };
    let token = args.session_token.as_deref();
    let url = if args.sigv4a {
        if crate::sigv4::v4a::region_set_covers(&args.region_set, "x").is_none() {
            eprintln!("--region-set: \"{}\" is not a comma-separated list of regions", args.region_set);
            return ExitCode::from(EXIT_CONFIG);
        }
        signer.presign_url_v4a(
            method,
            scheme,
            &host,
            &path,
            &[],
            &args.region_set,
            args.expires,
            token,
            UnixTime::now(),
        )
    } else {
        signer.presign_url(method, scheme, &host, &path, &[], args.expires, token, UnixTime::now())
    };
    say!("{url}");
    ExitCode::SUCCESS
}

fn credentials(args: &CredentialsArgs) -> ExitCode {
    use crate::session::token::SessionKind;
    let config = match load(args.config.clone()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(sts) = &config.sts else {
        eprintln!("{}: sts.enabled: must be true to mint credentials", config.source.display());
        return ExitCode::from(EXIT_CONFIG);
    };
    let fail = |what: &str| {
        eprintln!("{what}");
        ExitCode::from(EXIT_CONFIG)
    };
    // The longest life of each kind of temporary credentials, as AWS sets them.
    let (principal, kind, max, default, session_name) = match (&args.user, &args.role) {
        (Some(arn), _) => {
            if !config.users.iter().any(|u| u.arn == *arn) {
                return fail(&format!("--user: no user \"{arn}\" in {}", config.source.display()));
            }
            (arn.clone(), SessionKind::Session, 129_600, 43_200, None)
        }
        (None, Some(arn)) => {
            let Some(role) = config.roles.iter().find(|r| r.arn == *arn) else {
                return fail(&format!("--role: no role \"{arn}\" in {}", config.source.display()));
            };
            let name = Some(format!("outpost-gate-{}", crate::base::time::now_ms() / 1000));
            if args.instance_profile {
                (arn.clone(), SessionKind::InstanceProfile, role.max_session_secs.min(21_600), 3_600, name)
            } else {
                (arn.clone(), SessionKind::AssumedRole, role.max_session_secs.min(43_200), 3_600, name)
            }
        }
        (None, None) => return fail("give --user or --role"),
    };
    let duration = args.duration.unwrap_or(default.min(max));
    if duration < sts.min_session_secs || duration > max {
        return fail(&format!("--duration: must be {}..={max} seconds for these credentials", sts.min_session_secs));
    }
    let now = UnixTime(crate::base::time::now_ms() / 1000);
    match crate::session::mint(&sts.keys, &principal, kind, session_name, now, duration) {
        Ok(s) => {
            let json = serde_json::json!({
                "Version": 1,
                "AccessKeyId": s.access_key_id,
                "SecretAccessKey": s.secret.expose(),
                "SessionToken": s.token,
                "Expiration": UnixTime(s.expires).iso8601().to_string(),
            });
            say!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn explain(args: &ExplainArgs) -> ExitCode {
    let config = match load(args.config.clone()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let now_ms = match &args.at {
        None => crate::base::time::now_ms(),
        Some(at) => {
            let Some(ms) = crate::base::time::parse_iso8601_ms(at) else {
                eprintln!("--at: \"{at}\" is not an RFC 3339 time such as 2026-11-22T10:00:00Z");
                return ExitCode::from(EXIT_CONFIG);
            };
            ms
        }
    };
    let mut headers = Vec::new();
    for h in &args.headers {
        let Some((name, value)) = h.split_once(':') else {
            eprintln!("--header: \"{h}\" is not \"Name: value\"");
            return ExitCode::from(EXIT_CONFIG);
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some(v) = &args.vpce
        && !crate::decision::network::is_vpce_id(v)
    {
        eprintln!("--vpce: \"{v}\" is not a VPC endpoint id such as vpce-0123456789abcdef0");
        return ExitCode::from(EXIT_CONFIG);
    }
    let decider = crate::decision::decide::Decider::new(&config);
    let origin = decider.network.origin(args.source_ip.to_canonical(), args.vpce.as_deref());
    let arrival = crate::decision::decide::Arrival { origin, now_ms, secure: false };
    match crate::decision::explain::explain_url(&decider, &args.method, &args.url, &headers, &arrival) {
        Ok(explained) => {
            say!("{}", explained.text);
            if explained.allowed { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// Logs go to stderr (buffered per worker, see `logbuf`); stdout carries only what
/// scripts read (`listening on …`, URLs).
///
/// The embedded store's crates stay at `info` whatever the level asked: at `debug`, s3s logs
/// each request it gets whole, the gate's store signature with it.
fn init_tracing() {
    use std::io::IsTerminal as _;
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("OUTPOST_GATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for quiet in ["s3s=info", "s3s_fs=info"] {
        if let Ok(directive) = quiet.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let ansi = std::io::stderr().is_terminal();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(crate::base::logbuf::StderrLog)
        .try_init();
}
