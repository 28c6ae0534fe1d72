//! The REST API on the admin listener, in Sirv's v2 shapes (SPEC §10), so
//! Sirv's own SDKs work against signet: bearer tokens (`token`), file
//! operations on the store (`files`), and signed URLs and srcsets (`links`).
//! Handlers return [`Error`]s; the admin listener renders them as Sirv's
//! JSON. Writes invalidate the written files' cached variants at once.

mod batch;
mod files;
pub(crate) mod limits;
mod links;
mod meta;
mod search;
mod token;

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value};
use signet_storage::{FolderKey, ObjectKey};

use crate::catalog::{is_reserved, RESERVED};
use crate::core::Core;
use crate::http::body::{json, Body};
use crate::http::error::Error;
use crate::media::query;

pub(crate) use token::Api;

/// JSON request bodies larger than this are refused (a batch of Sirv's
/// 1000 longest names fits).
const MAX_JSON_BYTES: usize = 2 << 20;

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

type ApiResult = Result<Response<Body>, Error>;

const GET: &[Method] = &[Method::GET, Method::HEAD];
const POST: &[Method] = &[Method::POST];
const GET_POST: &[Method] = &[Method::GET, Method::HEAD, Method::POST];
const GET_POST_DELETE: &[Method] = &[Method::GET, Method::HEAD, Method::POST, Method::DELETE];

/// A route: its path, the methods it takes and its `Allow` value.
type Route = (&'static str, &'static [Method], &'static str);

/// The routes, each with the methods it takes and its `Allow` value. Sirv
/// takes `DELETE` for delete and `GET` for jwt too (its PHP SDK sends them);
/// the SDKs' own spellings of the batch routes are here beside Sirv's.
/// `{id}` stands for one path segment.
const ROUTES: &[Route] = &[
    ("/v2/token", POST, "POST"),
    ("/v2/account", GET_POST, "GET, HEAD, POST"),
    ("/v2/account/limits", GET, "GET, HEAD"),
    ("/v2/account/storage", GET, "GET, HEAD"),
    ("/v2/files/stat", GET, "GET, HEAD"),
    ("/v2/files/readdir", GET, "GET, HEAD"),
    ("/v2/files/download", GET, "GET, HEAD"),
    ("/v2/files/upload", POST, "POST"),
    ("/v2/files/mkdir", POST, "POST"),
    (
        "/v2/files/delete",
        &[Method::POST, Method::DELETE],
        "POST, DELETE",
    ),
    ("/v2/files/copy", POST, "POST"),
    ("/v2/files/rename", POST, "POST"),
    ("/v2/files/jwt", &[Method::POST, Method::GET], "POST, GET"),
    ("/v2/files/sign", POST, "POST"),
    ("/v2/files/srcset", POST, "POST"),
    ("/v2/files/meta", GET_POST, "GET, HEAD, POST"),
    ("/v2/files/meta/title", GET_POST, "GET, HEAD, POST"),
    ("/v2/files/meta/description", GET_POST, "GET, HEAD, POST"),
    ("/v2/files/meta/product", GET_POST, "GET, HEAD, POST"),
    ("/v2/files/meta/approval", GET_POST, "GET, HEAD, POST"),
    (
        "/v2/files/meta/tags",
        GET_POST_DELETE,
        "GET, HEAD, POST, DELETE",
    ),
    ("/v2/files/poi", GET_POST_DELETE, "GET, HEAD, POST, DELETE"),
    ("/v2/files/search", POST, "POST"),
    ("/v2/files/search/scroll", POST, "POST"),
    ("/v2/files/search/reindex", POST, "POST"),
    ("/v2/files/batch/delete", GET_POST, "GET, HEAD, POST"),
    ("/v2/files/delete/batch", POST, "POST"),
    ("/v2/files/delete/batch/result", GET, "GET, HEAD"),
    ("/v2/files/delete/{id}", GET, "GET, HEAD"),
    ("/v2/files/zip", GET_POST, "GET, HEAD, POST"),
    ("/v2/files/zip/result", GET, "GET, HEAD"),
    ("/v2/files/zip/download", GET, "GET, HEAD"),
    ("/v2/files/zip/{id}", GET, "GET, HEAD"),
];

/// Sirv routes signet has no counterpart for: a clear 501 each.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "/v2/account/users",
        "signet has one API client, set in its config",
    ),
    ("/v2/account/events", "signet logs to stdout and /metrics"),
    ("/v2/billing", "signet is self-hosted"),
    ("/v2/stats", "signet's statistics are on /metrics"),
    ("/v2/user", "signet has one API client, set in its config"),
    (
        "/v2/files/fetch",
        "signet does not fetch remote URLs (SSRF)",
    ),
    ("/v2/files/options", "signet has no per-folder options"),
    (
        "/v2/files/folder/options",
        "signet has no per-folder options",
    ),
    ("/v2/files/spin", "signet has no spins"),
    ("/v2/files/spin2video", "signet has no spins"),
    ("/v2/files/video2spin", "signet has no spins"),
    ("/v2/files/export", "signet has no spins"),
];

