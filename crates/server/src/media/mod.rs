//! The media listener: one request's way from URL to response. The path is
//! normalized (`path`), the query split into token and options (`query`),
//! the token checked (`gate`) before anything else, the options layered
//! with the profiles (`layers`), and the file served as stored
//! (`originals`) or transformed through the variant cache (`engine`, with
//! `source` reading objects whole and `weight` costing cache entries).

pub(crate) mod accept;
pub(crate) mod engine;
mod gate;
mod hls;
mod layers;
pub(crate) mod mp4;
mod originals;
mod path;
pub(crate) mod poster;
pub(crate) mod profiles;
pub(crate) mod query;
pub(crate) mod results;
pub(crate) mod source;
mod weight;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use http::{header, HeaderValue, Method, Request, Response};
use hyper::body::Incoming;
use signet_auth::{sign_jwt, sign_md5, Grant, KeyKind, Scheme};
use signet_storage::ObjectKey;
use signet_transform::pipeline::{negotiate, Output};
use signet_transform::{
    is_image_key, is_vector_key, layer_name, parse_options, Options, MAX_LAYERS,
};

use crate::admin::metrics::ReasonLabels;
use crate::catalog::is_reserved;
use crate::config::DefaultFormat;
use crate::core::unix_now;
use crate::core::Core;
use crate::http::body::Body;
use crate::http::error::Error;
use crate::http::finish;
use crate::http::serve::Handler;
use crate::media::gate::Gate;
use crate::media::originals::Ask;

/// The media listener's handler.
pub struct Media {
    core: Arc<Core>,
    gate: Gate,
    ignored: HashSet<String>,
    /// Manifests rewritten with token markers, by key and version.
    playlists: moka::future::Cache<String, Arc<hls::Template>>,
}

/// Bytes of rewritten manifests kept (a 2 000-segment playlist is ~150 KB).
const PLAYLIST_CACHE_BYTES: u64 = 64 << 20;

/// What a request's log line and metrics say about it.
struct Outcome {
    auth: &'static str,
    /// `original`, `variant`, or `media` when it failed before either.
    route: &'static str,
}

impl Handler for Media {
    async fn call(&self, req: Request<Incoming>) -> Response<Body> {
        self.handle(req).await
    }
}

impl Media {
    pub fn new(core: Arc<Core>) -> Media {
        let gate = Gate::new(&core.config);
        let ignored = core.config.ignore_params.iter().cloned().collect();
        let playlists = moka::future::Cache::builder()
            .max_capacity(PLAYLIST_CACHE_BYTES)
            .weigher(|_: &String, t: &Arc<hls::Template>| t.weight())
            .build();
        Media {
            core,
            gate,
            ignored,
            playlists,
        }
    }

    /// Whether no path needs a token.
    pub fn is_open(&self) -> bool {
        self.gate.is_open()
    }

    /// Answers one request: metrics, the access log and the headers every
    /// response carries around [`Media::flow`].
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Body> {
        let started = Instant::now();
        let mut outcome = Outcome {
            auth: "public",
            route: "media",
        };
        let metrics = &self.core.metrics;
        let mut response = match self.flow(&req, &mut outcome).await {
            Ok(r) => r,
            Err(error) => {
                if let Some(reason) = error.auth_label() {
                    outcome.auth = reason;
                    metrics
                        .auth_failures
                        .get_or_create(&ReasonLabels { reason })
                        .inc();
                }
                if let Some(reason) = error.storage_failure() {
                    metrics
                        .storage_errors
                        .get_or_create(&ReasonLabels { reason })
                        .inc();
                }
                error.to_plain()
            }
        };
        finish(&mut response);
        let seconds = started.elapsed().as_secs_f64();
        metrics.request(outcome.route, response.status().as_u16(), seconds);
        // The path is logged without its query: tokens live there. A variant
        // is described by what was served (size and format), not by its options.
        let variant = response
            .extensions()
            .get::<engine::Served>()
            .map(|s| format!("{}x{} {}", s.width, s.height, s.format.name()));
        tracing::info!(
            target: "signet::access",
            method = %req.method(),
            path = %query::logged_path(req.uri().path()),
            status = response.status().as_u16(),
            ms = format!("{:.1}", seconds * 1e3),
            auth = outcome.auth,
            variant = variant.as_deref(),
        );
        response
    }

