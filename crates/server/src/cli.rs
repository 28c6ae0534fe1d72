//! The `signet` command line: serve, sign, srcset, transform, check-config.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use signet_auth::{KeyRing, DEFAULT_MD5_LIFETIME_SECS};
use signet_storage::ObjectKey;
use signet_transform::parse_options;

use crate::app::App;
use crate::config::{process_env, Config, Overrides};
use crate::srcset::{self, Widths};
use crate::urls::{Lifetime, Signer};

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
    #[arg(long, requires = "min_width", default_value_t = crate::srcset::DEFAULT_TOLERANCE)]
    tolerance: f64,
    /// jwt, md5 or none.
    #[arg(long, default_value = "jwt")]
    sign: String,
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

impl SignTarget {
    fn grant(&self) -> Lifetime {
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
        Command::Sign(SignCommand::Jwt(args)) => sign_jwt_url(args),
        Command::Sign(SignCommand::Md5(args)) => sign_md5_url(args),
        Command::Srcset(args) => srcset(args),
        Command::Transform(args) => transform(args),
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let mut config = config;
        let media = bind(&config.listen).await?;
        let admin = bind(&config.admin_listen).await?;
        if config.public_url.is_empty() {
            // Signed URLs from the REST API point at where we really listen.
            if let Ok(addr) = media.local_addr() {
                config.public_url = format!("http://{addr}");
            }
        }
        let app = App::new(config, &process_env)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
        let app = Arc::new(app);
        if let Err(e) = app.store().check().await {
            // Keep running: the store may come up later, and /ready says so.
            tracing::error!(storage = %app.store().describe(), error = %e, "storage is not reachable; /ready fails until it is");
        }
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
    let path = clean_path(&args.target.path)?;
    let signer = Signer::Jwt {
        secure: split_pairs("secure", &args.secure)?,
        audience: args.audience,
    };
    let params = split_pairs("param", &args.params)?;
    let url = signer
        .url(&config, &ring, &args.target.grant(), &path, &params)?
        .url;
    println!("{url}");
    Ok(())
}

fn sign_md5_url(args: Md5Args) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args.target.config)?;
    let path = clean_path(&args.target.path)?;
    let url = Signer::Md5
        .url(&config, &ring, &args.target.grant(), &path, &[])?
        .url;
    println!("{url}");
    Ok(())
}

fn srcset(args: SrcsetArgs) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args.target.config)?;
    let path = clean_path(&args.target.path)?;
    let params = split_pairs("param", &args.params)?;
    srcset::check_no_width("--param", &params)?;
    let secure = split_pairs("secure", &args.secure)?;
    srcset::check_no_width("--secure", &secure)?;
    let upscale = srcset::upscales(&[&params, &secure]);
    let signer = match args.sign.as_str() {
        "jwt" => Signer::Jwt {
            secure,
            audience: Vec::new(),
        },
        "md5" if secure.is_empty() => Signer::Md5,
        "none" if secure.is_empty() => Signer::None,
        "md5" | "none" => {
            return Err("--secure needs --sign jwt (only a JWT carries secure args)".to_owned())
        }
        other => return Err(format!("--sign {other}: expected jwt, md5 or none")),
    };
    let widths = match (args.min_width, args.max_width) {
        (Some(min), Some(max)) => Widths::Range {
            min,
            max,
            tolerance: args.tolerance,
        },
        _ => Widths::List(args.widths.clone()),
    };
    let mut widths = widths.resolve()?;
    if !upscale {
        widths = srcset::cap(&widths, source_width(&config, &path)?);
    }
    let candidates = srcset::candidates(
        &config,
        &ring,
        &signer,
        &args.target.grant(),
        &path,
        &params,
        &widths,
    )?;
    println!("{}", srcset::attribute(&candidates));
    Ok(())
}

/// The displayed width of the image at `path` in the configured storage.
fn source_width(config: &Config, path: &str) -> Result<u32, String> {
    current_thread()?.block_on(async {
        let app = App::new(config.clone(), &process_env)
            .await
            .map_err(|e| format!("cannot open storage: {e}"))?;
        app.source_width(path).await
    })
}

fn transform(args: TransformArgs) -> Result<(), String> {
    let mut config = load(&args.config, &Overrides::default())?;
    if config.storage.kind == "fs" && !config.storage.root.is_dir() {
        // Profiles and watermarks then come from ./Profiles/… and the like.
        config.storage.root = PathBuf::from(".");
    }
    let params = split_pairs("param", &args.params)?;
    let source = if args.input.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| format!("reading stdin: {e}"))?;
        buf
    } else {
        std::fs::read(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?
    };
    let output = current_thread()?.block_on(async {
        let app = App::new(config, &process_env)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
        app.transform(source, &params, args.accept.as_deref()).await
    })?;
    if args.output.as_os_str() == "-" {
        std::io::Write::write_all(&mut std::io::stdout().lock(), &output.bytes)
            .map_err(|e| format!("writing stdout: {e}"))?;
    } else {
        std::fs::write(&args.output, &output.bytes)
            .map_err(|e| format!("{}: {e}", args.output.display()))?;
    }
    eprintln!(
        "{}x{} {} ({} bytes)",
        output.width,
        output.height,
        output.format.name(),
        output.bytes.len()
    );
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
    current_thread()?.block_on(async {
        let store = crate::app::open_store(&config.storage)
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

fn current_thread() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}