/// The route a path takes and the `{id}` it carries, if any.
fn route_of(path: &str) -> Option<(&'static Route, Option<&str>)> {
    if let Some(route) = ROUTES.iter().find(|(p, _, _)| *p == path) {
        return Some((route, None));
    }
    let (parent, id) = path.rsplit_once('/')?;
    if id.is_empty() {
        return None;
    }
    let pattern = format!("{parent}/{{id}}");
    ROUTES
        .iter()
        .find(|(p, _, _)| *p == pattern)
        .map(|route| (route, Some(id)))
}

/// Handles a request under `/v2/`: the route and method, then the bearer
/// token (every route but `/v2/token` needs one), then the route itself.
pub(crate) async fn handle<B: RequestBody>(
    core: &Arc<Core>,
    api: &Api,
    req: Request<B>,
) -> ApiResult {
    let path = req.uri().path().to_owned();
    let Some(((route, methods, allow), id)) = route_of(&path) else {
        if let Some((_, why)) = UNSUPPORTED
            .iter()
            .find(|(p, _)| path == *p || path.starts_with(&format!("{p}/")))
        {
            return Err(Error::Unsupported(format!("{path}: {why}")));
        }
        return Err(Error::NoRoute(format!(
            "{path} is not part of signet's REST API"
        )));
    };
    let id = id.map(str::to_owned);
    if !methods.contains(req.method()) {
        return Err(Error::MethodNotAllowed { allow });
    }
    if *route == "/v2/token" {
        return api.issue(read_json(req).await?);
    }
    api.authorize(req.headers())?;
    let params = query::parse(req.uri().query().unwrap_or(""))
        .map_err(|e| Error::BadRequest(format!("bad query: {e}")))?;
    let param = |name: &str| -> Result<String, Error> {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::BadRequest(format!("`{name}` is required")))
    };
    let method = req.method().clone();
    match *route {
        "/v2/account" if method == Method::POST => Err(Error::Unsupported(
            "/v2/account: signet's settings (fetching, minify) live in its config file".to_owned(),
        )),
        "/v2/account" => Ok(json(&account(core))),
        "/v2/account/limits" => Ok(json(&api.limits_json(req.extensions()))),
        "/v2/account/storage" => storage(core).await,
        "/v2/files/stat" => files::stat(core, &param("filename")?).await,
        "/v2/files/readdir" => {
            let continuation = params
                .iter()
                .find(|(k, _)| k == "continuation")
                .map(|(_, v)| v.as_str());
            files::readdir(core, &param("dirname")?, continuation).await
        }
        "/v2/files/download" => files::download(core, &param("filename")?).await,
        "/v2/files/upload" => {
            let filename = param("filename")?;
            files::upload(core, api.max_upload_bytes(), &filename, req).await
        }
        "/v2/files/mkdir" => files::mkdir(core, &param("dirname")?).await,
        "/v2/files/delete" => match param("filename") {
            Ok(filename) => files::delete(core, &filename).await,
            // The Python SDK's `batch_delete`: a JSON list, no filename.
            Err(e) => match read_optional_json(req).await? {
                Value::Null => Err(e),
                body => batch::delete(core, batch::names(&body)?),
            },
        },
        "/v2/files/copy" | "/v2/files/rename" => {
            // In the query (Sirv's docs, the Python SDK) or as a JSON body
            // (the PHP SDK).
            let (from, to) = match (param("from"), param("to")) {
                (Ok(from), Ok(to)) => (from, to),
                _ => {
                    let body: FromTo = read_json(req).await?;
                    (body.from, body.to)
                }
            };
            if *route == "/v2/files/copy" {
                files::copy(core, &from, &to).await
            } else {
                files::rename(core, &from, &to).await
            }
        }
        "/v2/files/jwt" if method == Method::GET => {
            let expires_in = match params.iter().find(|(k, _)| k == "expiry") {
                Some((_, v)) => Some(v.parse::<u64>().map_err(|_| {
                    Error::BadRequest(format!("`expiry` must be seconds, not {v:?}"))
                })?),
                None => None,
            };
            links::jwt(
                core,
                links::UrlRequest::for_file(param("filename")?, expires_in),
            )
        }
        "/v2/files/jwt" => links::jwt(core, read_json(req).await?),
        "/v2/files/sign" => links::sign(core, read_json(req).await?),
        "/v2/files/srcset" => links::srcset(core, read_json(req).await?).await,
        "/v2/files/search" => search::search(core, object(read_optional_json(req).await?)?).await,
        "/v2/files/search/scroll" => {
            search::scroll(core, object(read_optional_json(req).await?)?).await
        }
        "/v2/files/search/reindex" => search::reindex(core).await,
        "/v2/files/batch/delete" | "/v2/files/delete/batch" if method == Method::POST => {
            batch::delete(core, batch::names(&read_optional_json(req).await?)?)
        }
        "/v2/files/zip" if method == Method::POST => {
            let body = read_optional_json(req).await?;
            // Sirv's `zipFilename`; the Python SDK's `filename`.
            let name = ["zipFilename", "filename"]
                .iter()
                .find_map(|f| body.get(*f).and_then(Value::as_str))
                .map(str::to_owned);
            if let Value::Object(map) = &body {
                if let Some(k) = map
                    .keys()
                    .find(|k| !["filenames", "zipFilename", "filename"].contains(&k.as_str()))
                {
                    return Err(Error::BadRequest(format!("unknown field `{k}`")));
                }
            }
            batch::zip(core, &body, name).await
        }
        "/v2/files/zip/download" => batch::download(core, &param("id")?),
        "/v2/files/batch/delete"
        | "/v2/files/delete/batch/result"
        | "/v2/files/delete/{id}"
        | "/v2/files/zip"
        | "/v2/files/zip/result"
        | "/v2/files/zip/{id}" => {
            // Sirv's `id`, the PHP SDK's `token`, the Python SDK's path.
            let id = match id {
                Some(id) => id,
                None => param("id").or_else(|_| param("token"))?,
            };
            batch::status(core, &id, req.headers().get(http::header::HOST))
        }
        _ => {
            // The metadata routes: the file in the query or the body.
            let body = match method {
                Method::GET | Method::HEAD => Map::new(),
                _ => object(read_optional_json(req).await?)?,
            };
            let filename = match (param("filename"), body.get("filename")) {
                (Ok(f), _) => f,
                (Err(_), Some(Value::String(f))) => f.clone(),
                (Err(e), _) => return Err(e),
            };
            meta::handle(core, route, &method, &file_key(&filename)?, body).await
        }
    }
}