    /// SPEC §2, in order: path, token, options, then storage and pixels.
    async fn flow<B>(
        &self,
        req: &Request<B>,
        outcome: &mut Outcome,
    ) -> Result<Response<Body>, Error> {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => return Err(Error::MethodNotAllowed { allow: "GET, HEAD" }),
        };
        let core = self.core.as_ref();
        // `/_jwt/<token>/<path>` (opt-in): the token is the query's `jwt`.
        let (path_token, raw_path) = match query::split_path_token(req.uri().path()) {
            Some((token, rest)) if core.config.path_tokens => (Some(token), rest),
            _ => (None, req.uri().path()),
        };
        let path = path::normalize(raw_path).map_err(|why| Error::BadRequest(why.to_owned()))?;
        let pairs = query::parse(req.uri().query().unwrap_or("")).map_err(Error::BadRequest)?;
        let (mut creds, pairs) = query::split_credentials(pairs)
            .map_err(|_| Error::Auth(signet_auth::Failure::InvalidPayload))?;
        if let Some(token) = path_token {
            if creds.jwt.is_some() || creds.exp.is_some() || creds.sig.is_some() {
                return Err(Error::BadRequest(
                    "a token in the path and another in the query".to_owned(),
                ));
            }
            creds.jwt = Some(token.to_owned());
        }

        // The gate runs before anything reads options, cache or storage.
        let now = unix_now();
        let access = self
            .gate
            .check(&core.ring, &path, &creds, now)
            .map_err(Error::Auth)?;
        if let Some(grant) = &access.grant {
            outcome.auth = grant.scheme.as_str();
        }

        // Sirv's `?info`: the file described as JSON instead of served.
        let info = pairs
            .iter()
            .any(|(name, value)| name == "info" && value.is_empty());
        let query_options = pairs
            .iter()
            .filter(|(name, _)| !self.ignored.contains(name))
            .filter(|(name, value)| !(info && name == "info" && value.is_empty()));
        let options = parse_options(query_options.map(|(n, v)| (n.as_str(), v.as_str())))
            .map_err(|errs| Error::BadOptions(errs.iter().map(ToString::to_string).collect()))?;
        let secure = access
            .grant
            .as_ref()
            .map(|g| g.args.as_slice())
            .unwrap_or_default();
        let secure = parse_options(secure.iter().map(|(n, v)| (n.as_str(), v.as_str()))).map_err(
            |errs| {
                Error::BadOptions(
                    errs.iter()
                        .map(|e| format!("{e} (in the token's args)"))
                        .collect(),
                )
            },
        )?;

        if path == "/" {
            return Err(Error::NotFound);
        }
        let key = ObjectKey::from_path(&path)?;
        if is_reserved(key.as_str()) {
            return Err(Error::NotFound);
        }
        let image = is_image_key(key.as_str());
        let video = poster::is_video_key(key.as_str());
        let jwt = access
            .grant
            .as_ref()
            .is_some_and(|g| g.scheme == Scheme::Jwt);
        let store = core.store.as_ref();

        let strict = access.rule.map(|r| r.profile.as_str());
        // A video's poster is an image: it gets the default and strict
        // profiles as images do.
        let asks_poster = |o: &Options| o.get("poster").is_some();
        let mut layered = layers::Request {
            query: &options,
            secure: &secure,
            strict,
            image: image || (video && (asks_poster(&options) || asks_poster(&secure))),
            jwt,
        };
        let mut effective = layers::effective(core, &layered).await?;
        if video && !layered.image && asks_poster(&effective) {
            // `poster` came from a named profile.
            layered.image = true;
            effective = layers::effective(core, &layered).await?;
        }
        if let Some(at) = effective.get("poster").filter(|_| !video) {
            return Err(Error::BadRequest(format!(
                "poster={at}: applies only to videos ({})",
                poster::VIDEO_EXTENSIONS.join(", ")
            )));
        }

