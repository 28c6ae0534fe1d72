//! The REST API on the admin listener, in Sirv's v2 shapes (SPEC §10), so
//! Sirv's own SDKs work against signet: bearer tokens from `/v2/token`, file
//! operations on the store, and signed URLs.
//!
//! Every error is JSON `{"statusCode", "error", "message"}`. Writes
//! invalidate the written files' cached variants at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, BodyStream, Limited};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use signet_storage::{ByteStream, Entry, FolderKey, ObjectKey, StorageError};
use subtle::ConstantTimeEq;

use crate::app::{unix_now, App};
use crate::body::{full, stream, Body};
use crate::config::ApiConfig;
use crate::query;
use crate::srcset::{self, Widths};
use crate::urls::{Lifetime, Signer};

/// Audience of API bearer tokens: they are never media tokens.
const TOKEN_AUDIENCE: &str = "signet-api";
/// Bearer token lifetimes, as Sirv's: 20 minutes unless asked, 5 s to 7 days.
const DEFAULT_TOKEN_SECS: u64 = 1200;
const TOKEN_SECS: std::ops::RangeInclusive<u64> = 5..=604_800;
/// JSON request bodies larger than this are refused.
const MAX_JSON_BYTES: usize = 64 * 1024;
/// Entries per `readdir` page.
const PAGE: usize = 100;
/// Lifetime of `/v2/files/jwt` URLs when the request names none.
const DEFAULT_URL_SECS: u64 = 3600;
/// What a bearer token allows (Sirv's scope names).
const SCOPES: [&str; 2] = ["files:read", "files:write"];

/// The API's credentials and token keys; `None` in `App` when disabled.
pub(crate) struct Api {
    client_id: String,
    /// MD5 of the client secret: compared in constant time, at a fixed length.
    secret_digest: [u8; 16],
    encoding: EncodingKey,
    decoding: DecodingKey,
    max_upload_bytes: u64,
}

impl Api {
    /// The API for this config, or `None` when `client_secret` is empty.
    pub(crate) fn new(config: &ApiConfig) -> Option<Api> {
        if config.client_secret.is_empty() {
            return None;
        }
        let secret: Vec<u8> = if config.token_secret.is_empty() {
            // Random per process: tokens die with it (fine for one instance;
            // replicas behind a balancer share `token_secret`).
            let mut bytes = vec![0u8; 32];
            getrandom::fill(&mut bytes).ok()?;
            bytes
        } else {
            config.token_secret.as_bytes().to_vec()
        };
        Some(Api {
            client_id: config.client_id.clone(),
            secret_digest: Md5::digest(config.client_secret.as_bytes()).into(),
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            max_upload_bytes: config.max_upload_bytes,
        })
    }
}

