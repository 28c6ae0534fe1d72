//! The `signet` command line: `serve` and `check-config` here, the URL
//! makers (`sign jwt|md5`, `srcset`) in `links.rs`, `transform` in
//! `transform.rs`. Every subcommand reads the same config as `serve`.

mod links;
mod transform;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use signet_auth::{KeyRing, DEFAULT_MD5_LIFETIME_SECS};

use crate::admin::Admin;
use crate::config::{process_env, Config, Overrides, StorageKind};
use crate::core::{open_results, open_store, Core};
use crate::links::srcset;
use crate::links::urls::Lifetime;
use crate::links::SignMode;
use crate::media::results::Results;
use crate::media::Media;

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
    /// Print a `srcset` attribute value: one (signed) URL per width.
    Srcset(SrcsetArgs),
    /// Run the image pipeline on a local file (`-` for stdin/stdout).
    Transform(TransformArgs),
    /// Validate the configuration and print the effective settings.
    CheckConfig(ConfigArg),
    /// The shared result tier (`[results]`).
    #[command(subcommand)]
    Results(ResultsCommand),
}

#[derive(Subcommand)]
enum ResultsCommand {
    /// Delete result objects older than a given age (for stores without
    /// lifecycle rules; docs/scale-out.md).
    Prune(PruneArgs),
}

#[derive(Args)]
struct PruneArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Age past which a result object is deleted, e.g. 30d.
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    older_than: std::time::Duration,
}

#[derive(Args)]
struct SrcsetArgs {
    #[command(flatten)]
    target: SignTarget,
    /// Candidate widths, e.g. 320,640,1280.
    #[arg(long, value_delimiter = ',', required_unless_present = "min_width")]
    widths: Vec<u32>,
    /// Smallest width of a generated range (with --max-width).
    #[arg(long, requires = "max_width", conflicts_with = "widths")]
    min_width: Option<u32>,
    /// Largest width of a generated range.
    #[arg(long, requires = "min_width")]
    max_width: Option<u32>,
    /// Largest relative gap between generated widths (0.08 = 8 %).
    #[arg(long, requires = "min_width", default_value_t = srcset::DEFAULT_TOLERANCE)]
    tolerance: f64,
    /// How to sign each candidate (auto: JWT if a JWT key exists, else MD5, else none).
    #[arg(long, value_enum, default_value_t = SignMode::Jwt)]
    sign: SignMode,
    /// Option for every candidate's query (repeatable), e.g. format=optimal.
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// Secure option in the token's args (repeatable, --sign jwt only).
    #[arg(long = "secure", value_name = "K=V")]
    secure: Vec<String>,
}

#[derive(Args)]
struct TransformArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Source image file, or - for stdin.
    input: PathBuf,
    /// Option as in a URL query (repeatable), e.g. w=400.
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// The Accept header to negotiate format=optimal against.
    #[arg(long, value_name = "MIME")]
    accept: Option<String>,
    /// Output file, or - for stdout.
    #[arg(short = 'o', long = "output", value_name = "OUTPUT")]
    output: PathBuf,
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
    listen: Option<SocketAddr>,
    /// Admin listener address.
    #[arg(long, value_name = "ADDR")]
    admin_listen: Option<SocketAddr>,
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