        if info {
            outcome.route = "info";
            return describe(core, &key, &effective).await;
        }
        let effective = fill_text(core, &key, effective).await?;
        let effective = crop_to_poi(core, &key, effective).await?;
        let ask = Ask {
            head,
            headers: req.headers(),
            cache_control: cache_control(core, access.grant.as_ref(), now),
        };
        if let Some(grant) = access.grant.as_ref() {
            // A token in the path is inherited by the manifest's relative
            // URIs: the manifest is served as stored.
            let rewrite = effective.is_empty() && path_token.is_none();
            if let Some(kind) = hls::Manifest::of(key.as_str()).filter(|_| rewrite) {
                // A token opened the manifest: every file it names gets one.
                outcome.route = "playlist";
                return self
                    .signed_playlist(kind, &key, &path, grant, ask, now)
                    .await;
            }
        }
        let default_optimal = core.config.default_format == DefaultFormat::Optimal;
        if video && asks_poster(&effective) {
            outcome.route = "variant";
            let negotiated = negotiate(&effective, accept::of(req.headers()), default_optimal);
            return core
                .engine
                .serve(store, &key, &effective, negotiated, ask)
                .await;
        }
        if !image {
            if !effective.is_empty() {
                // Existence first, so a typo'd name gives 404.
                store.stat(&key).await?;
                let first = effective.iter().next();
                let shown = first.map(|(n, v)| format!("{n}={v}")).unwrap_or_default();
                let hint = if video {
                    " (and to a video's poster: add poster=SECONDS or poster=auto)"
                } else {
                    ""
                };
                return Err(Error::BadRequest(format!(
                    "{shown}: options apply only to images{hint}"
                )));
            }
            outcome.route = "original";
            return originals::serve(store, &key, ask).await;
        }
        if effective.is_empty() && (!default_optimal || is_vector_key(key.as_str())) {
            outcome.route = "original";
            let mut response = originals::serve(store, &key, ask).await?;
            if head && response.status() == http::StatusCode::OK {
                // Sirv answers a HEAD with the image's size (one probe of its
                // first bytes per version, cached).
                let object = core.engine.source_meta(store, &key).await?;
                if let Some(i) = core.engine.head_info(store, &key, &object).await {
                    engine::dimension_headers(response.headers_mut(), i.width, i.height);
                }
            }
            return Ok(response);
        }
        outcome.route = "variant";
        let negotiated = negotiate(&effective, accept::of(req.headers()), default_optimal);
        core.engine
            .serve(store, &key, &effective, negotiated, ask)
            .await
    }
}

/// `?info`: what signet knows of the file, as JSON — its size and type, an
/// image's or video's dimensions (and duration), its metadata and the
/// options that would apply (docs/url-api.md). After the gate, as any
/// request; nothing is decoded.
async fn describe(
    core: &Core,
    key: &ObjectKey,
    effective: &Options,
) -> Result<Response<Body>, Error> {
    let object = core.store().stat(key).await?;
    let mut out = serde_json::json!({
        "filename": format!("/{}", key.as_str()),
        "size": object.size,
        "contentType": signet_storage::guess_content_type(key.as_str()),
    });
    if let Some(head) = core.engine.head_info(core.store(), key, &object).await {
        out["width"] = head.width.into();
        out["height"] = head.height.into();
        if let Some(d) = head.duration {
            out["duration"] = d.into();
        }
        if let Some(image) = &head.image {
            if let Some(format) = image.format {
                out["format"] = format.name().into();
            }
            out["orientation"] = image.orientation.into();
            if let Some(frames) = image.frames {
                out["frames"] = frames.into();
            }
            if let Some(space) = image.color_space {
                out["colorSpace"] = space.into();
            }
            out["icc"] = image.icc.into();
            out["xmp"] = image.xmp.into();
            if !image.exif.is_empty() {
                out["exif"] = serde_json::json!(image.exif);
            }
            if !image.iptc.is_empty() {
                out["iptc"] = serde_json::json!(image.iptc);
            }
        }
    }
    let m = core.catalog.meta(core.store(), key).await?;
    if !m.is_empty() {
        let mut shown = m.to_json();
        if let Some(o) = shown.as_object_mut() {
            o.remove("approval"); // an internal workflow flag, not for viewers
        }
        out["meta"] = shown;
    }
    let options: serde_json::Map<String, serde_json::Value> = effective
        .iter()
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect();
    out["options"] = options.into();
    Ok(crate::http::body::json(&out))
}

