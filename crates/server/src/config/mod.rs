//! Configuration: one typed `Config`, layered defaults → TOML file →
//! environment → flags (`load.rs`), with durations and byte sizes read once
//! (`units.rs`). Words are enums, addresses `SocketAddr`s and secrets
//! `SecretString`s, so nothing downstream re-parses or re-checks a string.

mod load;
mod units;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub use load::{env_from, process_env, ConfigError, Overrides};

/// Where Debian's `fonts-droid-fallback` (Apache-2.0; CJK and more) puts
/// its font.
pub const DEFAULT_FALLBACK_FONT: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

/// The whole configuration. Defaults are those of SPEC §8.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the media listener.
    #[serde(with = "units::address")]
    pub listen: SocketAddr,
    /// Address of the admin listener (`/health`, `/ready`, `/metrics`, the
    /// REST API and the console).
    #[serde(with = "units::address")]
    pub admin_listen: SocketAddr,
    /// Base URL put in front of signed URLs (empty: `http://{listen}`).
    pub public_url: String,
    /// Output format when a URL names none.
    pub default_format: DefaultFormat,
    /// libaom speed for AVIF output, 0 (smallest) … 9 (fastest; sharp's
    /// `effort: 0`). docs/formats.md has the measured trade-off.
    pub avif_speed: u8,
    /// Font file for the characters a text layer's font lacks (CJK…);
    /// empty: none. The default is Debian's `fonts-droid-fallback`, used
    /// when installed.
    pub fallback_font: String,
    /// Accept a JWT as the first path segments, `/_jwt/<token>/<path>`, so
    /// the relative URIs of a stream inherit it (docs/security.md).
    pub path_tokens: bool,
    /// Profile applied to every image (empty: none).
    pub default_profile: String,
    /// Query names dropped before validation and caching (cache-busters).
    pub ignore_params: Vec<String>,
    /// Clock skew tolerated on JWT `exp`/`nbf`/`iat`.
    #[serde(with = "units::duration")]
    pub jwt_leeway: Duration,
    /// Log format.
    pub log_format: LogFormat,
    pub storage: StorageConfig,
    pub cache: CacheConfig,
    pub limits: LimitsConfig,
    pub video: VideoConfig,
    /// The shared result tier (docs/scale-out.md); off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsConfig>,
    /// Cluster-wide invalidation (docs/scale-out.md); off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterConfig>,
    /// Signing keys.
    pub keys: Vec<KeyConfig>,
    /// Path prefixes that need a token.
    pub protect: Vec<ProtectConfig>,
    pub api: ApiConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            public_url: String::new(),
            default_format: DefaultFormat::Original,
            avif_speed: signet_transform::pipeline::Encoders::DEFAULT_AVIF_SPEED,
            fallback_font: DEFAULT_FALLBACK_FONT.to_owned(),
            path_tokens: false,
            default_profile: String::new(),
            ignore_params: vec!["v".into()],
            jwt_leeway: Duration::ZERO,
            log_format: LogFormat::Plain,
            storage: StorageConfig::default(),
            cache: CacheConfig::default(),
            limits: LimitsConfig::default(),
            video: VideoConfig::default(),
            results: None,
            cluster: None,
            keys: Vec::new(),
            protect: Vec::new(),
            api: ApiConfig::default(),
        }
    }
}

impl Config {
    /// Where public URLs point: `public_url` without a trailing `/`, or the
    /// media listener's address.
    pub fn public_base(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }
}

/// The output format of a URL that names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultFormat {
    /// The source's own format.
    Original,
    /// AVIF, WebP or the source's family by `Accept` (SPEC §4).
    Optimal,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Plain,
    Json,
}

/// Which store serves the media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// A local folder.
    Fs,
    /// An S3 bucket (AWS, MinIO, …).
    S3,
}

/// How the S3 client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    Standard,
    /// Client-side rate limiting when the store throttles.
    Adaptive,
}

/// A token scheme: what a key signs, what a `[[protect]]` entry accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Sirv-style JSON Web Tokens (`?jwt=`).
    Jwt,
    /// JW Player-style MD5 signatures (`?exp=&sig=`).
    Md5,
}