/// A JSON error, as Sirv's API answers.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn unauthorized(message: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    fn response(&self) -> Response<Body> {
        let body = json!({
            "statusCode": self.status.as_u16(),
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
        });
        let mut r = json_response(&body);
        *r.status_mut() = self.status;
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"signet\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        r
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        match e {
            StorageError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "file not found"),
            StorageError::InvalidKey(why) => ApiError::bad(format!("invalid file name: {why}")),
            StorageError::AlreadyExists => ApiError::new(StatusCode::CONFLICT, "already exists"),
            StorageError::Unavailable(cause) => {
                tracing::warn!(%cause, "storage unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
            }
            StorageError::Timeout => {
                ApiError::new(StatusCode::GATEWAY_TIMEOUT, "storage timed out")
            }
            StorageError::Io(cause) => {
                tracing::error!(%cause, "storage I/O error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

type ApiResult = Result<Response<Body>, ApiError>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body the admin listener accepts: hyper's, or any other in tests.
pub trait RequestBody:
    hyper::body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static
{
}

impl<T> RequestBody for T where
    T: hyper::body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static
{
}

fn json_response(value: &Value) -> Response<Body> {
    let mut r = Response::new(full(value.to_string()));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An empty 200, as Sirv answers writes.
fn done() -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Handles a request under `/v2/`.
pub(crate) async fn handle<B>(app: &App, req: Request<B>) -> Response<Body>
where
    B: RequestBody,
{
    let result = match app.api() {
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "the REST API is disabled: set api.client_id and api.client_secret",
        )),
        Some(api) => route(app, api, req).await,
    };
    result.unwrap_or_else(|e| e.response())
}

async fn route<B>(app: &App, api: &Api, req: Request<B>) -> ApiResult
where
    B: RequestBody,
{
    let path = req.uri().path().to_owned();
    let known_get = ["/v2/files/stat", "/v2/files/readdir", "/v2/files/download"];
    let known_post = [
        "/v2/token",
        "/v2/files/jwt",
        "/v2/files/sign",
        "/v2/files/srcset",
        "/v2/files/upload",
        "/v2/files/mkdir",
        "/v2/files/delete",
        "/v2/files/copy",
        "/v2/files/rename",
    ];
    let method_ok = match req.method() {
        &Method::GET | &Method::HEAD => known_get.contains(&path.as_str()),
        &Method::POST => known_post.contains(&path.as_str()),
        _ => false,
    };
    if !method_ok {
        return Err(
            if known_get.contains(&path.as_str()) || known_post.contains(&path.as_str()) {
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
            } else {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("{path} is not part of signet's REST API"),
                )
            },
        );
    }
    if path == "/v2/token" {
        return token(api, req).await;
    }
    authorize(api, req.headers())?;
    let params = query::parse(req.uri().query().unwrap_or(""))
        .map_err(|e| ApiError::bad(format!("bad query: {e}")))?;
    let param = |name: &str| -> Result<String, ApiError> {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::bad(format!("`{name}` is required")))
    };
    match path.as_str() {
        "/v2/files/stat" => stat(app, &param("filename")?).await,
        "/v2/files/readdir" => {
            let continuation = params
                .iter()
                .find(|(k, _)| k == "continuation")
                .map(|(_, v)| v.as_str());
            readdir(app, &param("dirname")?, continuation).await
        }
        "/v2/files/download" => download(app, &param("filename")?).await,
        "/v2/files/upload" => {
            let filename = param("filename")?;
            upload(app, api, &filename, req).await
        }
        "/v2/files/mkdir" => {
            let folder = folder_key(&param("dirname")?)?;
            app.store().create_folder(&folder).await?;
            Ok(done())
        }
        "/v2/files/delete" => {
            let key = file_key(&param("filename")?)?;
            app.store().delete(&key).await?;
            app.invalidate(&key).await;
            Ok(done())
        }
        "/v2/files/copy" => {
            let (from, to) = (file_key(&param("from")?)?, file_key(&param("to")?)?);
            app.store().copy(&from, &to).await?;
            app.invalidate(&to).await;
            Ok(done())
        }
        "/v2/files/rename" => {
            let (from, to) = (file_key(&param("from")?)?, file_key(&param("to")?)?);
            app.store().rename(&from, &to).await?;
            app.invalidate(&from).await;
            app.invalidate(&to).await;
            Ok(done())
        }
        "/v2/files/jwt" => {
            let body: UrlRequest = read_json(req).await?;
            signed_url(app, body)
        }
        "/v2/files/sign" => {
            let body: UrlRequest = read_json(req).await?;
            sign(app, body)
        }
        "/v2/files/srcset" => {
            let body: UrlRequest = read_json(req).await?;
            srcset(app, body).await
        }
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not found")),
    }
}

/// `a/b.jpg` from `/a/b.jpg`; `..`, empty segments and the like → 400.
fn file_key(filename: &str) -> Result<ObjectKey, ApiError> {
    ObjectKey::from_path(filename).map_err(|e| ApiError::bad(format!("filename {filename:?}: {e}")))
}

fn folder_key(dirname: &str) -> Result<FolderKey, ApiError> {
    FolderKey::new(dirname).map_err(|e| ApiError::bad(format!("dirname {dirname:?}: {e}")))
}

/// Reads a small JSON body (64 KiB at most).
async fn read_json<B, T>(req: Request<B>) -> Result<T, ApiError>
where
    B: RequestBody,
    T: serde::de::DeserializeOwned,
{
    let bytes = Limited::new(req.into_body(), MAX_JSON_BYTES)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("JSON bodies are limited to {MAX_JSON_BYTES} bytes"),
                )
            } else {
                ApiError::bad(format!("reading the body: {e}"))
            }
        })?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    client_id: String,
    client_secret: String,
    expires_in: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct TokenClaims {
    sub: String,
    aud: String,
    #[serde(default)]
    iat: i64,
    exp: i64,
}

