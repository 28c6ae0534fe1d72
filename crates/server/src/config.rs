//! Configuration: one `Config`, layered defaults → TOML file → environment → flags.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use signet_auth::{decode_secret, Key, KeyKind, KeyRing};

/// The whole configuration. Defaults are those of SPEC §8.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the media listener.
    pub listen: String,
    /// Address of the admin listener (`/health`, `/ready`, later the REST API).
    pub admin_listen: String,
    /// Base URL put in front of signed URLs by `signet sign`.
    pub public_url: String,
    /// Output format when a URL names none: `original` or `optimal`.
    pub default_format: String,
    /// Profile applied to every image (empty: none).
    pub default_profile: String,
    /// Query names dropped before validation and caching (cache-busters).
    pub ignore_params: Vec<String>,
    /// Clock skew tolerated on JWT `exp`/`nbf`/`iat`.
    #[serde(with = "duration")]
    pub jwt_leeway: Duration,
    /// Log format: `plain` or `json`.
    pub log_format: String,
    pub storage: StorageConfig,
    pub cache: CacheConfig,
    pub limits: LimitsConfig,
    /// Signing keys.
    pub keys: Vec<KeyConfig>,
    /// Path prefixes that need a token.
    pub protect: Vec<ProtectConfig>,
    pub api: ApiConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:8080".into(),
            admin_listen: "127.0.0.1:8081".into(),
            public_url: String::new(),
            default_format: "original".into(),
            default_profile: String::new(),
            ignore_params: vec!["v".into()],
            jwt_leeway: Duration::ZERO,
            log_format: "plain".into(),
            storage: StorageConfig::default(),
            cache: CacheConfig::default(),
            limits: LimitsConfig::default(),
            keys: Vec::new(),
            protect: Vec::new(),
            api: ApiConfig::default(),
        }
    }
}

/// Where media is stored.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `fs` (a local folder) or `s3`.
    pub kind: String,
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
    pub force_path_style: bool,
    /// Static credentials (empty: the standard AWS chain — `AWS_ACCESS_KEY_ID`
    /// and friends, profiles, instance roles).
    pub access_key_id: String,
    #[serde(skip_serializing)]
    pub secret_access_key: String,
    #[serde(with = "duration")]
    pub connect_timeout: Duration,
    /// One attempt, until the response head.
    #[serde(with = "duration")]
    pub attempt_timeout: Duration,
    /// All attempts together (a timeout answers 504).
    #[serde(with = "duration")]
    pub operation_timeout: Duration,
    /// Attempts per operation, the first included.
    pub max_attempts: u32,
    #[serde(with = "duration")]
    pub initial_backoff: Duration,
    /// `standard` or `adaptive` (client-side rate limiting when throttled).
    pub retry_mode: String,
    /// Uploads are sent in parts of this size (at least 5 MiB); a body that
    /// fits in one part is a single `PutObject`.
    #[serde(with = "bytesize")]
    pub part_size: u64,
}