/// Where media is stored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub kind: StorageKind,
    /// Root folder of the `fs` store, relative to the working directory.
    pub root: PathBuf,
    /// S3 bucket.
    pub bucket: String,
    /// Key prefix inside the bucket.
    pub prefix: String,
    /// S3 endpoint URL (empty: `AWS_ENDPOINT_URL`, else AWS itself).
    pub endpoint: String,
    /// Empty: `AWS_REGION`/the AWS profile, else `us-east-1`.
    pub region: String,
    /// `http://host/bucket/key` addressing (MinIO and most stores).
    pub force_path_style: bool,
    /// Static credentials (empty: the standard AWS chain — `AWS_ACCESS_KEY_ID`
    /// and friends, profiles, instance roles).
    pub access_key_id: String,
    #[serde(skip_serializing)]
    pub secret_access_key: SecretString,
    /// Until the TCP (and TLS) connection is up.
    #[serde(with = "units::duration")]
    pub connect_timeout: Duration,
    /// One attempt, until the response head.
    #[serde(with = "units::duration")]
    pub attempt_timeout: Duration,
    /// All attempts together (a timeout answers 504).
    #[serde(with = "units::duration")]
    pub operation_timeout: Duration,
    /// Attempts per operation, the first included.
    pub max_attempts: u32,
    /// The first retry's wait; later ones back off exponentially.
    #[serde(with = "units::duration")]
    pub initial_backoff: Duration,
    pub retry_mode: RetryMode,
    /// Uploads are sent in parts of this size (at least 5 MiB); a body that
    /// fits in one part is a single `PutObject`.
    #[serde(with = "units::bytesize")]
    pub part_size: u64,
}

impl Default for StorageConfig {
    fn default() -> StorageConfig {
        StorageConfig {
            kind: StorageKind::Fs,
            root: PathBuf::from("./media"),
            bucket: "media".into(),
            prefix: String::new(),
            endpoint: String::new(),
            region: String::new(),
            force_path_style: true,
            access_key_id: String::new(),
            secret_access_key: SecretString::default(),
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(10),
            operation_timeout: Duration::from_secs(20),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            retry_mode: RetryMode::Standard,
            part_size: 8 << 20,
        }
    }
}

impl StorageConfig {
    /// The S3 store settings (for `kind = "s3"`).
    pub fn s3_settings(&self) -> signet_storage::S3Settings {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let secret = self.secret_access_key.expose_secret();
        signet_storage::S3Settings {
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone(),
            endpoint: some(&self.endpoint),
            region: some(&self.region),
            access_key_id: some(&self.access_key_id),
            secret_access_key: (!secret.is_empty()).then(|| self.secret_access_key.clone()),
            force_path_style: self.force_path_style,
            connect_timeout: self.connect_timeout,
            attempt_timeout: self.attempt_timeout,
            operation_timeout: self.operation_timeout,
            max_attempts: self.max_attempts,
            initial_backoff: self.initial_backoff,
            retry_mode: match self.retry_mode {
                RetryMode::Standard => signet_storage::RetryMode::Standard,
                RetryMode::Adaptive => signet_storage::RetryMode::Adaptive,
            },
            part_size: usize::try_from(self.part_size).unwrap_or(usize::MAX),
        }
    }
}

/// The variant cache and HTTP caching headers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Memory budget of the variant cache.
    #[serde(with = "units::bytesize")]
    pub max_bytes: u64,
    /// `Cache-Control: max-age` of responses (capped by token lifetime).
    #[serde(with = "units::duration")]
    pub max_age: Duration,
    /// How long a cached source version is trusted before re-checking storage.
    #[serde(with = "units::duration")]
    pub revalidate_after: Duration,
}

impl Default for CacheConfig {
    fn default() -> CacheConfig {
        CacheConfig {
            max_bytes: 512 << 20,
            max_age: Duration::from_secs(365 * 86_400),
            revalidate_after: Duration::from_secs(60),
        }
    }
}