impl SignTarget {
    fn lifetime(&self) -> Lifetime {
        Lifetime {
            expires_in: self.expires_in,
            key: self.key.clone(),
        }
    }
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
        Command::Sign(SignCommand::Jwt(args)) => links::sign_jwt(args),
        Command::Sign(SignCommand::Md5(args)) => links::sign_md5(args),
        Command::Srcset(args) => links::srcset(args),
        Command::Transform(args) => transform::run(args),
        Command::CheckConfig(args) => check_config(args),
        Command::Results(ResultsCommand::Prune(args)) => prune_results(args),
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
    crate::logging::init(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let mut config = config;
        let media_listener = bind(config.listen).await?;
        let admin_listener = bind(config.admin_listen).await?;
        if config.public_url.is_empty() {
            // Signed URLs from the REST API point at where we really listen.
            if let Ok(addr) = media_listener.local_addr() {
                config.public_url = format!("http://{addr}");
            }
        }
        let header_read_timeout = config.limits.header_read_timeout;
        let core = Core::open(config, &process_env)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
        let core = Arc::new(core);
        if let Some(cluster) = &core.cluster {
            let heard = core.clone();
            cluster.listen(Arc::new(move |key| {
                let core = heard.clone();
                Box::pin(async move { core.heard(key).await })
            }));
        }
        if let Err(e) = core.store().check().await {
            // Keep running: the store may come up later, and /ready says so.
            tracing::error!(storage = %core.store().describe(), error = %e, "storage is not reachable; /ready fails until it is");
        }
        reindex_on_hangup(core.clone());
        let media = Arc::new(Media::new(core.clone()));
        let admin = Arc::new(Admin::new(core.clone()));
        announce(&core, &media, [&media_listener, &admin_listener]);
        crate::http::serve::run(
            (media, media_listener),
            (admin, admin_listener),
            header_read_timeout,
            crate::http::serve::shutdown_signal(),
            || core.stop_accepting(),
        )
        .await
        .map_err(|e| format!("server error: {e}"))
    })
}

/// `kill -HUP` (`systemctl reload signet`) rebuilds the search index, for
/// files changed behind signet's back (docs/rest-api.md).
fn reindex_on_hangup(core: Arc<Core>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; the index rebuilds only through the API");
        return;
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            if let Err(e) = core.catalog.index.rebuild(core.store()).await {
                tracing::error!(error = %e, "search index rebuild failed");
            }
        }
    });
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))
}

/// Says where signet listens (on stdout, one line, for people and scripts)
/// and warns about weak keys and open access.
fn announce(core: &Core, media: &Media, [m, a]: [&tokio::net::TcpListener; 2]) {
    let addr =
        |l: &tokio::net::TcpListener| l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    println!(
        "signet listening: media=http://{} admin=http://{} storage={}",
        addr(m),
        addr(a),
        core.store().describe()
    );
    for id in core.weak_key_ids() {
        tracing::warn!(key = %id, "key secret is shorter than 32 bytes; use a longer random secret in production");
    }
    if media.is_open() {
        println!("signet: no [[protect]] entries: every file is public (tokens are still checked when present)");
    }
}

fn check_config(args: ConfigArg) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args)?;
    print!("{}", config.to_redacted_toml());
    for id in ring.weak_keys() {
        eprintln!("warning: key `{id}` has a secret shorter than 32 bytes");
    }
    if config.storage.kind == StorageKind::Fs && !config.storage.root.is_dir() {
        return Err(format!(
            "storage.root: {} is not a folder",
            config.storage.root.display()
        ));
    }
    current_thread()?.block_on(async {
        let store = open_store(&config.storage)
            .await
            .map_err(|e| format!("storage: {e}"))?;
        store
            .check()
            .await
            .map_err(|e| format!("storage {}: {e}", store.describe()))
    })?;
    eprintln!("configuration OK");
    Ok(())
}

fn prune_results(args: PruneArgs) -> Result<(), String> {
    let config = load(&args.config, &Overrides::default())?;
    let Some(results) = &config.results else {
        return Err("no [results] section in the configuration".to_owned());
    };
    let cutoff = std::time::SystemTime::now()
        .checked_sub(args.older_than)
        .ok_or("--older-than reaches before the epoch")?;
    current_thread()?.block_on(async {
        let (store, timeout) = open_results(&config.storage, results)
            .await
            .map_err(|e| e.to_string())?;
        let described = store.describe();
        let tier = Results::new(store, timeout, Arc::default());
        let (kept, deleted) = tier
            .prune(cutoff)
            .await
            .map_err(|e| format!("results {described}: {e}"))?;
        println!("deleted {deleted} result objects, kept {kept}");
        Ok(())
    })
}

fn current_thread() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}
