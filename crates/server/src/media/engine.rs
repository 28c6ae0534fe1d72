//! Serving transformed images ("variants"): the variant cache (moka, bounded
//! in bytes, concurrent identical misses coalesced), the short-lived caches
//! of source versions, profiles and watermarks (trusted for
//! `cache.revalidate_after`), and running the pipeline off the async runtime
//! with bounded concurrency, a bounded queue and a timeout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use md5::{Digest, Md5};
use moka::future::Cache;
use signet_storage::{ObjectKey, ObjectMeta, Store};
use signet_transform::pipeline::{self, Encoders, Fonts, Format, Job, Limits, Negotiated};
use signet_transform::plan::{watermark_paths, Plan};
use signet_transform::{Options, TransformError};
use tokio::sync::Semaphore;

use crate::admin::metrics::{bump, Metrics};
use crate::catalog::is_reserved;
use crate::http::body::{empty, full, Body};
use crate::http::conditional::none_match;
use crate::http::error::Error;
use crate::media::originals::{tag_source, Ask};
use crate::media::poster;
use crate::media::profiles;
use crate::media::results::{Results, Variant};
use crate::media::source::{head_info, read_all, HeadInfo};
use crate::media::weight::weight;

/// Largest profile document read from storage.
const MAX_PROFILE_BYTES: u64 = 64 << 10;

/// What bounds transforms, from `[limits]` and `[cache]`.
pub(crate) struct Settings {
    pub(crate) limits: Limits,
    pub(crate) encoders: Encoders,
    /// `fallback_font`, read at start.
    pub(crate) fallback_font: Option<Arc<[u8]>>,
    pub(crate) max_source_bytes: u64,
    pub(crate) timeout: Duration,
    pub(crate) video: poster::Settings,
    pub(crate) concurrency: usize,
    pub(crate) queue: usize,
    pub(crate) cache_bytes: u64,
    pub(crate) revalidate_after: Duration,
}

/// What a variant response carried, for the access log (a response extension).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Served {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) format: Format,
}

/// Sirv's `X-Sirv-Meta-Width` and `X-Sirv-Meta-Height`: the size of the
/// image served (docs/url-api.md).
pub(crate) fn dimension_headers(headers: &mut HeaderMap, width: u32, height: u32) {
    headers.insert("x-sirv-meta-width", HeaderValue::from(width));
    headers.insert("x-sirv-meta-height", HeaderValue::from(height));
}

/// A watermark image as read from storage.
struct Mark {
    etag: String,
    bytes: Bytes,
}

/// The files a transform reads beside its source: its watermark images
/// and its fonts from storage (by family).
type Loaded = (Vec<Arc<Mark>>, Vec<(String, Arc<Mark>)>);

/// A profile as read from storage.
pub(crate) struct Profile {
    pub(crate) options: Options,
}

/// The transform engine: caches, permits and counters.
pub(crate) struct Engine {
    settings: Settings,
    permits: Semaphore,
    queued: AtomicUsize,
    variants: Cache<String, Arc<Variant>>,
    sources: Option<Cache<String, ObjectMeta>>,
    profiles: Option<Cache<String, Arc<Profile>>>,
    marks: Option<Cache<String, Arc<Mark>>>,
    /// Fonts from storage by family (`None`: the family has no file).
    fonts: Option<Cache<String, Option<Arc<Mark>>>>,
    results: Option<Arc<Results>>,
    /// Image and video sizes by `key\netag` (a version's never changes).
    sizes: Cache<String, Option<HeadInfo>>,
    pub(crate) metrics: Arc<Metrics>,
}

impl Engine {
    pub(crate) fn new(settings: Settings, metrics: Arc<Metrics>) -> Engine {
        let evictions = metrics.clone();
        let variants = Cache::builder()
            .max_capacity(settings.cache_bytes)
            .weigher(|k: &String, v: &Arc<Variant>| weight(k, v))
            .support_invalidation_closures()
            .eviction_listener(move |_key, _value, cause| {
                if cause == moka::notification::RemovalCause::Size {
                    evictions.cache_evictions.inc();
                }
            })
            .build();
        let ttl = settings.revalidate_after;
        let short = |capacity: u64| (!ttl.is_zero()).then_some(capacity);
        Engine {
            permits: Semaphore::new(settings.concurrency),
            queued: AtomicUsize::new(0),
            variants,
            sources: short(100_000)
                .map(|n| Cache::builder().max_capacity(n).time_to_live(ttl).build()),
            profiles: short(1_000)
                .map(|n| Cache::builder().max_capacity(n).time_to_live(ttl).build()),
            marks: short(100).map(|n| Cache::builder().max_capacity(n).time_to_live(ttl).build()),
            fonts: short(100).map(|n| Cache::builder().max_capacity(n).time_to_live(ttl).build()),
            results: None,
            sizes: Cache::new(100_000),
            settings,
            metrics,
        }
    }