/// Safety limits, all on by default.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Width × height of a source (times its frames), read from its header.
    pub max_source_pixels: u64,
    /// Largest source read for a transform (422 past it).
    #[serde(with = "units::bytesize")]
    pub max_source_bytes: u64,
    /// Width × height of an output (400 past it).
    pub max_output_pixels: u64,
    /// EXIF, XMP, ICC, text chunks and comments of a source, inflated where
    /// compressed.
    #[serde(with = "units::bytesize")]
    pub max_metadata_bytes: u64,
    /// Frames of an animated source (422 past it).
    pub max_animation_frames: u64,
    /// A transform running longer answers 503.
    #[serde(with = "units::duration")]
    pub transform_timeout: Duration,
    /// 0 means the number of cores.
    pub max_concurrent_transforms: usize,
    /// Transforms that may wait for a slot before new misses get 503;
    /// 0 means 32 per concurrent transform.
    pub max_queued_transforms: usize,
    /// A client must send its whole request head within this time
    /// (slowloris); the connection is closed otherwise.
    #[serde(with = "units::duration")]
    pub header_read_timeout: Duration,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            max_source_pixels: 100_000_000,
            max_source_bytes: 100 << 20,
            max_output_pixels: 40_000_000,
            max_metadata_bytes: 8 << 20,
            max_animation_frames: 1000,
            transform_timeout: Duration::from_secs(30),
            max_concurrent_transforms: 0,
            max_queued_transforms: 0,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

impl LimitsConfig {
    /// Transforms that run at once (`max_concurrent_transforms`, 0 = cores).
    pub fn concurrency(&self) -> usize {
        match self.max_concurrent_transforms {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        }
    }

    /// Transforms that may wait (`max_queued_transforms`, 0 = 32 per slot).
    pub fn queue(&self) -> usize {
        match self.max_queued_transforms {
            0 => self.concurrency() * 32,
            n => n,
        }
    }
}

/// Posters from videos (`?poster=`): how ffmpeg is run (docs/video.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VideoConfig {
    /// The ffmpeg program: a name looked up on the `PATH`, or a path.
    pub ffmpeg: String,
    /// Largest video a poster is taken from (422 past it).
    #[serde(with = "units::bytesize")]
    pub max_bytes: u64,
    /// Time for ffmpeg to give the frame (503 past it, and it is killed).
    #[serde(with = "units::duration")]
    pub poster_timeout: Duration,
    /// ffmpeg's address space (its allocations fail past it).
    #[serde(with = "units::bytesize")]
    pub max_memory: u64,
}

impl Default for VideoConfig {
    fn default() -> VideoConfig {
        VideoConfig {
            ffmpeg: "ffmpeg".to_owned(),
            max_bytes: 2 << 30,
            poster_timeout: Duration::from_secs(20),
            max_memory: 1 << 30,
        }
    }
}

/// `[results]`: where variants are shared between replicas. The store is
/// of `[storage]`'s kind, with its connection settings unless given here.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResultsConfig {
    /// S3 bucket (empty: `[storage]`'s bucket).
    pub bucket: String,
    /// Key prefix inside the bucket.
    pub prefix: String,
    /// S3 endpoint URL (empty: `[storage]`'s).
    pub endpoint: String,
    /// The folder, when `[storage]` is a folder (required then).
    pub root: PathBuf,
    /// How long a lookup may take before the variant is made instead.
    #[serde(with = "units::duration")]
    pub timeout: Duration,
}

impl Default for ResultsConfig {
    fn default() -> ResultsConfig {
        ResultsConfig {
            bucket: String::new(),
            prefix: "signet-results/".to_owned(),
            endpoint: String::new(),
            root: PathBuf::new(),
            timeout: Duration::from_millis(250),
        }
    }
}

impl ResultsConfig {
    /// The tier's S3 settings: `[storage]`'s, with this section's bucket,
    /// prefix and endpoint.
    pub fn s3_settings(&self, storage: &StorageConfig) -> signet_storage::S3Settings {
        let mut settings = storage.s3_settings();
        if !self.bucket.is_empty() {
            settings.bucket = self.bucket.clone();
        }
        if !self.endpoint.is_empty() {
            settings.endpoint = Some(self.endpoint.clone());
        }
        settings.prefix = self.prefix.clone();
        settings
    }
}