/// Sirv's account info, as far as a self-hosted server has one.
fn account(core: &Core) -> Value {
    serde_json::json!({
        "alias": "signet",
        "cdnURL": core.config.public_url,
        "fileSizeLimit": core.config.api.max_upload_bytes,
        "aliases": [],
    })
}

/// Storage in use: the index's count and bytes (building it if need be).
async fn storage(core: &Core) -> ApiResult {
    core.catalog.index.ensure(core.store()).await?;
    let (files, used) = core.catalog.index.totals();
    Ok(json(&serde_json::json!({
        "plan": 0,
        "burstable": 0,
        "extra": 0,
        "used": used,
        "files": files,
    })))
}

/// A JSON object body (an empty body is an empty object).
fn object(body: Value) -> Result<Map<String, Value>, Error> {
    match body {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(Error::BadRequest(
            "the body must be a JSON object".to_owned(),
        )),
    }
}

/// A copy or rename sent as a JSON body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FromTo {
    from: String,
    to: String,
}

/// `a/b.jpg` from `/a/b.jpg`; `..`, empty segments, the reserved
/// `.signet/` folder and the like → 400.
fn file_key(filename: &str) -> Result<ObjectKey, Error> {
    refuse_reserved(filename)?;
    ObjectKey::from_path(filename)
        .map_err(|e| Error::BadRequest(format!("filename {filename:?}: {e}")))
}