    /// Shares variants with other replicas through `[results]`.
    pub(crate) fn share_results(&mut self, results: Arc<Results>) {
        self.results = Some(results);
    }

    /// Bytes and entries held by the variant cache (after pending maintenance).
    pub(crate) async fn cache_size(&self) -> (u64, u64) {
        self.variants.run_pending_tasks().await;
        (self.variants.weighted_size(), self.variants.entry_count())
    }

    /// Forgets `key`'s variants and metadata, and every cached profile and
    /// watermark (few and cheap to reload; the written file may be one).
    pub(crate) async fn invalidate(&self, key: &ObjectKey) {
        let prefix = format!("{}\n", key.as_str());
        if let Err(e) = self
            .variants
            .invalidate_entries_if(move |k, _| k.starts_with(&prefix))
        {
            // Only when invalidation closures are off, which they never are.
            tracing::error!(error = %e, "cannot invalidate variants");
        }
        if let Some(c) = &self.sources {
            c.invalidate(key.as_str()).await;
        }
        if let Some(c) = &self.profiles {
            c.invalidate_all();
        }
        if let Some(c) = &self.marks {
            c.invalidate_all();
        }
        if let Some(c) = &self.fonts {
            c.invalidate_all();
        }
    }

    /// Forgets every cached source version, profile and watermark (after
    /// invalidations may have been missed); variants stay, since their keys
    /// hold the source version they were made from.
    pub(crate) fn forget_sources(&self) {
        if let Some(c) = &self.sources {
            c.invalidate_all();
        }
        if let Some(c) = &self.profiles {
            c.invalidate_all();
        }
        if let Some(c) = &self.marks {
            c.invalidate_all();
        }
        if let Some(c) = &self.fonts {
            c.invalidate_all();
        }
    }

    /// The displayed size of the image (or the size and duration of the
    /// video) at `key` in the version `meta` describes, from its first
    /// bytes, cached by version; `None` when signet cannot tell.
    pub(crate) async fn head_info(
        &self,
        store: &dyn Store,
        key: &ObjectKey,
        meta: &ObjectMeta,
    ) -> Option<HeadInfo> {
        let version = format!("{}\n{}", key.as_str(), meta.etag);
        self.sizes
            .get_with(version, head_info(store, key, meta.size, &self.metrics))
            .await
    }

    /// The source's metadata, trusted for `revalidate_after`.
    pub(crate) async fn source_meta(
        &self,
        store: &dyn Store,
        key: &ObjectKey,
    ) -> Result<ObjectMeta, Error> {
        match &self.sources {
            // A plain lookup first: the hit path allocates no key.
            Some(cache) => match cache.get(key.as_str()).await {
                Some(meta) => Ok(meta),
                None => cache
                    .try_get_with(key.as_str().to_owned(), async {
                        store.stat(key).await.map_err(Error::from)
                    })
                    .await
                    .map_err(Error::Shared),
            },
            None => Ok(store.stat(key).await?),
        }
    }

    /// A profile by name, from storage (404 when missing).
    pub(crate) async fn profile(
        &self,
        store: &dyn Store,
        name: &str,
    ) -> Result<Arc<Profile>, Error> {
        let load = async {
            let key = ObjectKey::from_path(&profiles::path(name))?;
            let bytes = read_all(store, &key, MAX_PROFILE_BYTES, &self.metrics)
                .await
                .map_err(|e| match e {
                    Error::SourceTooBig { .. } => Error::BadProfile {
                        name: name.to_owned(),
                        lines: vec![format!("larger than {MAX_PROFILE_BYTES} bytes")],
                    },
                    other => other,
                })?;
            let options = profiles::parse(&bytes).map_err(|lines| Error::BadProfile {
                name: name.to_owned(),
                lines,
            })?;
            Ok(Arc::new(Profile { options }))
        };
        match &self.profiles {
            Some(cache) => cache
                .try_get_with(name.to_owned(), load)
                .await
                .map_err(Error::Shared),
            None => load.await,
        }
    }

