//! The application: one request's path from URL to response, on the media and
//! admin listeners. Testable without a socket.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use signet_auth::{Grant, Scheme};
use signet_storage::{FsStore, ObjectKey, Store};
use signet_transform::pipeline::{negotiate, Limits};
use signet_transform::{is_image_key, merge, parse_options, Layers, Options};

use crate::api::Api;
use crate::body::Body;
use crate::config::{Config, StorageConfig};
use crate::gate::Gate;
use crate::metrics::{Metrics, ReasonLabels};
use crate::originals::{self, Ask};
use crate::reject::{plain, Reject};
use crate::variants::{Engine, Profile, Settings};
use crate::{path, query};

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{key}: {reason}")]
    Config { key: String, reason: String },
    #[error("storage: {0}")]
    Storage(String),
}

/// The running application's shared state.
pub struct App {
    config: Config,
    store: Arc<dyn Store>,
    gate: Gate,
    ignored: HashSet<String>,
    engine: Engine,
    api: Option<Api>,
    accepting: AtomicBool,
}

/// What a request's log line and metrics say about it.
struct Outcome {
    auth: &'static str,
    /// `original`, `variant`, or `media` when it failed before either.
    route: &'static str,
}

impl App {
    /// Builds the application and its store from a validated config.
    pub async fn new(
        config: Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<App, StartError> {
        let store = open_store(&config.storage).await?;
        App::with_store(config, store, env)
    }

    /// Builds the application over a given store.
    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<App, StartError> {
        let ring = config
            .key_ring(env)
            .map_err(|(key, reason)| StartError::Config { key, reason })?;
        let gate = Gate::new(&config, ring);
        let ignored = config.ignore_params.iter().cloned().collect();
        let limits = &config.limits;
        let concurrency = match limits.max_concurrent_transforms {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let queue = match limits.max_queued_transforms {
            0 => concurrency * 32,
            n => n,
        };
        let settings = Settings {
            limits: Limits {
                max_source_pixels: limits.max_source_pixels,
                max_output_pixels: limits.max_output_pixels,
                max_metadata_bytes: limits.max_metadata_bytes,
            },
            max_source_bytes: limits.max_source_bytes,
            timeout: limits.transform_timeout,
            concurrency,
            queue,
            cache_bytes: config.cache.max_bytes,
            revalidate_after: config.cache.revalidate_after,
        };
        let engine = Engine::new(settings, Arc::new(Metrics::default()));
        let api = Api::new(&config.api);
        Ok(App {
            config,
            store,
            gate,
            ignored,
            engine,
            api,
            accepting: AtomicBool::new(true),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The REST API, when enabled.
    pub(crate) fn api(&self) -> Option<&Api> {
        self.api.as_ref()
    }

    pub(crate) fn ring(&self) -> &signet_auth::KeyRing {
        self.gate.ring()
    }

    /// Forgets everything cached from `key` (after a write through the API).
    pub(crate) async fn invalidate(&self, key: &ObjectKey) {
        self.engine.invalidate(key).await;
    }

    /// Runs the pipeline on a local file's bytes as a request would: the
    /// default profile, a named profile and watermarks come from storage;
    /// `params` are the query options; `accept` drives `format=optimal`.
    pub async fn transform(
        &self,
        source: Vec<u8>,
        params: &[(String, String)],
        accept: Option<&str>,
    ) -> Result<signet_transform::pipeline::Output, String> {
        let options = parse_options(params.iter().map(|(n, v)| (n.as_str(), v.as_str()))).map_err(
            |errs| {
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        )?;
        let store = self.store.as_ref();
        let fail = |r: Reject| r.describe();
        let none = Options::default();
        let effective = self
            .layered(&options, &none, None, true, false)
            .await
            .map_err(fail)?;
        let negotiated = negotiate(&effective, accept, self.config.default_format == "optimal");
        self.engine
            .transform_bytes(store, source, &effective, negotiated)
            .await
            .map_err(fail)
    }

    /// The bytes of an object in storage (capped at `max_source_bytes`).
    pub async fn read_source(&self, path: &str) -> Result<Vec<u8>, String> {
        let key = ObjectKey::from_path(path).map_err(|e| format!("{path}: {e}"))?;
        crate::variants::read_all(
            self.store.as_ref(),
            &key,
            self.config.limits.max_source_bytes,
            &self.engine.metrics,
        )
        .await
        .map_err(|r| format!("{path}: {}", r.describe()))
    }

    /// The displayed width (after EXIF orientation) of the image at `path`.
    pub(crate) async fn source_width(&self, path: &str) -> Result<u32, String> {
        let bytes = self.read_source(path).await?;
        let (w, _) =
            signet_transform::pipeline::dimensions(&bytes).map_err(|e| format!("{path}: {e}"))?;
        Ok(w)
    }

    /// The server's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.engine.metrics
    }

    /// Ids of keys whose secrets are shorter than 32 bytes.
    pub fn weak_key_ids(&self) -> Vec<String> {
        self.gate.ring().weak_keys().map(str::to_owned).collect()
    }

    /// Whether no path needs a token.
    pub fn is_open(&self) -> bool {
        self.gate.is_open()
    }

    /// Marks the app as draining: `/ready` fails from now on.
    pub fn stop_accepting(&self) {
        self.accepting.store(false, Ordering::SeqCst);
    }

    /// Handles a request on the media listener.
    pub async fn media<B>(&self, req: Request<B>) -> Response<Body> {
        let started = Instant::now();
        let mut outcome = Outcome {
            auth: "public",
            route: "media",
        };
        let mut response = match self.media_inner(&req, &mut outcome).await {
            Ok(r) => r,
            Err(reject) => {
                let metrics = &self.engine.metrics;
                if let Some(reason) = reject.auth_label() {
                    outcome.auth = reason;
                    metrics
                        .auth_failures
                        .get_or_create(&ReasonLabels { reason })
                        .inc();
                }
                if let Some(reason) = reject.storage_failure() {
                    metrics
                        .storage_errors
                        .get_or_create(&ReasonLabels { reason })
                        .inc();
                }
                reject.into_response()
            }
        };
        finish(&mut response);
        self.engine.metrics.request(
            outcome.route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
        // The path is logged without its query: tokens live there. A variant
        // is described by what was served (size and format), not by its options.
        let variant = response
            .extensions()
            .get::<crate::variants::Served>()
            .map(|s| format!("{}x{} {}", s.width, s.height, s.format.name()));
        tracing::info!(
            target: "signet::access",
            method = %req.method(),
            path = %req.uri().path(),
            status = response.status().as_u16(),
            ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
            auth = outcome.auth,
            variant = variant.as_deref(),
        );
        response
    }

    async fn media_inner<B>(
        &self,
        req: &Request<B>,
        outcome: &mut Outcome,
    ) -> Result<Response<Body>, Reject> {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => return Err(Reject::MethodNotAllowed),
        };
        let path =
            path::normalize(req.uri().path()).map_err(|why| Reject::BadRequest(why.to_owned()))?;
        let pairs = query::parse(req.uri().query().unwrap_or("")).map_err(Reject::BadRequest)?;
        let (creds, pairs) = query::split_credentials(pairs)
            .map_err(|_| Reject::Auth(signet_auth::Failure::InvalidPayload))?;

        // The gate runs before anything reads options, cache or storage.
        let now = unix_now();
        let access = self.gate.check(&path, &creds, now).map_err(Reject::Auth)?;
        if let Some(grant) = &access.grant {
            outcome.auth = grant.scheme.as_str();
        }

        let query_options = pairs
            .iter()
            .filter(|(name, _)| !self.ignored.contains(name));
        let options = parse_options(query_options.map(|(n, v)| (n.as_str(), v.as_str())))
            .map_err(|errs| Reject::BadOptions(errs.iter().map(ToString::to_string).collect()))?;
        let secure = access
            .grant
            .as_ref()
            .map(|g| g.args.as_slice())
            .unwrap_or_default();
        let secure = parse_options(secure.iter().map(|(n, v)| (n.as_str(), v.as_str()))).map_err(
            |errs| {
                Reject::BadOptions(
                    errs.iter()
                        .map(|e| format!("{e} (in the token's args)"))
                        .collect(),
                )
            },
        )?;

        if path == "/" {
            return Err(Reject::NotFound);
        }
        let key = ObjectKey::from_path(&path)?;
        let image = is_image_key(key.as_str());
        let jwt = access
            .grant
            .as_ref()
            .is_some_and(|g| g.scheme == Scheme::Jwt);
        let store = self.store.as_ref();

        let strict = access.rule.map(|r| r.profile.as_str());
        let effective = self.layered(&options, &secure, strict, image, jwt).await?;

        let ask = Ask {
            head,
            headers: req.headers(),
            cache_control: self.cache_control(access.grant.as_ref(), now),
        };
        if !image {
            if !effective.is_empty() {
                // Existence first, so a typo'd name gives 404.
                store.stat(&key).await?;
                let first = effective.iter().next();
                let shown = first.map(|(n, v)| format!("{n}={v}")).unwrap_or_default();
                return Err(Reject::BadRequest(format!(
                    "{shown}: options apply only to images"
                )));
            }
            outcome.route = "original";
            return originals::serve(store, &key, ask).await;
        }
        let default_optimal = self.config.default_format == "optimal";
        if effective.is_empty() && !default_optimal {
            outcome.route = "original";
            return originals::serve(store, &key, ask).await;
        }
        outcome.route = "variant";
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        let negotiated = negotiate(&effective, accept, default_optimal);
        self.engine
            .serve(store, &key, &effective, negotiated, ask)
            .await
    }

    /// The effective options of SPEC §4.1: profiles loaded from storage (the
    /// default and `strict` ones for images only; a named one from the
    /// token's args is trusted, from the query not) merged with the query and
    /// the secure args, the JWT overlay rule applied.
    async fn layered(
        &self,
        query: &Options,
        secure: &Options,
        strict: Option<&str>,
        image: bool,
        jwt: bool,
    ) -> Result<Options, Reject> {
        let store = self.store.as_ref();
        let load = |name: &str| {
            let name = name.to_owned();
            async move { self.engine.profile(store, &name).await.map(Some) }
        };
        let default_profile = match self.config.default_profile.as_str() {
            name if image && !name.is_empty() => load(name).await?,
            _ => None,
        };
        let (named, named_from_args) = match (secure.get("profile"), query.get("profile")) {
            (Some(name), _) => (load(name).await?, true),
            (None, Some(name)) => (load(name).await?, false),
            (None, None) => (None, false),
        };
        let strict_profile = match strict {
            Some(name) if image && !name.is_empty() => load(name).await?,
            _ => None,
        };
        let none = Options::default();
        fn options_of<'a>(p: &'a Option<Arc<Profile>>, none: &'a Options) -> &'a Options {
            p.as_ref().map_or(none, |p| &p.options)
        }
        let mut effective = merge(&Layers {
            default_profile: options_of(&default_profile, &none),
            named_profile: options_of(&named, &none),
            named_profile_from_args: named_from_args,
            query,
            secure,
            strict_profile: options_of(&strict_profile, &none),
            jwt,
        });
        // The profiles' options are in the set now; the name says nothing more.
        effective.remove("profile");
        Ok(effective)
    }

    /// `public, max-age=…`, capped at the token's remaining lifetime.
    fn cache_control(&self, grant: Option<&Grant>, now: i64) -> String {
        let mut max_age = self.config.cache.max_age.as_secs();
        if let Some(g) = grant {
            let left = u64::try_from(g.expires_at.saturating_sub(now)).unwrap_or(0);
            max_age = max_age.min(left);
        }
        format!("public, max-age={max_age}")
    }

    /// Handles a request on the admin listener.
    pub async fn admin<B>(&self, req: Request<B>) -> Response<Body>
    where
        B: crate::api::RequestBody,
    {
        let started = Instant::now();
        let (route, mut response) = if req.uri().path().starts_with("/v2/") {
            let response = crate::api::handle(self, req).await;
            if response.status() == StatusCode::UNAUTHORIZED {
                self.engine
                    .metrics
                    .auth_failures
                    .get_or_create(&ReasonLabels { reason: "api" })
                    .inc();
            }
            ("api", response)
        } else if let Some(response) =
            crate::console::handle(&self.config, req.method(), req.uri().path())
        {
            ("console", response)
        } else {
            match (req.method(), req.uri().path()) {
                (&Method::GET | &Method::HEAD, "/health") => {
                    ("health", plain(StatusCode::OK, "ok"))
                }
                (&Method::GET | &Method::HEAD, "/ready") => ("ready", self.ready().await),
                (&Method::GET | &Method::HEAD, "/metrics") => {
                    ("metrics", self.metrics_text().await)
                }
                _ => ("admin", plain(StatusCode::NOT_FOUND, "not found")),
            }
        };
        finish(&mut response);
        self.engine.metrics.request(
            route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
        response
    }

    async fn metrics_text(&self) -> Response<Body> {
        let (bytes, entries) = self.engine.cache_size().await;
        let metrics = &self.engine.metrics;
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        metrics.cache_bytes.set(gauge(bytes));
        metrics.cache_entries.set(gauge(entries));
        if let Some(m) = crate::memory::read() {
            metrics.memory_allocated.set(gauge(m.allocated));
            metrics.memory_active.set(gauge(m.active));
            metrics.memory_resident.set(gauge(m.resident));
        }
        let mut r = Response::new(crate::body::full(metrics.render()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        );
        r
    }

    async fn ready(&self) -> Response<Body> {
        if !self.accepting.load(Ordering::SeqCst) {
            return plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
        }
        match self.store.check().await {
            Ok(()) => plain(StatusCode::OK, "ready"),
            Err(e) => {
                tracing::warn!(error = %e, "readiness check failed");
                plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("storage unreachable: {e}"),
                )
            }
        }
    }
}

/// Opens the configured store. Nothing is contacted yet for S3: see
/// [`Store::check`].
pub(crate) async fn open_store(storage: &StorageConfig) -> Result<Arc<dyn Store>, StartError> {
    match storage.kind.as_str() {
        "fs" => Ok(Arc::new(FsStore::new(&storage.root).map_err(|e| {
            StartError::Storage(format!(
                "cannot open folder {}: {e}",
                storage.root.display()
            ))
        })?)),
        "s3" => open_s3(storage).await,
        other => Err(StartError::Storage(format!(
            "storage kind `{other}` is not available"
        ))),
    }
}

#[cfg(feature = "s3")]
async fn open_s3(storage: &StorageConfig) -> Result<Arc<dyn Store>, StartError> {
    let store = signet_storage::S3Store::new(storage.s3_settings())
        .await
        .map_err(|e| StartError::Storage(e.to_string()))?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "s3"))]
async fn open_s3(storage: &StorageConfig) -> Result<Arc<dyn Store>, StartError> {
    Err(StartError::Storage(format!(
        "storage kind `s3` (bucket `{}`) is not in this build: it was built without \
         the `s3` feature",
        storage.s3_settings().bucket
    )))
}

/// Headers every response carries.
fn finish(response: &mut Response<Body>) {
    response.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if !response.headers().contains_key(header::CONTENT_TYPE)
        && response.status() != StatusCode::NOT_MODIFIED
    {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