impl Default for StorageConfig {
    fn default() -> StorageConfig {
        StorageConfig {
            kind: "fs".into(),
            root: PathBuf::from("./media"),
            bucket: "media".into(),
            prefix: String::new(),
            endpoint: String::new(),
            region: String::new(),
            force_path_style: true,
            access_key_id: String::new(),
            secret_access_key: String::new(),
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(10),
            operation_timeout: Duration::from_secs(20),
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            retry_mode: "standard".into(),
            part_size: 8 << 20,
        }
    }
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageConfig")
            .field("kind", &self.kind)
            .field("root", &self.root)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl StorageConfig {
    /// The S3 store settings (for `kind = "s3"`).
    pub fn s3_settings(&self) -> signet_storage::S3Settings {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        signet_storage::S3Settings {
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone(),
            endpoint: some(&self.endpoint),
            region: some(&self.region),
            access_key_id: some(&self.access_key_id),
            secret_access_key: some(&self.secret_access_key),
            force_path_style: self.force_path_style,
            connect_timeout: self.connect_timeout,
            attempt_timeout: self.attempt_timeout,
            operation_timeout: self.operation_timeout,
            max_attempts: self.max_attempts,
            initial_backoff: self.initial_backoff,
            retry_mode: if self.retry_mode == "adaptive" {
                signet_storage::RetryMode::Adaptive
            } else {
                signet_storage::RetryMode::Standard
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
    #[serde(with = "bytesize")]
    pub max_bytes: u64,
    /// `Cache-Control: max-age` of responses (capped by token lifetime).
    #[serde(with = "duration")]
    pub max_age: Duration,
    /// How long a cached source version is trusted before re-checking storage.
    #[serde(with = "duration")]
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
    pub max_source_pixels: u64,
    #[serde(with = "bytesize")]
    pub max_source_bytes: u64,
    pub max_output_pixels: u64,
    /// EXIF, XMP, ICC, text chunks and comments of a source, inflated where
    /// compressed.
    #[serde(with = "bytesize")]
    pub max_metadata_bytes: u64,
    #[serde(with = "duration")]
    pub transform_timeout: Duration,
    /// 0 means the number of cores.
    pub max_concurrent_transforms: usize,
    /// Transforms that may wait for a slot before new misses get 503;
    /// 0 means 32 per concurrent transform.
    pub max_queued_transforms: usize,
    /// A client must send its whole request head within this time
    /// (slowloris); the connection is closed otherwise.
    #[serde(with = "duration")]
    pub header_read_timeout: Duration,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            max_source_pixels: 100_000_000,
            max_source_bytes: 100 << 20,
            max_output_pixels: 40_000_000,
            max_metadata_bytes: 8 << 20,
            transform_timeout: Duration::from_secs(30),
            max_concurrent_transforms: 0,
            max_queued_transforms: 0,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// One signing key.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyConfig {
    pub id: String,
    /// `jwt` or `md5`.
    pub kind: String,
    /// The secret as written (or base64, see `secret_base64`).
    #[serde(skip_serializing)]
    pub secret: String,
    /// Name of an environment variable holding the secret instead.
    pub secret_env: String,
    pub secret_base64: bool,
    /// Paths this key may authorize (prefix, mask rules).
    pub scope: String,
}

impl Default for KeyConfig {
    fn default() -> KeyConfig {
        KeyConfig {
            id: String::new(),
            kind: "jwt".into(),
            secret: String::new(),
            secret_env: String::new(),
            secret_base64: false,
            scope: "/".into(),
        }
    }
}

impl std::fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyConfig")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("secret", &"<redacted>")
            .field("secret_env", &self.secret_env)
            .field("scope", &self.scope)
            .finish()
    }
}

/// A protected path prefix.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtectConfig {
    /// Paths starting with this string need a token (longest prefix wins).
    pub prefix: String,
    /// Accepted schemes: `jwt`, `md5`.
    pub accept: Vec<String>,
    /// Strict profile applied to everything under the prefix.
    pub profile: String,
}

impl Default for ProtectConfig {
    fn default() -> ProtectConfig {
        ProtectConfig {
            prefix: String::new(),
            accept: vec!["jwt".into(), "md5".into()],
            profile: String::new(),
        }
    }
}

/// The REST API (admin listener).
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    pub client_id: String,
    /// Empty: the REST API is disabled.
    #[serde(skip_serializing)]
    pub client_secret: String,
    /// Signs bearer tokens; empty: random per process.
    #[serde(skip_serializing)]
    pub token_secret: String,
    /// Largest upload accepted (413 past it, nothing written).
    #[serde(with = "bytesize")]
    pub max_upload_bytes: u64,
}

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            client_id: String::new(),
            client_secret: String::new(),
            token_secret: String::new(),
            max_upload_bytes: 1 << 30,
        }
    }
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A configuration problem: where, which key, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {key}: {reason}")]
pub struct ConfigError {
    /// The file (or `environment`, `flags`).
    pub source_name: String,
    pub key: String,
    pub reason: String,
}

/// Command-line overrides, applied last.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub root: Option<PathBuf>,
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
}