    /// Every watermark image the options name, in layer order.
    async fn watermarks(
        &self,
        store: &dyn Store,
        options: &Options,
    ) -> Result<Vec<Arc<Mark>>, Error> {
        let mut marks = Vec::new();
        for path in watermark_paths(options) {
            marks.push(self.watermark(store, path).await?);
        }
        Ok(marks)
    }

    /// The fonts from storage the text layers name (`text.font.family`
    /// that is not a bundled one): for each layer the first file found of
    /// its face's names (`/Fonts/{family}-Bold.ttf`… then
    /// `/Fonts/{family}.ttf`, or `.otf`), by that name; a family without a
    /// file is not listed (drawn in DejaVu Sans).
    async fn user_fonts(
        &self,
        store: &dyn Store,
        options: &Options,
    ) -> Result<Vec<(String, Arc<Mark>)>, Error> {
        let mut fonts: Vec<(String, Arc<Mark>)> = Vec::new();
        for text in Plan::new(options).texts {
            let Some(family) = text.font_family.as_deref() else {
                continue;
            };
            if pipeline::is_bundled_family(family) {
                continue;
            }
            for name in pipeline::font_names(family, text.weight, text.italic) {
                if fonts.iter().any(|(f, _)| *f == name) {
                    break;
                }
                if let Some(font) = self.user_font(store, &name).await? {
                    fonts.push((name, font));
                    break;
                }
            }
        }
        Ok(fonts)
    }

    async fn user_font(&self, store: &dyn Store, family: &str) -> Result<Option<Arc<Mark>>, Error> {
        let load = async {
            for ext in ["ttf", "otf"] {
                let key = ObjectKey::from_path(&format!("/Fonts/{family}.{ext}"))?;
                let meta = match store.stat(&key).await {
                    Ok(meta) => meta,
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(e.into()),
                };
                let bad = |why: String| {
                    Error::Transform(TransformError::BadFont(format!(
                        "/Fonts/{family}.{ext}: {why}"
                    )))
                };
                if meta.size > pipeline::MAX_FONT_BYTES {
                    return Err(bad(format!(
                        "larger than {} MiB",
                        pipeline::MAX_FONT_BYTES >> 20
                    )));
                }
                let bytes = read_all(store, &key, pipeline::MAX_FONT_BYTES, &self.metrics).await?;
                pipeline::check_font(&bytes).map_err(|e| bad(e.to_string()))?;
                return Ok(Some(Arc::new(Mark {
                    etag: meta.etag,
                    bytes: bytes.into(),
                })));
            }
            Ok(None)
        };
        match &self.fonts {
            Some(cache) => cache
                .try_get_with(family.to_owned(), load)
                .await
                .map_err(Error::Shared),
            None => load.await,
        }
    }

    async fn watermark(&self, store: &dyn Store, path: &str) -> Result<Arc<Mark>, Error> {
        let load = async {
            let key = ObjectKey::from_path(path)?;
            if is_reserved(key.as_str()) {
                return Err(Error::NotFound);
            }
            let meta = store.stat(&key).await?;
            let bytes =
                read_all(store, &key, self.settings.max_source_bytes, &self.metrics).await?;
            Ok(Arc::new(Mark {
                etag: meta.etag,
                bytes: bytes.into(),
            }))
        };
        match &self.marks {
            Some(cache) => cache
                .try_get_with(path.to_owned(), load)
                .await
                .map_err(Error::Shared),
            None => load.await,
        }
    }

    /// Runs the pipeline on bytes that are not in storage (`signet transform`),
    /// with the watermark read from storage like the server does.
    pub(crate) async fn transform_bytes(
        &self,
        store: &dyn Store,
        source: Vec<u8>,
        options: &Options,
        negotiated: Negotiated,
    ) -> Result<pipeline::Output, Error> {
        let marks = self.watermarks(store, options).await?;
        let bytes: Vec<&[u8]> = marks.iter().map(|m| &m.bytes[..]).collect();
        let fonts = self.user_fonts(store, options).await?;
        let user: Vec<(&str, &[u8])> = fonts
            .iter()
            .map(|(f, m)| (f.as_str(), &m.bytes[..]))
            .collect();
        let job = Job {
            options,
            target: negotiated.target,
            watermarks: &bytes,
            fonts: Fonts {
                user: &user,
                fallback: self.settings.fallback_font.as_deref(),
            },
            encoders: self.settings.encoders,
            deadline: Some(std::time::Instant::now() + self.settings.timeout),
        };
        pipeline::process(&source, &job, &self.settings.limits).map_err(Error::from)
    }