/// `[cluster]`: replicas tell each other about writes over Redis pub/sub.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// `redis://[:password@]host[:port][/db]`, or `rediss://` for TLS. It
    /// may hold a password, so it is never printed.
    #[serde(skip_serializing)]
    pub redis_url: SecretString,
    /// The pub/sub channel (one per cluster sharing a Redis).
    pub channel: String,
}

impl Default for ClusterConfig {
    fn default() -> ClusterConfig {
        ClusterConfig {
            redis_url: SecretString::default(),
            channel: "signet:invalidate".to_owned(),
        }
    }
}

/// One signing key.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyConfig {
    pub id: String,
    pub kind: Scheme,
    /// The secret as written (or base64, see `secret_base64`).
    #[serde(skip_serializing)]
    pub secret: SecretString,
    /// Name of an environment variable holding the secret instead.
    pub secret_env: String,
    /// The secret is base64 (standard or URL-safe, padding optional).
    pub secret_base64: bool,
    /// Paths this key may authorize (prefix, mask rules).
    pub scope: String,
}

impl Default for KeyConfig {
    fn default() -> KeyConfig {
        KeyConfig {
            id: String::new(),
            kind: Scheme::Jwt,
            secret: SecretString::default(),
            secret_env: String::new(),
            secret_base64: false,
            scope: "/".into(),
        }
    }
}

/// A protected path prefix.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtectConfig {
    /// Paths starting with this string need a token (longest prefix wins).
    pub prefix: String,
    /// Accepted schemes.
    pub accept: Vec<Scheme>,
    /// Strict profile applied to everything under the prefix.
    pub profile: String,
}

impl Default for ProtectConfig {
    fn default() -> ProtectConfig {
        ProtectConfig {
            prefix: String::new(),
            accept: vec![Scheme::Jwt, Scheme::Md5],
            profile: String::new(),
        }
    }
}

/// The REST API (admin listener).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    pub client_id: String,
    /// Empty: the REST API is disabled.
    #[serde(skip_serializing)]
    pub client_secret: SecretString,
    /// Signs bearer tokens; empty: random per process.
    #[serde(skip_serializing)]
    pub token_secret: SecretString,
    /// Largest upload accepted (413 past it, nothing written).
    #[serde(with = "units::bytesize")]
    pub max_upload_bytes: u64,
    /// Most files a folder delete, rename or zip touches (409 past it).
    pub max_folder_files: usize,
    /// Largest archive `POST /v2/files/zip` makes (at most 4 GiB).
    #[serde(with = "units::bytesize")]
    pub max_zip_bytes: u64,
    /// Requests per hour per client address (a token bucket that holds an
    /// hour's worth); 0 turns the limit off.
    pub rate_limit: u32,
    /// Origins allowed to call the API from a browser (`*` for any); empty:
    /// no CORS headers.
    pub cors_origins: Vec<String>,
}

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            client_id: String::new(),
            client_secret: SecretString::default(),
            token_secret: SecretString::default(),
            max_upload_bytes: 1 << 30,
            max_folder_files: 10_000,
            max_zip_bytes: 2 << 30,
            rate_limit: 7000,
            cors_origins: Vec::new(),
        }
    }
}

/// A config with one JWT key (`j`/`jwtsecret`), one MD5 key
/// (`m`/`md5secret`), `/private/` protected, plus `extra` TOML.
#[cfg(test)]
pub(crate) fn test_config(extra: &str) -> Config {
    let base = "[[keys]]\nid = \"j\"\nsecret = \"jwtsecret\"\n\
                [[keys]]\nid = \"m\"\nkind = \"md5\"\nsecret = \"md5secret\"\n\
                [[protect]]\nprefix = \"/private/\"\n";
    match Config::from_toml("test", &format!("{base}{extra}")) {
        Ok(c) => c,
        Err(e) => panic!("test config: {e}"),
    }
}

#[cfg(test)]
mod tests;
