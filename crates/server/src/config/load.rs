//! Loading the layers — defaults, the TOML file, the environment, the
//! command-line flags — and the checks serde's types cannot express. Every
//! error names its source (the file, the environment variable or the flag),
//! the key and the reason.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use signet_auth::{decode_secret, Key, KeyKind, KeyRing};

use super::{ClusterConfig, Config, KeyConfig, ResultsConfig, Scheme, StorageKind};

/// A configuration problem: where, which key, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {key}: {reason}")]
pub struct ConfigError {
    /// The file, `environment`, `flags` or `defaults`.
    pub source_name: String,
    pub key: String,
    pub reason: String,
}

/// Command-line overrides, applied last (clap has parsed them already).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub root: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
}

/// Where a setting came from, for error messages.
const ENVIRONMENT: &str = "environment";

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
        config.apply_env(env)?;
        if let Some(root) = &flags.root {
            config.storage.kind = StorageKind::Fs;
            config.storage.root = root.clone();
        }
        if let Some(listen) = flags.listen {
            config.listen = listen;
        }
        if let Some(admin) = flags.admin_listen {
            config.admin_listen = admin;
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

    /// The `SIGNET_*` variables; a bad value names the variable.
    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let address = |var: &str, value: &str| {
            value.parse::<SocketAddr>().map_err(|e| ConfigError {
                source_name: ENVIRONMENT.to_owned(),
                key: var.to_owned(),
                reason: super::units::address::problem(value, &e),
            })
        };
        if let Some(v) = env("SIGNET_LISTEN") {
            self.listen = address("SIGNET_LISTEN", &v)?;
        }
        if let Some(v) = env("SIGNET_ADMIN_LISTEN") {
            self.admin_listen = address("SIGNET_ADMIN_LISTEN", &v)?;
        }
        if let Some(v) = env("SIGNET_ROOT") {
            self.storage.kind = StorageKind::Fs;
            self.storage.root = PathBuf::from(v);
        }
        if let Some(v) = env("SIGNET_S3_BUCKET") {
            self.storage.kind = StorageKind::S3;
            self.storage.bucket = v;
        }
        if let Some(v) = env("SIGNET_REDIS_URL") {
            self.cluster
                .get_or_insert_with(ClusterConfig::default)
                .redis_url = SecretString::from(v);
        }
        if let Some(v) = env("SIGNET_RESULTS_BUCKET") {
            self.results
                .get_or_insert_with(ResultsConfig::default)
                .bucket = v;
        }
        for (var, kind) in [
            ("SIGNET_JWT_KEY", Scheme::Jwt),
            ("SIGNET_MD5_SECRET", Scheme::Md5),
        ] {
            if env(var).is_some() {
                self.keys.retain(|k| !(k.id == "env" && k.kind == kind));
                self.keys.push(KeyConfig {
                    id: "env".into(),
                    kind,
                    secret_env: var.into(),
                    ..KeyConfig::default()
                });
            }
        }
        if let Some(v) = env("SIGNET_API_CLIENT_ID") {
            self.api.client_id = v;
        }
        if let Some(v) = env("SIGNET_API_CLIENT_SECRET") {
            self.api.client_secret = SecretString::from(v);
        }
        if let Some(v) = env("SIGNET_API_TOKEN_SECRET") {
            self.api.token_secret = SecretString::from(v);
        }
        if let Some(v) = env("SIGNET_PUBLIC_URL") {
            self.public_url = v;
        }
        Ok(())
    }

    /// What the types cannot say: relations between fields and lower bounds.
    pub(super) fn validate(
        &self,
        source: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let err = |key: &str, reason: &str| ConfigError {
            source_name: source.to_owned(),
            key: key.to_owned(),
            reason: reason.to_owned(),
        };
        let http_url =
            |url: &str| url.is_empty() || url.starts_with("http://") || url.starts_with("https://");
        if self.limits.max_metadata_bytes == 0 {
            return Err(err(
                "limits.max_metadata_bytes",
                "must be above 0 (nearly every image carries some metadata)",
            ));
        }
        if self.limits.max_animation_frames == 0 {
            return Err(err(
                "limits.max_animation_frames",
                "must be above 0 (a still image is one frame)",
            ));
        }
        if self.limits.header_read_timeout.is_zero() {
            return Err(err(
                "limits.header_read_timeout",
                "must be above 0 (it closes connections that send their request head too slowly)",
            ));
        }
        if self.video.poster_timeout.is_zero() {
            return Err(err("video.poster_timeout", "must be above 0"));
        }
        if self.video.max_memory < 64 << 20 {
            return Err(err(
                "video.max_memory",
                "must be at least 64MiB (ffmpeg itself takes tens of MiB)",
            ));
        }
        if self.avif_speed > 9 {
            return Err(err("avif_speed", "must be from 0 to 9 (libaom's speeds)"));
        }
        if self.api.max_zip_bytes > u64::from(u32::MAX) {
            return Err(err("api.max_zip_bytes", "must be at most 4GiB (no ZIP64)"));
        }
        if self.api.max_folder_files == 0 || self.api.max_folder_files > 65_535 {
            return Err(err(
                "api.max_folder_files",
                "must be from 1 to 65535 (a zip holds at most 65535 files)",
            ));
        }
        if let Some(o) = self
            .api
            .cors_origins
            .iter()
            .find(|o| *o != "*" && !http_url(o))
        {
            return Err(err(
                "api.cors_origins",
                &format!("{o:?}: an origin is `*` or starts with http:// or https://"),
            ));
        }
        if !http_url(&self.public_url) {
            return Err(err("public_url", "must start with http:// or https://"));
        }
        let st = &self.storage;
        if st.kind == StorageKind::S3 {
            if st.bucket.is_empty() {
                return Err(err("storage.bucket", "must name a bucket"));
            }
            if !http_url(&st.endpoint) {
                return Err(err(
                    "storage.endpoint",
                    "must start with http:// or https://",
                ));
            }
            if st.access_key_id.is_empty() != st.secret_access_key.expose_secret().is_empty() {
                return Err(err(
                    "storage.secret_access_key",
                    "set access_key_id and secret_access_key together, or neither",
                ));
            }
            if st.max_attempts == 0 {
                return Err(err("storage.max_attempts", "must be at least 1"));
            }
            if st.part_size < signet_storage::MIN_PART_SIZE as u64 {
                return Err(err(
                    "storage.part_size",
                    "must be at least 5MiB (S3's smallest part)",
                ));
            }
        }
        if let Some(cluster) = &self.cluster {
            let url = cluster.redis_url.expose_secret();
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(err(
                    "cluster.redis_url",
                    "must start with redis:// or rediss://",
                ));
            }
            if cluster.channel.is_empty() {
                return Err(err("cluster.channel", "must not be empty"));
            }
        }
        if let Some(results) = &self.results {
            self.check_results(results)
                .map_err(|(key, reason)| err(&key, &reason))?;
        }
        self.key_ring(env)
            .map_err(|(key, reason)| err(&key, &reason))?;
        for (i, p) in self.protect.iter().enumerate() {
            if !p.prefix.starts_with('/') {
                return Err(err(&format!("protect[{i}].prefix"), "must start with `/`"));
            }
            if p.accept.is_empty() {
                return Err(err(
                    &format!("protect[{i}].accept"),
                    "must name `jwt` and/or `md5`",
                ));
            }
            if self.protect[..i].iter().any(|o| o.prefix == p.prefix) {
                return Err(err(
                    &format!("protect[{i}].prefix"),
                    &format!("`{}` is listed twice", p.prefix),
                ));
            }
        }
        Ok(())
    }

    /// `[results]` must be somewhere media is not: the media store would
    /// otherwise list, serve and let the API overwrite result objects.
    fn check_results(&self, results: &ResultsConfig) -> Result<(), (String, String)> {
        let err = |key: &str, reason: String| Err((format!("results.{key}"), reason));
        if results.timeout.is_zero() {
            return err("timeout", "must be above 0".into());
        }
        match self.storage.kind {
            StorageKind::Fs => {
                if results.root.as_os_str().is_empty() {
                    return err(
                        "root",
                        "must name a folder when [storage] is a folder".into(),
                    );
                }
                let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
                let (media, tier) = (absolute(&self.storage.root), absolute(&results.root));
                if tier.starts_with(&media) || media.starts_with(&tier) {
                    return err(
                        "root",
                        format!(
                            "`{}` overlaps the media folder `{}`: give results a folder of its own",
                            results.root.display(),
                            self.storage.root.display()
                        ),
                    );
                }
            }
            StorageKind::S3 => {
                let same_bucket =
                    results.bucket.is_empty() || results.bucket == self.storage.bucket;
                let same_host =
                    results.endpoint.is_empty() || results.endpoint == self.storage.endpoint;
                let folder = |p: &str| {
                    let p = p.trim_start_matches('/');
                    if p.is_empty() || p.ends_with('/') {
                        p.to_owned()
                    } else {
                        format!("{p}/")
                    }
                };
                let (media, tier) = (folder(&self.storage.prefix), folder(&results.prefix));
                if same_bucket
                    && same_host
                    && (tier.starts_with(&media) || media.starts_with(&tier))
                {
                    return err(
                        "prefix",
                        format!(
                            "`{tier}` overlaps the media in bucket `{}` (storage.prefix = `{media}`): \
                             give results a bucket of its own, or keep media and results \
                             under different prefixes",
                            self.storage.bucket
                        ),
                    );
                }
                if !results.endpoint.is_empty()
                    && !results.endpoint.starts_with("http://")
                    && !results.endpoint.starts_with("https://")
                {
                    return err("endpoint", "must start with http:// or https://".into());
                }
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
            let kind = match k.kind {
                Scheme::Jwt => KeyKind::Jwt,
                Scheme::Md5 => KeyKind::Md5,
            };
            let written = k.secret.expose_secret();
            let from_env;
            let secret = match (written.is_empty(), k.secret_env.is_empty()) {
                (false, true) => written,
                (true, false) => {
                    from_env = env(&k.secret_env)
                        .filter(|s| !s.is_empty())
                        .map(SecretString::from)
                        .ok_or_else(|| {
                            (
                                at("secret_env"),
                                format!("environment variable {} is not set", k.secret_env),
                            )
                        })?;
                    from_env.expose_secret()
                }
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
            let bytes = decode_secret(&k.id, secret, k.secret_base64)
                .map_err(|e| (at("secret"), e.to_string()))?;
            let key = Key::new(k.id.clone(), kind, bytes, k.scope.clone())
                .map_err(|e| (at("id"), e.to_string()))?;
            keys.push(key);
        }
        KeyRing::new(keys).map_err(|e| ("keys".into(), e.to_string()))
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