async fn token<B>(api: &Api, req: Request<B>) -> ApiResult
where
    B: RequestBody,
{
    let body: TokenRequest = read_json(req).await?;
    let id_ok =
        Md5::digest(body.client_id.as_bytes()).ct_eq(&Md5::digest(api.client_id.as_bytes()));
    let secret_ok = Md5::digest(body.client_secret.as_bytes()).ct_eq(&api.secret_digest);
    if !bool::from(id_ok & secret_ok) {
        tracing::warn!("REST API: wrong client credentials");
        return Err(ApiError::unauthorized("wrong clientId or clientSecret"));
    }
    let expires_in = body.expires_in.unwrap_or(DEFAULT_TOKEN_SECS);
    if !TOKEN_SECS.contains(&expires_in) {
        return Err(ApiError::bad(format!(
            "expiresIn must be between {} and {} seconds",
            TOKEN_SECS.start(),
            TOKEN_SECS.end()
        )));
    }
    let now = unix_now();
    let claims = TokenClaims {
        sub: api.client_id.clone(),
        aud: TOKEN_AUDIENCE.to_owned(),
        iat: now,
        exp: now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX)),
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &api.encoding)
        .map_err(|e| {
            tracing::error!(error = %e, "cannot sign an API token");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        })?;
    Ok(json_response(&json!({
        "token": token,
        "expiresIn": expires_in,
        "scope": SCOPES,
    })))
}

