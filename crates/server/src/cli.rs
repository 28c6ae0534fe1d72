//! The `signet` command line: serve, sign, check-config.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};
use signet_auth::{sign_jwt, sign_md5, KeyKind, KeyRing, DEFAULT_MD5_LIFETIME_SECS};
use signet_storage::ObjectKey;
use signet_transform::parse_options;

use crate::app::{unix_now, App};
use crate::config::{process_env, Config, Overrides};

#[derive(Parser)]
#[command(
    name = "signet",
    version,
    about = "Self-hosted image CDN and media server with signed URLs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve media (defaults: ./media on 127.0.0.1:8080, everything public).
    Serve(ServeArgs),
    /// Print a signed URL.
    #[command(subcommand)]
    Sign(SignCommand),
    /// Validate the configuration and print the effective settings.
    CheckConfig(ConfigArg),
}

#[derive(Args)]
struct ConfigArg {
    /// Configuration file (else $SIGNET_CONFIG, else defaults).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Serve this folder (local-folder storage).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Media listener address.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Admin listener address.
    #[arg(long, value_name = "ADDR")]
    admin_listen: Option<String>,
}

#[derive(Subcommand)]
enum SignCommand {
    /// A Sirv-style JWT URL: `…/path?params&jwt=TOKEN`.
    Jwt(JwtArgs),
    /// A JW Player-style URL: `…/path?exp=…&sig=…`.
    Md5(Md5Args),
}

/// What every signing command takes.
#[derive(Args)]
struct SignTarget {
    #[command(flatten)]
    config: ConfigArg,
    /// File path, e.g. /private/photo.jpg.
    #[arg(long)]
    path: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = DEFAULT_MD5_LIFETIME_SECS)]
    expires_in: u64,
    /// Id of the key to sign with (default: the first of its kind).
    #[arg(long)]
    key: Option<String>,
}

#[derive(Args)]
struct JwtArgs {
    #[command(flatten)]
    target: SignTarget,
    /// Secure parameter put in the token's `args` (repeatable), e.g. text=Hello.
    #[arg(long = "secure", value_name = "K=V")]
    secure: Vec<String>,
    /// Insecure parameter put in the query string (repeatable), e.g. w=400.
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// Audience mask (default: exactly this path), e.g. /private/ for a folder.
    #[arg(long)]
    audience: Vec<String>,
}

#[derive(Args)]
struct Md5Args {
    #[command(flatten)]
    target: SignTarget,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Sign(SignCommand::Jwt(args)) => sign_jwt_url(args),
        Command::Sign(SignCommand::Md5(args)) => sign_md5_url(args),
        Command::CheckConfig(args) => check_config(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("signet: {message}");
            ExitCode::from(2)
        }
    }
}

fn load(config: &ConfigArg, overrides: &Overrides) -> Result<Config, String> {
    Config::load(config.config.as_deref(), &process_env, overrides)
        .map_err(|e| format!("config error: {e}"))
}

/// The config and its key ring, for the commands that sign.
fn load_with_keys(config: &ConfigArg) -> Result<(Config, KeyRing), String> {
    let config = load(config, &Overrides::default())?;
    let ring = config
        .key_ring(&process_env)
        .map_err(|(k, r)| format!("config error: {k}: {r}"))?;
    Ok((config, ring))
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let overrides = Overrides {
        root: args.root,
        listen: args.listen,
        admin_listen: args.admin_listen,
    };
    let config = load(&args.config, &overrides)?;
    crate::logging::init(&config.log_format);
    let app = App::new(config, &process_env).map_err(|e| format!("cannot start: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let app = Arc::new(app);
        let media = bind(&app.config().listen).await?;
        let admin = bind(&app.config().admin_listen).await?;
        announce(&app, &media, &admin);
        crate::serve::run(app, media, admin, crate::serve::shutdown_signal())
            .await
            .map_err(|e| format!("server error: {e}"))
    })
}

async fn bind(addr: &str) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))
}

/// Says where signet listens (on stdout, one line, for people and scripts)
/// and warns about weak keys and open access.
fn announce(app: &App, media: &tokio::net::TcpListener, admin: &tokio::net::TcpListener) {
    let addr =
        |l: &tokio::net::TcpListener| l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    println!(
        "signet listening: media=http://{} admin=http://{} storage={}",
        addr(media),
        addr(admin),
        app.store().describe()
    );
    for id in app.weak_key_ids() {
        tracing::warn!(key = %id, "key secret is shorter than 32 bytes; use a longer random secret in production");
    }
    if app.is_open() {
        println!("signet: no [[protect]] entries: every file is public (tokens are still checked when present)");
    }
}

/// `public_url` + the percent-encoded path.
fn base_url(config: &Config, path: &str) -> String {
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let base = if config.public_url.is_empty() {
        format!("http://{}", config.listen)
    } else {
        config.public_url.trim_end_matches('/').to_owned()
    };
    let encoded: Vec<String> = path[1..]
        .split('/')
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect();
    format!("{base}/{}", encoded.join("/"))
}

fn query_encode(s: &str) -> String {
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(s, VALUE).to_string()
}

/// `/a/b.jpg` from `a/b.jpg` or `/a/b.jpg`, checked like a request path.
fn clean_path(path: &str) -> Result<String, String> {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    ObjectKey::from_path(&path).map_err(|e| format!("--path {path}: {e}"))?;
    Ok(path)
}

fn split_pairs(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = items
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(format!("--{flag} {kv}: expected NAME=VALUE")),
        })
        .collect::<Result<_, _>>()?;
    parse_options(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("--{flag} {e}")).collect();
        lines.join("\n")
    })?;
    Ok(pairs)
}

fn sign_jwt_url(args: JwtArgs) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args.target.config)?;
    let key = ring
        .signing_key(KeyKind::Jwt, args.target.key.as_deref())
        .map_err(|e| e.to_string())?;
    let path = clean_path(&args.target.path)?;
    let secure = split_pairs("secure", &args.secure)?;
    let params = split_pairs("param", &args.params)?;
    let audience = if args.audience.is_empty() {
        vec![path.clone()]
    } else {
        args.audience
    };
    let claims_args: Map<String, Value> = secure
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let token = sign_jwt(
        key,
        &audience,
        unix_now(),
        args.target.expires_in,
        &claims_args,
    )
    .map_err(|e| e.to_string())?;
    let mut query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", query_encode(k), query_encode(v)))
        .collect();
    query.push(format!("jwt={token}"));
    println!("{}?{}", base_url(&config, &path), query.join("&"));
    Ok(())
}

fn sign_md5_url(args: Md5Args) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args.target.config)?;
    let key = ring
        .signing_key(KeyKind::Md5, args.target.key.as_deref())
        .map_err(|e| e.to_string())?;
    let path = clean_path(&args.target.path)?;
    let expires_at =
        unix_now().saturating_add(i64::try_from(args.target.expires_in).unwrap_or(i64::MAX));
    let sig = sign_md5(key, &path, expires_at).map_err(|e| e.to_string())?;
    println!("{}?exp={expires_at}&sig={sig}", base_url(&config, &path));
    Ok(())
}

fn check_config(args: ConfigArg) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args)?;
    print!("{}", config.to_redacted_toml());
    for id in ring.weak_keys() {
        eprintln!("warning: key `{id}` has a secret shorter than 32 bytes");
    }
    if config.storage.kind == "fs" && !config.storage.root.is_dir() {
        return Err(format!(
            "storage.root: {} is not a folder",
            config.storage.root.display()
        ));
    }
    eprintln!("configuration OK");
    Ok(())
}