impl Config {
    /// Loads the layers: defaults, then `file` (or `SIGNET_CONFIG`), then the
    /// environment (`env` looks a variable up), then `flags`, and validates.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env("SIGNET_CONFIG").map(PathBuf::from));
        let mut config = match &file {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        let source = file
            .as_ref()
            .map_or("defaults".to_owned(), |p| p.display().to_string());
        config.apply_env(env);
        if let Some(root) = &flags.root {
            config.storage.kind = "fs".into();
            config.storage.root = root.clone();
        }
        if let Some(listen) = &flags.listen {
            config.listen = listen.clone();
        }
        if let Some(admin) = &flags.admin_listen {
            config.admin_listen = admin.clone();
        }
        config.validate(&source, env)?;
        Ok(config)
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            source_name: name.clone(),
            key: "-".into(),
            reason: format!("cannot read: {e}"),
        })?;
        Config::from_toml(&name, &text)
    }

    /// Parses TOML text; errors name the dotted key that failed.
    pub fn from_toml(name: &str, text: &str) -> Result<Config, ConfigError> {
        let located = |e: &toml::de::Error| match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: {}", one_line(e.message()))
            }
            None => one_line(e.message()),
        };
        let de = toml::Deserializer::parse(text).map_err(|e| ConfigError {
            source_name: name.to_owned(),
            key: "-".into(),
            reason: located(&e),
        })?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            ConfigError {
                source_name: name.to_owned(),
                key: if key == "." { "-".into() } else { key },
                reason: located(&e.into_inner()),
            }
        })
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        if let Some(v) = env("SIGNET_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = env("SIGNET_ADMIN_LISTEN") {
            self.admin_listen = v;
        }
        if let Some(v) = env("SIGNET_ROOT") {
            self.storage.kind = "fs".into();
            self.storage.root = PathBuf::from(v);
        }
        if let Some(v) = env("SIGNET_S3_BUCKET") {
            self.storage.kind = "s3".into();
            self.storage.bucket = v;
        }
        for (var, kind) in [("SIGNET_JWT_KEY", "jwt"), ("SIGNET_MD5_SECRET", "md5")] {
            if env(var).is_some() {
                self.keys.retain(|k| !(k.id == "env" && k.kind == kind));
                self.keys.push(KeyConfig {
                    id: "env".into(),
                    kind: kind.into(),
                    secret_env: var.into(),
                    ..KeyConfig::default()
                });
            }
        }
        if let Some(v) = env("SIGNET_API_CLIENT_ID") {
            self.api.client_id = v;
        }
        if let Some(v) = env("SIGNET_API_CLIENT_SECRET") {
            self.api.client_secret = v;
        }
        if let Some(v) = env("SIGNET_API_TOKEN_SECRET") {
            self.api.token_secret = v;
        }
        if let Some(v) = env("SIGNET_PUBLIC_URL") {
            self.public_url = v;
        }
    }

    fn validate(
        &self,
        source: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let err = |key: &str, reason: String| ConfigError {
            source_name: source.to_owned(),
            key: key.to_owned(),
            reason,
        };
        for (key, addr) in [
            ("listen", &self.listen),
            ("admin_listen", &self.admin_listen),
        ] {
            addr.parse::<SocketAddr>().map_err(|e| {
                err(
                    key,
                    format!("`{addr}` is not an address like 127.0.0.1:8080 ({e})"),
                )
            })?;
        }
        if !["original", "optimal"].contains(&self.default_format.as_str()) {
            return Err(err(
                "default_format",
                "must be `original` or `optimal`".into(),
            ));
        }
        if !["plain", "json"].contains(&self.log_format.as_str()) {
            return Err(err("log_format", "must be `plain` or `json`".into()));
        }
        if self.limits.max_metadata_bytes == 0 {
            return Err(err(
                "limits.max_metadata_bytes",
                "must be above 0 (nearly every image carries some metadata)".into(),
            ));
        }
        if self.limits.header_read_timeout.is_zero() {
            return Err(err(
                "limits.header_read_timeout",
                "must be above 0 (it closes connections that send their request head too slowly)"
                    .into(),
            ));
        }
        let url = &self.public_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(err(
                "public_url",
                "must start with http:// or https://".into(),
            ));
        }
        match self.storage.kind.as_str() {
            "fs" => {}
            "s3" => {
                let st = &self.storage;
                if st.bucket.is_empty() {
                    return Err(err("storage.bucket", "must name a bucket".into()));
                }
                if !(st.endpoint.is_empty()
                    || st.endpoint.starts_with("http://")
                    || st.endpoint.starts_with("https://"))
                {
                    return Err(err(
                        "storage.endpoint",
                        "must start with http:// or https://".into(),
                    ));
                }
                if st.access_key_id.is_empty() != st.secret_access_key.is_empty() {
                    return Err(err(
                        "storage.secret_access_key",
                        "set access_key_id and secret_access_key together, or neither".into(),
                    ));
                }
                if !matches!(st.retry_mode.as_str(), "standard" | "adaptive") {
                    return Err(err(
                        "storage.retry_mode",
                        "must be `standard` or `adaptive`".into(),
                    ));
                }
                if st.max_attempts == 0 {
                    return Err(err("storage.max_attempts", "must be at least 1".into()));
                }
                if st.part_size < signet_storage::MIN_PART_SIZE as u64 {
                    return Err(err(
                        "storage.part_size",
                        "must be at least 5MiB (S3's smallest part)".into(),
                    ));
                }
            }
            other => {
                return Err(err(
                    "storage.kind",
                    format!("`{other}` is not `fs` or `s3`"),
                ))
            }
        }
        self.key_ring(env)
            .map_err(|(key, reason)| err(&key, reason))?;
        for (i, p) in self.protect.iter().enumerate() {
            if !p.prefix.starts_with('/') {
                return Err(err(
                    &format!("protect[{i}].prefix"),
                    "must start with `/`".into(),
                ));
            }
            if p.accept.is_empty() {
                return Err(err(
                    &format!("protect[{i}].accept"),
                    "must name `jwt` and/or `md5`".into(),
                ));
            }
            if let Some(bad) = p.accept.iter().find(|a| *a != "jwt" && *a != "md5") {
                return Err(err(
                    &format!("protect[{i}].accept"),
                    format!("`{bad}` is not `jwt` or `md5`"),
                ));
            }
            if self.protect[..i].iter().any(|o| o.prefix == p.prefix) {
                return Err(err(
                    &format!("protect[{i}].prefix"),
                    format!("`{}` is listed twice", p.prefix),
                ));
            }
        }
        Ok(())
    }

    /// Builds the key ring, resolving `secret_env`; errors are (key, reason).
    pub fn key_ring(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<KeyRing, (String, String)> {
        let mut keys = Vec::new();
        for (i, k) in self.keys.iter().enumerate() {
            let at = |field: &str| format!("keys[{i}].{field}");
            let kind = match k.kind.as_str() {
                "jwt" => KeyKind::Jwt,
                "md5" => KeyKind::Md5,
                other => return Err((at("kind"), format!("`{other}` is not `jwt` or `md5`"))),
            };
            let secret = match (k.secret.is_empty(), k.secret_env.is_empty()) {
                (false, true) => k.secret.clone(),
                (true, false) => env(&k.secret_env)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        (
                            at("secret_env"),
                            format!("environment variable {} is not set", k.secret_env),
                        )
                    })?,
                (false, false) => {
                    return Err((
                        at("secret"),
                        "give `secret` or `secret_env`, not both".into(),
                    ))
                }
                (true, true) => {
                    return Err((
                        at("secret"),
                        "missing (give `secret` or `secret_env`)".into(),
                    ))
                }
            };
            let bytes = decode_secret(&k.id, &secret, k.secret_base64)
                .map_err(|e| (at("secret"), e.to_string()))?;
            let key = Key::new(k.id.clone(), kind, bytes, k.scope.clone())
                .map_err(|e| (at("id"), e.to_string()))?;
            keys.push(key);
        }
        KeyRing::new(keys).map_err(|e| ("keys".into(), e.to_string()))
    }

    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8081)))
    }

    /// The effective configuration as TOML, secrets left out.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A map-backed environment, for tests and `check-config`.