/// Checks `Authorization: Bearer <token>`: signed by us, for the API, unexpired.
fn authorize(api: &Api, headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <token>`"))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[TOKEN_AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<TokenClaims>(token.trim(), &api.decoding, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                ApiError::unauthorized("the bearer token has expired")
            }
            _ => ApiError::unauthorized("invalid bearer token"),
        })?;
    // jsonwebtoken accepts exp == now; a token is dead from its exp on.
    if data.claims.exp <= unix_now() {
        return Err(ApiError::unauthorized("the bearer token has expired"));
    }
    Ok(())
}

fn rfc3339(t: Option<SystemTime>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(humantime::format_rfc3339_millis(t).to_string())
    })
}

/// Sirv's file info: `filename` is the full path.
async fn stat(app: &App, filename: &str) -> ApiResult {
    let folder = || {
        json!({
            "filename": format!("/{}", filename.trim_matches('/')),
            "isDirectory": true,
            "size": 0,
            "meta": {},
        })
    };
    if filename.trim_matches('/').is_empty() {
        return Ok(json_response(&folder()));
    }
    let key = file_key(filename)?;
    match app.store().stat(&key).await {
        Ok(meta) => {
            let parent = key.parent();
            Ok(json_response(&json!({
                "filename": format!("/{}", key.as_str()),
                "dirname": format!("/{}", parent.as_str().trim_end_matches('/')),
                "basename": key.file_name(),
                "isDirectory": false,
                "size": meta.size,
                "mtime": rfc3339(Some(meta.modified)),
                "ctime": rfc3339(Some(meta.modified)),
                "contentType": signet_storage::guess_content_type(key.as_str()),
                "etag": meta.etag,
                "meta": {},
            })))
        }
        Err(StorageError::NotFound) => {
            // A folder has no object of its own: it exists if it lists.
            let folder_key = folder_key(filename)?;
            app.store().list(&folder_key, None, 1).await?;
            Ok(json_response(&folder()))
        }
        Err(e) => Err(e.into()),
    }
}

fn entry_json(e: &Entry) -> Value {
    let mut v = json!({
        "filename": e.name,
        "isDirectory": e.is_folder,
        "size": e.size,
        "mtime": rfc3339(e.modified),
        "meta": {},
    });
    if !e.is_folder {
        v["contentType"] = Value::String(signet_storage::guess_content_type(&e.name));
    }
    v
}

async fn readdir(app: &App, dirname: &str, continuation: Option<&str>) -> ApiResult {
    let folder = folder_key(dirname)?;
    let page = app
        .store()
        .list(&folder, continuation.filter(|c| !c.is_empty()), PAGE)
        .await?;
    let mut out = Map::new();
    out.insert(
        "contents".into(),
        Value::Array(page.entries.iter().map(entry_json).collect()),
    );
    if let Some(next) = page.continuation {
        out.insert("continuation".into(), Value::String(next));
    }
    Ok(json_response(&Value::Object(out)))
}

async fn download(app: &App, filename: &str) -> ApiResult {
    let key = file_key(filename)?;
    let body = app.store().read(&key, None).await?;
    let mut r = Response::new(stream(body.stream));
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&signet_storage::guess_content_type(key.as_str())) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.meta.size));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Streams the request body into the store, refusing more than
/// `api.max_upload_bytes` (413, and nothing is written).
async fn upload<B>(app: &App, api: &Api, filename: &str, req: Request<B>) -> ApiResult
where
    B: RequestBody,
{
    let key = file_key(filename)?;
    let limit = api.max_upload_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("uploads are limited to {limit} bytes (api.max_upload_bytes)"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|t| {
            let t = t.to_ascii_lowercase();
            !(t.starts_with("application/octet-stream") || t.starts_with("application/json"))
        })
        .map(str::to_owned);
    let cut = Arc::new(BodyCut::default());
    let body = capped(req.into_body(), limit, cut.clone());
    match app.store().put(&key, body, content_type.as_deref()).await {
        Ok(_) => {
            app.invalidate(&key).await;
            Ok(done())
        }
        Err(_) if cut.too_large.load(Ordering::SeqCst) => Err(too_large()),
        Err(_) if cut.broken.load(Ordering::SeqCst) => {
            Err(ApiError::bad("the upload body ended early"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Why an upload body stopped before its end, if it did.
#[derive(Default)]
struct BodyCut {
    too_large: AtomicBool,
    /// The client's body failed (disconnect, bad chunking).
    broken: AtomicBool,
}

/// The body as a byte stream that fails once more than `limit` bytes came.
fn capped<B>(body: B, limit: u64, cut: Arc<BodyCut>) -> ByteStream
where
    B: RequestBody,
{
    let mut seen = 0u64;
    let frames = BodyStream::new(body).filter_map(move |frame| {
        let item = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => {
                    seen += data.len() as u64;
                    if seen > limit {
                        cut.too_large.store(true, Ordering::SeqCst);
                        Some(Err(std::io::Error::other("upload too large")))
                    } else {
                        Some(Ok(data))
                    }
                }
                Err(_trailers) => None,
            },
            Err(e) => {
                cut.broken.store(true, Ordering::SeqCst);
                Some(Err(std::io::Error::other(e.into())))
            }
        };
        std::future::ready(item)
    });
    Box::pin(frames)
}

/// `{"w": 300, "text": "Hi"}` → pairs; nested values are refused, and
/// options are validated (names in `ignore_params`, like `v`, pass as is).
fn params_of(
    app: &App,
    field: &str,
    map: &Map<String, Value>,
) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = map
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(n) => Ok((k.clone(), n.to_string())),
            Value::Bool(b) => Ok((k.clone(), b.to_string())),
            _ => Err(ApiError::bad(format!(
                "{field}.{k}: must be a string, number or boolean"
            ))),
        })
        .collect::<Result<_, _>>()?;
    let ignored = &app.config().ignore_params;
    let options = pairs
        .iter()
        .filter(|(k, _)| !ignored.contains(k))
        .map(|(k, v)| (k.as_str(), v.as_str()));
    signet_transform::parse_options(options).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("{field}: {e}")).collect();
        ApiError::bad(lines.join("; "))
    })?;
    Ok(pairs)
}

/// The body of the URL-making endpoints: Sirv's `/v2/files/jwt`, and
/// signet's `/v2/files/sign` and `/v2/files/srcset`. One shape, so the three
/// read alike; each endpoint refuses the fields it does not take.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UrlRequest {
    filename: String,
    /// `jwt`, `md5`, `none`, or `auto`: JWT when a JWT key exists, else MD5
    /// when an MD5 key exists and no secure params are asked for, else
    /// unsigned. Not taken by `/v2/files/jwt`.
    sign: Option<String>,
    expires_in: Option<u64>,
    #[serde(default)]
    secure_params: Map<String, Value>,
    #[serde(default)]
    insecure_params: Map<String, Value>,
    key: Option<String>,
    // `/v2/files/srcset` only.
    widths: Option<Vec<u32>>,
    min_width: Option<u32>,
    max_width: Option<u32>,
    tolerance: Option<f64>,
}

impl UrlRequest {
    /// 400 when a srcset field is given to an endpoint making one URL.
    fn one_url(&self, endpoint: &str) -> Result<(), ApiError> {
        let srcset = self.widths.is_some()
            || self.min_width.is_some()
            || self.max_width.is_some()
            || self.tolerance.is_some();
        if srcset {
            return Err(ApiError::bad(format!(
                "{endpoint} makes one URL: widths, minWidth, maxWidth and tolerance belong to /v2/files/srcset"
            )));
        }
        Ok(())
    }

    /// The widths a srcset request asks for.
    fn widths(&self) -> Result<Widths, ApiError> {
        match (&self.widths, self.min_width, self.max_width) {
            (Some(list), None, None) if self.tolerance.is_none() => Ok(Widths::List(list.clone())),
            (None, Some(min), Some(max)) => Ok(Widths::Range {
                min,
                max,
                tolerance: self.tolerance.unwrap_or(srcset::DEFAULT_TOLERANCE),
            }),
            _ => Err(ApiError::bad(
                "give either `widths` or both `minWidth` and `maxWidth` (with an optional `tolerance`)",
            )),
        }
    }
}

/// Sirv's `/v2/files/jwt`: a JWT URL.
fn signed_url(app: &App, mut body: UrlRequest) -> ApiResult {
    body.one_url("/v2/files/jwt")?;
    if body.sign.is_some() {
        return Err(ApiError::bad(
            "/v2/files/jwt always signs with a JWT; `sign` belongs to /v2/files/sign",
        ));
    }
    body.sign = Some("jwt".to_owned());
    sign(app, body)
}

/// The path, signer, query params and lifetime a signing request asks for.
struct UrlPlan {
    path: String,
    signer: Signer,
    insecure: Vec<(String, String)>,
    lifetime: Lifetime,
}

/// Checks what the URL-making endpoints share; `default_sign` applies when
/// the request names none. For a srcset (`no_width`), the params may not
/// fix a width.
fn plan_url(
    app: &App,
    req: &UrlRequest,
    default_sign: &str,
    no_width: bool,
) -> Result<UrlPlan, ApiError> {
    let object = file_key(&req.filename)?;
    let secure = params_of(app, "secureParams", &req.secure_params)?;
    let insecure = params_of(app, "insecureParams", &req.insecure_params)?;
    if no_width {
        srcset::check_no_width("secureParams", &secure).map_err(ApiError::bad)?;
        srcset::check_no_width("insecureParams", &insecure).map_err(ApiError::bad)?;
    }
    let ring = app.ring();
    let has = |kind| ring.signing_key(kind, None).is_ok();
    let sign = match req.sign.as_deref().unwrap_or(default_sign) {
        "auto" if has(signet_auth::KeyKind::Jwt) => "jwt",
        "auto" if secure.is_empty() && has(signet_auth::KeyKind::Md5) => "md5",
        "auto" if secure.is_empty() => "none",
        "auto" => "jwt",
        other => other,
    };
    let signer = match sign {
        "jwt" => Signer::Jwt {
            secure,
            audience: Vec::new(),
        },
        "md5" | "none" if !secure.is_empty() => {
            return Err(ApiError::bad(
                "secureParams need sign \"jwt\": only a JWT carries them",
            ))
        }
        "md5" => Signer::Md5,
        "none" => Signer::None,
        other => {
            return Err(ApiError::bad(format!(
                "sign {other:?}: expected \"jwt\", \"md5\", \"none\" or \"auto\""
            )))
        }
    };
    let expires_in = req.expires_in.unwrap_or(DEFAULT_URL_SECS);
    if expires_in == 0 {
        return Err(ApiError::bad("expiresIn must be at least 1 second"));
    }
    Ok(UrlPlan {
        path: format!("/{}", object.as_str()),
        signer,
        insecure,
        lifetime: Lifetime {
            expires_in,
            key: req.key.clone(),
        },
    })
}

/// signet's `/v2/files/sign`: one URL, signed as asked (`auto` by default).
fn sign(app: &App, body: UrlRequest) -> ApiResult {
    body.one_url("/v2/files/sign")?;
    let plan = plan_url(app, &body, "auto", false)?;
    let signed = plan
        .signer
        .url(
            app.config(),
            app.ring(),
            &plan.lifetime,
            &plan.path,
            &plan.insecure,
        )
        .map_err(ApiError::bad)?;
    Ok(json_response(&json!({
        "url": signed.url,
        "token": signed.token,
    })))
}

/// signet's `/v2/files/srcset`: one URL per width (JWT-signed by default).
async fn srcset(app: &App, body: UrlRequest) -> ApiResult {
    let mut widths = body.widths()?.resolve().map_err(ApiError::bad)?;
    let plan = plan_url(app, &body, "jwt", true)?;
    let secure = match &plan.signer {
        Signer::Jwt { secure, .. } => secure.as_slice(),
        _ => &[],
    };
    if !srcset::upscales(&[&plan.insecure, secure]) {
        let key = file_key(&plan.path)?;
        // Existence and storage failures answer as usual; a file that is not
        // an image is the client's mistake.
        app.store().stat(&key).await?;
        let source_width = app
            .source_width(&plan.path)
            .await
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e))?;
        widths = srcset::cap(&widths, source_width);
    }
    let candidates = srcset::candidates(
        app.config(),
        app.ring(),
        &plan.signer,
        &plan.lifetime,
        &plan.path,
        &plan.insecure,
        &widths,
    )
    .map_err(ApiError::bad)?;
    let urls: Vec<Value> = candidates
        .iter()
        .map(|c| json!({"width": c.width, "url": c.url}))
        .collect();
    Ok(json_response(&json!({
        "srcset": srcset::attribute(&candidates),
        "urls": urls,
    })))
}