/// `crop.type=poi`: a crop around the file's points of interest (set
/// through `/v2/files/poi`), as a `crop.area` cut before sizing — the box
/// that holds every POI, grown on each side by `crop.pad.width`/`.height`
/// (% of the box, or px of the image); a lone point gets the half-size box
/// centred on it (clamped to the image). Crop options given in the URL
/// win; a file without POIs is not cropped (Sirv's fallback: the whole
/// image).
async fn crop_to_poi(core: &Core, key: &ObjectKey, effective: Options) -> Result<Options, Error> {
    if effective.get("crop.type") != Some("poi") {
        return Ok(effective);
    }
    let m = core.catalog.meta(core.store(), key).await?;
    let mut pairs: Vec<(String, String)> = effective
        .iter()
        .filter(|(name, _)| !["crop.type", "crop.pad.width", "crop.pad.height"].contains(name))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let explicit = ["cx", "cy", "cw", "ch", "crop.area"]
        .iter()
        .any(|n| effective.get(n).is_some());
    if !m.poi.is_empty() && !explicit {
        let (mut x0, mut y0, mut x1, mut y1) = (1.0f64, 1.0f64, 0.0f64, 0.0f64);
        for p in m.poi.values() {
            x0 = x0.min(p.x - p.width / 2.0);
            x1 = x1.max(p.x + p.width / 2.0);
            y0 = y0.min(p.y - p.height / 2.0);
            y1 = y1.max(p.y + p.height / 2.0);
        }
        let grow = |lo: f64, hi: f64| -> (f64, f64) {
            if hi - lo >= 0.01 {
                return (lo.max(0.0), hi.min(1.0));
            }
            let centre = (lo + hi) / 2.0;
            let lo = (centre - 0.25).clamp(0.0, 0.5);
            (lo, lo + 0.5)
        };
        let ((x0, x1), (y0, y1)) = (grow(x0, x1), grow(y0, y1));
        let (pad_w, pad_h) = poi_padding(core, key, &effective, x1 - x0, y1 - y0).await?;
        let (x0, x1) = ((x0 - pad_w).max(0.0), (x1 + pad_w).min(1.0));
        let (y0, y1) = ((y0 - pad_h).max(0.0), (y1 + pad_h).min(1.0));
        let f = |v: f64| format!("{:.4}", v.clamp(0.0, 1.0));
        let area = [x0, y0, (x1 - x0).max(0.0001), (y1 - y0).max(0.0001)]
            .map(f)
            .join(",");
        pairs.push(("crop.area".to_owned(), area));
    }
    parse_options(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))).map_err(|errs| {
        Error::BadOptions(
            errs.iter()
                .map(|e| format!("{e} (the crop around the file's points of interest)"))
                .collect(),
        )
    })
}

/// `crop.pad.width`/`.height` as fractions of the image: a percentage is of
/// the POI box (`box_w`, `box_h`, fractions), pixels are of the image (its
/// size read from its header; unknown, they count as 0).
async fn poi_padding(
    core: &Core,
    key: &ObjectKey,
    effective: &Options,
    box_w: f64,
    box_h: f64,
) -> Result<(f64, f64), Error> {
    let (w, h) = (
        effective.get("crop.pad.width"),
        effective.get("crop.pad.height"),
    );
    let px = [w, h].iter().flatten().any(|v| !v.ends_with('%'));
    let size = if px {
        let meta = core.engine.source_meta(core.store(), key).await?;
        core.engine
            .head_info(core.store(), key, &meta)
            .await
            .map(|i| (f64::from(i.width), f64::from(i.height)))
    } else {
        None
    };
    let pad = |v: Option<&str>, of_box: f64, of_image: Option<f64>| match v {
        Some(pc) if pc.ends_with('%') => {
            of_box * pc.trim_end_matches('%').parse::<f64>().unwrap_or(0.0) / 100.0
        }
        Some(n) => match of_image {
            Some(side) if side > 0.0 => n.parse::<f64>().unwrap_or(0.0) / side,
            _ => 0.0,
        },
        None => 0.0,
    };
    Ok((
        pad(w, box_w, size.map(|s| s.0)),
        pad(h, box_h, size.map(|s| s.1)),
    ))
}

