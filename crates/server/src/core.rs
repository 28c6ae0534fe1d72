//! The parts every listener and command shares, built once from a `Config`:
//! the store, the key ring, the transform engine and its caches, the
//! metrics, and whether the process is draining. Handlers take a `&Core`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signet_auth::KeyRing;
use signet_storage::{FsStore, ObjectKey, Store};
use signet_transform::pipeline::{Encoders, Limits};

use crate::admin::metrics::Metrics;
use crate::catalog::Catalog;
use crate::cluster::Cluster;
use crate::config::{Config, ResultsConfig, StorageConfig, StorageKind};
use crate::media::engine::{Engine, Settings};
use crate::media::poster;
use crate::media::results::Results;

/// Why signet could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{key}: {reason}")]
    Config { key: String, reason: String },
    #[error("storage: {0}")]
    Storage(String),
}

/// The shared state of one running signet.
pub struct Core {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) ring: KeyRing,
    pub(crate) engine: Engine,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) cluster: Option<Cluster>,
    /// File metadata, search, folder jobs (the REST API's state).
    pub(crate) catalog: Catalog,
    draining: AtomicBool,
}

impl Core {
    /// Builds the core and opens its store from a validated config.
    pub async fn open(
        config: Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Core, StartError> {
        let store = open_store(&config.storage).await?;
        let results = match &config.results {
            Some(results) => Some(open_results(&config.storage, results).await?),
            None => None,
        };
        let mut core = Core::with_store(config, store, env)?;
        if let Some(cluster) = &core.config.cluster {
            let started =
                Cluster::start(cluster, core.metrics.clone()).map_err(|e| StartError::Config {
                    key: "cluster.redis_url".to_owned(),
                    reason: e.to_string(),
                })?;
            core.cluster = Some(started);
        }
        if let Some((store, timeout)) = results {
            let tier = Results::new(store, timeout, core.metrics.clone());
            core.engine.share_results(Arc::new(tier));
        }
        Ok(core)
    }

    /// Builds the core over a given store.
    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Core, StartError> {
        let ring = config
            .key_ring(env)
            .map_err(|(key, reason)| StartError::Config { key, reason })?;
        let limits = &config.limits;
        let settings = Settings {
            limits: Limits {
                max_source_pixels: limits.max_source_pixels,
                max_output_pixels: limits.max_output_pixels,
                max_metadata_bytes: limits.max_metadata_bytes,
                max_animation_frames: limits.max_animation_frames,
            },
            encoders: Encoders {
                avif_speed: config.avif_speed,
            },
            fallback_font: load_fallback_font(&config.fallback_font),
            max_source_bytes: limits.max_source_bytes,
            timeout: limits.transform_timeout,
            concurrency: limits.concurrency(),
            queue: limits.queue(),
            video: poster::Settings::find(
                &config.video.ffmpeg,
                config.video.max_bytes,
                config.video.poster_timeout,
                config.video.max_memory,
                limits.max_source_pixels,
            ),
            cache_bytes: config.cache.max_bytes,
            revalidate_after: config.cache.revalidate_after,
        };
        let metrics = Arc::new(Metrics::default());
        let engine = Engine::new(settings, metrics.clone());
        let catalog = Catalog::new(config.cache.revalidate_after);
        Ok(Core {
            config,
            store,
            ring,
            engine,
            metrics,
            cluster: None,
            catalog,
            draining: AtomicBool::new(false),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Ids of keys whose secrets are shorter than 32 bytes.
    pub fn weak_key_ids(&self) -> Vec<String> {
        self.ring.weak_keys().map(str::to_owned).collect()
    }

    /// Marks the process as draining: `/ready` fails from now on.
    pub(crate) fn stop_accepting(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Acts on what the cluster heard: a write to `key` elsewhere, or (for
    /// `None`) a gap in which writes may have been missed.
    pub(crate) async fn heard(&self, key: Option<ObjectKey>) {
        match key {
            Some(key) => {
                self.engine.invalidate(&key).await;
                self.catalog.forget_meta(Some(&key)).await;
                self.catalog.index.refresh(self.store(), &key).await;
            }
            None => {
                self.engine.forget_sources();
                self.catalog.forget_meta(None).await;
                self.catalog.index.forget();
            }
        }
    }

    /// Forgets everything cached from `key` (after a write through the API)
    /// and brings its search document up to date, here and, with `[cluster]`, on every other replica.
    pub(crate) async fn invalidate(&self, key: &ObjectKey) {
        self.engine.invalidate(key).await;
        self.catalog.forget_meta(Some(key)).await;
        self.catalog.index.refresh(self.store(), key).await;
        if let Some(cluster) = &self.cluster {
            cluster.announce(key);
        }
    }
}

/// Opens the configured store. Nothing is contacted yet for S3: see
/// [`Store::check`].
pub(crate) async fn open_store(storage: &StorageConfig) -> Result<Arc<dyn Store>, StartError> {
    match storage.kind {
        StorageKind::Fs => Ok(Arc::new(FsStore::new(&storage.root).map_err(|e| {
            StartError::Storage(format!(
                "cannot open folder {}: {e}",
                storage.root.display()
            ))
        })?)),
        StorageKind::S3 => open_s3(storage.s3_settings()).await,
    }
}

/// Opens the `[results]` store (of `[storage]`'s kind) and its timeout.
pub(crate) async fn open_results(
    storage: &StorageConfig,
    results: &ResultsConfig,
) -> Result<(Arc<dyn Store>, std::time::Duration), StartError> {
    let store: Arc<dyn Store> = match storage.kind {
        StorageKind::Fs => {
            std::fs::create_dir_all(&results.root).map_err(|e| {
                StartError::Storage(format!(
                    "results: cannot create folder {}: {e}",
                    results.root.display()
                ))
            })?;
            Arc::new(FsStore::new(&results.root).map_err(|e| {
                StartError::Storage(format!(
                    "results: cannot open folder {}: {e}",
                    results.root.display()
                ))
            })?)
        }
        StorageKind::S3 => open_s3(results.s3_settings(storage)).await?,
    };
    Ok((store, results.timeout))
}

#[cfg(feature = "s3")]
async fn open_s3(settings: signet_storage::S3Settings) -> Result<Arc<dyn Store>, StartError> {
    let store = signet_storage::S3Store::new(settings)
        .await
        .map_err(|e| StartError::Storage(e.to_string()))?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "s3"))]
async fn open_s3(settings: signet_storage::S3Settings) -> Result<Arc<dyn Store>, StartError> {
    Err(StartError::Storage(format!(
        "storage kind `s3` (bucket `{}`) is not in this build: it was built without \
         the `s3` feature",
        settings.bucket
    )))
}

/// Seconds since the Unix epoch: the one clock the request flow reads
/// (the libraries and `links` take the time as a parameter).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The configured fallback font, read and checked once; a missing or
/// unusable file is logged and text is drawn without a fallback.
fn load_fallback_font(path: &str) -> Option<Arc<[u8]>> {
    if path.is_empty() {
        return None;
    }
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.len() > signet_transform::pipeline::MAX_FONT_BYTES => {
            tracing::warn!(path, "fallback_font is larger than 32 MiB: not used");
            return None;
        }
        Ok(_) => std::fs::read(path),
        Err(e) => Err(e),
    };
    match bytes.map(|b| (signet_transform::pipeline::check_font(&b), b)) {
        Ok((Ok(()), bytes)) => Some(bytes.into()),
        Ok((Err(e), _)) => {
            tracing::warn!(path, error = %e, "fallback_font is not usable: text has no fallback");
            None
        }
        Err(e) => {
            tracing::info!(path, error = %e, "no fallback_font: characters the text's font lacks are drawn as boxes");
            None
        }
    }
}