    /// Serves `key` transformed by `options` into the negotiated format.
    pub(crate) async fn serve(
        &self,
        store: &dyn Store,
        key: &ObjectKey,
        options: &Options,
        negotiated: Negotiated,
        ask: Ask<'_>,
    ) -> Result<Response<Body>, Error> {
        let meta = self.source_meta(store, key).await?;
        // A poster streams the video through ffmpeg: its own, larger cap.
        let limit = match options.get("poster") {
            Some(_) => self.settings.video.max_bytes,
            None => self.settings.max_source_bytes,
        };
        if meta.size > limit {
            return Err(Error::SourceTooBig {
                size: meta.size,
                limit,
            });
        }
        let marks = self.watermarks(store, options).await?;
        let fonts = self.user_fonts(store, options).await?;
        let mark_versions: Vec<&str> = marks
            .iter()
            .chain(fonts.iter().map(|(_, f)| f))
            .map(|m| m.etag.as_str())
            .collect();
        // SPEC §7: storage key, source version, effective options, output
        // format, watermark versions. Never the token.
        let cache_key = [
            key.as_str(),
            &meta.etag,
            &options.canonical_string(),
            negotiated.target.key(),
            &mark_versions.join(","),
        ]
        .join("\n");
        let etag = etag_of(&cache_key);

        let mut headers = HeaderMap::new();
        set(&mut headers, header::ETAG, &etag);
        set(&mut headers, header::CACHE_CONTROL, &ask.cache_control);
        tag_source(&mut headers, key);
        set(
            &mut headers,
            header::LAST_MODIFIED,
            &httpdate::fmt_http_date(meta.modified),
        );
        if negotiated.vary_accept {
            set(&mut headers, header::VARY, "Accept");
        }
        if none_match(ask.headers, &etag) {
            return Ok(respond(StatusCode::NOT_MODIFIED, headers, empty()));
        }

        let variant = match self.variants.get(&cache_key).await {
            Some(v) => {
                bump(&self.metrics.cache_hits);
                v
            }
            None => {
                bump(&self.metrics.cache_misses);
                let job = self.shared_or_made(
                    store,
                    key,
                    options,
                    negotiated,
                    (marks, fonts),
                    &cache_key,
                );
                self.variants
                    .try_get_with(cache_key.clone(), job)
                    .await
                    .map_err(Error::Shared)?
            }
        };
        set(&mut headers, header::CONTENT_TYPE, variant.format.mime());
        set(
            &mut headers,
            header::CONTENT_LENGTH,
            &variant.bytes.len().to_string(),
        );
        let body = if ask.head {
            empty()
        } else {
            full(variant.bytes.clone())
        };
        dimension_headers(&mut headers, variant.width, variant.height);
        let mut response = respond(StatusCode::OK, headers, body);
        response.extensions_mut().insert(Served {
            width: variant.width,
            height: variant.height,
            format: variant.format,
        });
        Ok(response)
    }

    /// A memory miss: the variant from the shared result tier when it has
    /// it, else made here and then shared. Once per distinct miss, however
    /// many requests wait for it.
    async fn shared_or_made(
        &self,
        store: &dyn Store,
        key: &ObjectKey,
        options: &Options,
        negotiated: Negotiated,
        loaded: Loaded,
        cache_key: &str,
    ) -> Result<Arc<Variant>, Error> {
        let Some(tier) = &self.results else {
            return self.make(store, key, options, negotiated, loaded).await;
        };
        if let Some(shared) = tier.get(cache_key).await {
            return Ok(Arc::new(shared));
        }
        let made = self.make(store, key, options, negotiated, loaded).await?;
        tier.put(cache_key, &made);
        Ok(made)
    }