pub fn env_from(map: BTreeMap<String, String>) -> impl Fn(&str) -> Option<String> {
    move |k| map.get(k).cloned()
}

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Durations as `"30s"`, `"365d"`, `"1h 30m"` or a number of seconds.
mod duration {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Secs(n) => Ok(Duration::from_secs(n)),
            Raw::Text(t) => humantime::parse_duration(t.trim()).map_err(|e| {
                serde::de::Error::custom(format!("`{t}` is not a duration like 30s or 365d ({e})"))
            }),
        }
    }
}

/// Byte sizes as `"512MiB"`, `"100MB"`, `"64k"` or a number of bytes.
mod bytesize {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*n)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bytes(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bytes(n) => Ok(n),
            Raw::Text(t) => parse_size(&t).ok_or_else(|| {
                serde::de::Error::custom(format!("`{t}` is not a size like 512MiB or 100MB"))
            }),
        }
    }

    pub(super) fn parse_size(t: &str) -> Option<u64> {
        let t = t.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num.parse().ok()?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1_000,
            "kib" => 1 << 10,
            "m" | "mb" => 1_000_000,
            "mib" => 1 << 20,
            "g" | "gb" => 1_000_000_000,
            "gib" => 1 << 30,
            _ => return None,
        };
        n.checked_mul(mult)
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