fn folder_key(dirname: &str) -> Result<FolderKey, Error> {
    refuse_reserved(dirname)?;
    FolderKey::new(dirname).map_err(|e| Error::BadRequest(format!("dirname {dirname:?}: {e}")))
}

fn refuse_reserved(path: &str) -> Result<(), Error> {
    if is_reserved(path) {
        return Err(Error::BadRequest(format!(
            "{path:?}: the folder /{RESERVED} is signet's own"
        )));
    }
    Ok(())
}

/// Reads a small JSON body, `Null` when there is none.
async fn read_optional_json<B: RequestBody>(req: Request<B>) -> Result<Value, Error> {
    let bytes = read_body(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
}

/// Reads a small JSON body (64 KiB at most).
async fn read_json<B, T>(req: Request<B>) -> Result<T, Error>
where
    B: RequestBody,
    T: serde::de::DeserializeOwned,
{
    let bytes = read_body(req).await?;
    serde_json::from_slice(&bytes).map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
}

/// The body's bytes (64 KiB at most).
async fn read_body<B: RequestBody>(req: Request<B>) -> Result<Bytes, Error> {
    let bytes = Limited::new(req.into_body(), MAX_JSON_BYTES)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                Error::PayloadTooLarge(format!("JSON bodies are limited to {MAX_JSON_BYTES} bytes"))
            } else {
                Error::BadRequest(format!("reading the body: {e}"))
            }
        })?
        .to_bytes();
    Ok(bytes)
}

/// `{"w": 300, "text": "Hi"}` → pairs; nested values are refused, and
/// options are validated (names in `ignore_params`, like `v`, pass as is).
fn params_of(
    core: &Core,
    field: &str,
    map: &Map<String, Value>,
) -> Result<Vec<(String, String)>, Error> {
    let pairs: Vec<(String, String)> = map
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(n) => Ok((k.clone(), n.to_string())),
            Value::Bool(b) => Ok((k.clone(), b.to_string())),
            _ => Err(Error::BadRequest(format!(
                "{field}.{k}: must be a string, number or boolean"
            ))),
        })
        .collect::<Result<_, _>>()?;
    let ignored = &core.config.ignore_params;
    let options = pairs
        .iter()
        .filter(|(k, _)| !ignored.contains(k))
        .map(|(k, v)| (k.as_str(), v.as_str()));
    signet_transform::parse_options(options).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("{field}: {e}")).collect();
        Error::BadRequest(lines.join("; "))
    })?;
    Ok(pairs)
}

#[cfg(test)]
mod tests;