/// `text` with each `${name}` that `value` knows replaced by its value
/// (others are left as written); one pass, so a value is never read as a
/// variable itself.
fn fill_variables(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find('}')
            .and_then(|end| Some((end, value(&after[..end])?)))
        {
            Some((end, filled)) => {
                out.push_str(&filled);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Sirv's metadata variables in a text layer, filled from the file's
/// metadata (docs/url-api.md): `${title}`, `${description}`, `${tags}`
/// (comma-separated), and from the source's own `${EXIF.Model}`,
/// `${IPTC.By-line}`…; a field not set is empty. The filled set is validated
/// again, so the text's limits hold for what was filled in, and it is what
/// the variant is cached under: new metadata, new variant.
async fn fill_text(core: &Core, key: &ObjectKey, effective: Options) -> Result<Options, Error> {
    let layers: Vec<_> = (0..MAX_LAYERS)
        .map(|k| layer_name("text", k))
        .filter(|name| effective.get(name).is_some_and(|t| t.contains("${")))
        .collect();
    if layers.is_empty() {
        return Ok(effective);
    }
    let texts: Vec<&str> = layers.iter().filter_map(|l| effective.get(l)).collect();
    let m = core.catalog.meta(core.store(), key).await?;
    // The source's EXIF and IPTC only when a text names them (one probe
    // of its first bytes per version, cached).
    let image = match texts
        .iter()
        .any(|t| t.contains("${EXIF.") || t.contains("${IPTC."))
    {
        true => {
            let object = core.engine.source_meta(core.store(), key).await?;
            core.engine
                .head_info(core.store(), key, &object)
                .await
                .and_then(|h| h.image)
        }
        false => None,
    };
    let fill = |text: &str| {
        fill_variables(text, |name| match name {
            "title" => Some(m.title.clone().unwrap_or_default()),
            "description" => Some(m.description.clone().unwrap_or_default()),
            "tags" => Some(m.tags.join(", ")),
            _ => {
                let (group, field) = name.split_once('.')?;
                let fields = match group {
                    "EXIF" => image.as_ref().map(|i| &i.exif),
                    "IPTC" => image.as_ref().map(|i| &i.iptc),
                    _ => return None,
                };
                Some(
                    fields
                        .and_then(|f| f.get(field))
                        .cloned()
                        .unwrap_or_default(),
                )
            }
        })
    };
    let filled: Vec<(&str, String)> = effective
        .iter()
        .map(|(name, value)| match layers.iter().any(|l| l == name) {
            true => (name, fill(value)),
            false => (name, value.to_owned()),
        })
        // Nothing to draw when every variable was empty.
        .filter(|(name, value)| !(layers.iter().any(|l| l == name) && value.trim().is_empty()))
        .collect();
    parse_options(filled.iter().map(|(n, v)| (*n, v.as_str()))).map_err(|errs| {
        Error::BadOptions(
            errs.iter()
                .map(|e| format!("{e} (after filling in the file's metadata)"))
                .collect(),
        )
    })
}

impl Media {
    /// The playlist or manifest at `key` with every URI it names signed for
    /// its own file (a DASH template: for its folder, which only a JWT's
    /// audience can name), by the scheme and key of `grant`, expiring with
    /// it.
    async fn signed_playlist(
        &self,
        manifest: hls::Manifest,
        key: &ObjectKey,
        path: &str,
        grant: &Grant,
        ask: Ask<'_>,
        now: i64,
    ) -> Result<Response<Body>, Error> {
        let core = self.core.as_ref();
        let store = core.store.as_ref();
        // Parsed once per version of the file; each request only signs.
        let meta = core.engine.source_meta(store, key).await?;
        let parse = async {
            let bytes = source::read_all(store, key, hls::MAX_PLAYLIST_BYTES, &core.metrics)
                .await
                .map_err(|e| match e {
                    Error::SourceTooBig { limit, .. } => {
                        Error::BadPlaylist(format!("playlists are limited to {limit} bytes"))
                    }
                    other => other,
                })?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| Error::BadPlaylist("the playlist is not UTF-8".to_owned()))?;
            hls::Template::parse(manifest, text, path)
                .map(Arc::new)
                .map_err(Error::BadPlaylist)
        };
        let template = self
            .playlists
            .try_get_with(format!("{}\n{}", key.as_str(), meta.etag), parse)
            .await
            .map_err(Error::Shared)?;
        let kind = match grant.scheme {
            Scheme::Jwt => KeyKind::Jwt,
            Scheme::Md5 => KeyKind::Md5,
        };
        let signer = core
            .ring
            .signing_key(kind, Some(&grant.key_id))
            .map_err(|e| {
                tracing::error!(error = %e, "the key that verified a token cannot sign");
                Error::Internal
            })?;
        let expires_at = grant.expires_at;
        let mut token = |file: &str| -> Result<String, String> {
            if grant.scheme == Scheme::Md5 && file.ends_with('/') {
                return Err(
                    "a SegmentTemplate names many files: open this manifest with a \
                     JWT (an MD5 signature opens one file)"
                        .to_owned(),
                );
            }
            match grant.scheme {
                Scheme::Md5 => sign_md5(signer, file, expires_at)
                    .map(|sig| format!("exp={expires_at}&sig={sig}")),
                Scheme::Jwt => {
                    let left = u64::try_from(expires_at.saturating_sub(now))
                        .unwrap_or(0)
                        .max(1);
                    sign_jwt(signer, &[file.to_owned()], now, left, &Default::default())
                        .map(|jwt| format!("jwt={jwt}"))
                }
            }
            .map_err(|e| e.to_string())
        };
        let body = template.render(&mut token).map_err(Error::BadPlaylist)?;
        let mut r = Response::new(if ask.head {
            crate::http::body::empty()
        } else {
            crate::http::body::full(body.clone())
        });
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(manifest.content_type()),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if let Ok(v) = HeaderValue::from_str(&ask.cache_control) {
            h.insert(header::CACHE_CONTROL, v);
        }
        Ok(r)
    }
}

/// `public, max-age=…`, capped at the token's remaining lifetime.
fn cache_control(core: &Core, grant: Option<&Grant>, now: i64) -> String {
    let mut max_age = core.config.cache.max_age.as_secs();
    if let Some(g) = grant {
        let left = u64::try_from(g.expires_at.saturating_sub(now)).unwrap_or(0);
        max_age = max_age.min(left);
    }
    format!("public, max-age={max_age}")
}

/// Runs the pipeline on a local file's bytes as a request would (`signet
/// transform`): the default profile, a named profile and watermarks come
/// from storage; `params` are the query options; `accept` is the `Accept`
/// value to negotiate `format=optimal` against.
pub(crate) async fn transform_local(
    core: &Core,
    source: Vec<u8>,
    params: &[(String, String)],
    accept: Option<&str>,
) -> Result<Output, Error> {
    let options = parse_options(params.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(|errs| Error::BadOptions(errs.iter().map(ToString::to_string).collect()))?;
    let none = Options::default();
    let layered = layers::Request {
        query: &options,
        secure: &none,
        strict: None,
        image: true,
        jwt: false,
    };
    let effective = layers::effective(core, &layered).await?;
    let default_optimal = core.config.default_format == DefaultFormat::Optimal;
    let negotiated = negotiate(&effective, accept::parse(accept), default_optimal);
    core.engine
        .transform_bytes(core.store.as_ref(), source, &effective, negotiated)
        .await
}

#[cfg(test)]
mod tests;