    /// Reads the source and runs the pipeline.
    async fn make(
        &self,
        store: &dyn Store,
        key: &ObjectKey,
        options: &Options,
        negotiated: Negotiated,
        loaded: Loaded,
    ) -> Result<Arc<Variant>, Error> {
        // Past the queue bound, refuse at once rather than pile up.
        if self.queued.fetch_add(1, Ordering::SeqCst)
            >= self.settings.queue + self.settings.concurrency
        {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            bump(&self.metrics.overloaded);
            return Err(Error::Overloaded);
        }
        // Given back on drop: also when the client hangs up and this future
        // is dropped mid-await.
        let _slot = Slot(&self.queued);
        let result: Result<Arc<Variant>, Error> = async {
            let permit = || async { self.permits.acquire().await.map_err(|_| Error::Overloaded) };
            let mut options = options.clone();
            // A poster's frame comes from ffmpeg, which takes a slot too; the
            // pipeline then treats it as any still.
            let (source, _permit) = match options.remove("poster").as_deref().map(poster::At::parse)
            {
                None => {
                    let source =
                        read_all(store, key, self.settings.max_source_bytes, &self.metrics).await?;
                    (source, permit().await?)
                }
                Some(Some(at)) => {
                    let taken = permit().await?;
                    let frame =
                        poster::extract(store, key, at, &self.settings.video, &self.metrics)
                            .await?;
                    (frame, taken)
                }
                Some(None) => {
                    tracing::error!("a validated poster value did not parse");
                    return Err(Error::Internal);
                }
            };
            bump(&self.metrics.transforms);
            let limits = self.settings.limits;
            let encoders = self.settings.encoders;
            let metrics = self.metrics.clone();
            let fallback = self.settings.fallback_font.clone();
            // The task keeps running when the wait below gives up; an
            // animation checks this between frames and stops.
            let deadline = std::time::Instant::now() + self.settings.timeout;
            let work = tokio::task::spawn_blocking(move || {
                let (marks, fonts) = &loaded;
                let bytes: Vec<&[u8]> = marks.iter().map(|m| &m.bytes[..]).collect();
                let user: Vec<(&str, &[u8])> = fonts
                    .iter()
                    .map(|(f, m)| (f.as_str(), &m.bytes[..]))
                    .collect();
                let job = Job {
                    options: &options,
                    target: negotiated.target,
                    watermarks: &bytes,
                    fonts: Fonts {
                        user: &user,
                        fallback: fallback.as_deref(),
                    },
                    encoders,
                    deadline: Some(deadline),
                };
                let started = std::time::Instant::now();
                let result = pipeline::process(&source, &job, &limits);
                metrics
                    .transform_seconds
                    .observe(started.elapsed().as_secs_f64());
                result
            });
            let output = match tokio::time::timeout(self.settings.timeout, work).await {
                Err(_) => return Err(Error::TransformTimeout),
                Ok(Err(join)) => {
                    tracing::error!(error = %join, "transform task failed");
                    return Err(Error::Internal);
                }
                Ok(Ok(result)) => result.map_err(Error::from)?,
            };
            Ok(Arc::new(Variant {
                bytes: output.bytes.into(),
                format: output.format,
                width: output.width,
                height: output.height,
            }))
        }
        .await;
        if result.is_err() {
            bump(&self.metrics.transform_failures);
        }
        result
    }
}

/// One taken place in the transform queue, given back when dropped.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A strong ETag from a variant's cache key.
fn etag_of(cache_key: &str) -> String {
    let digest = Md5::digest(cache_key.as_bytes());
    let mut hexed = [0u8; 24];
    // 12 bytes always fit 24 hex digits.
    let _ = hex::encode_to_slice(&digest[..12], &mut hexed);
    let mut etag = String::with_capacity(28);
    etag.push_str("\"v-");
    etag.extend(hexed.iter().map(|&b| char::from(b)));
    etag.push('"');
    etag
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

fn respond(status: StatusCode, headers: HeaderMap, body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}

#[cfg(test)]
mod tests {
    use md5::{Digest, Md5};

    use super::etag_of;

    #[test]
    fn etags_are_the_quoted_hex_of_the_keys_digest() {
        let digest = Md5::digest(b"photo.jpg\nv1");
        let want = format!("\"v-{}\"", hex::encode(&digest[..12]));
        assert_eq!(etag_of("photo.jpg\nv1"), want);
        assert_eq!(want.len(), 28);
    }
}
