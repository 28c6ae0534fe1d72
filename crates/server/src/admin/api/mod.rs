//! The REST API on the admin listener, in Sirv's v2 shapes (SPEC §10), so
//! Sirv's own SDKs work against signet: bearer tokens (`token`), file
//! operations on the store (`files`), and signed URLs and srcsets (`links`).
//! Handlers return [`Error`]s; the admin listener renders them as Sirv's
//! JSON. Writes invalidate the written files' cached variants at once.

mod files;
mod links;
mod token;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value};
use signet_storage::{FolderKey, ObjectKey};

use crate::core::Core;
use crate::http::body::Body;
use crate::http::error::Error;
use crate::media::query;

pub(crate) use token::Api;

/// JSON request bodies larger than this are refused.
const MAX_JSON_BYTES: usize = 64 * 1024;

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

/// The routes, each with the methods it takes and its `Allow` value. Sirv
/// takes `DELETE` for delete and `GET` for jwt too (its PHP SDK sends them).
const ROUTES: &[(&str, &[Method], &str)] = &[
    ("/v2/token", &[Method::POST], "POST"),
    ("/v2/files/stat", &[Method::GET, Method::HEAD], "GET, HEAD"),
    (
        "/v2/files/readdir",
        &[Method::GET, Method::HEAD],
        "GET, HEAD",
    ),
    (
        "/v2/files/download",
        &[Method::GET, Method::HEAD],
        "GET, HEAD",
    ),
    ("/v2/files/upload", &[Method::POST], "POST"),
    ("/v2/files/mkdir", &[Method::POST], "POST"),
    (
        "/v2/files/delete",
        &[Method::POST, Method::DELETE],
        "POST, DELETE",
    ),
    ("/v2/files/copy", &[Method::POST], "POST"),
    ("/v2/files/rename", &[Method::POST], "POST"),
    ("/v2/files/jwt", &[Method::POST, Method::GET], "POST, GET"),
    ("/v2/files/sign", &[Method::POST], "POST"),
    ("/v2/files/srcset", &[Method::POST], "POST"),
];
/// Handles a request under `/v2/`: the route and method, then the bearer
/// token (every route but `/v2/token` needs one), then the route itself.
pub(crate) async fn handle<B: RequestBody>(core: &Core, api: &Api, req: Request<B>) -> ApiResult {
    let path = req.uri().path().to_owned();
    let Some((_, methods, allow)) = ROUTES.iter().find(|(p, _, _)| *p == path) else {
        return Err(Error::NoRoute(format!(
            "{path} is not part of signet's REST API"
        )));
    };
    if !methods.contains(req.method()) {
        return Err(Error::MethodNotAllowed { allow });
    }
    if path == "/v2/token" {
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
    match path.as_str() {
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
        "/v2/files/delete" => files::delete(core, &param("filename")?).await,
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
            if path == "/v2/files/copy" {
                files::copy(core, &from, &to).await
            } else {
                files::rename(core, &from, &to).await
            }
        }
        "/v2/files/jwt" if req.method() == Method::GET => {
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
        _ => Err(Error::NoRoute(format!(
            "{path} is not part of signet's REST API"
        ))),
    }
}

/// A copy or rename sent as a JSON body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FromTo {
    from: String,
    to: String,
}

/// `a/b.jpg` from `/a/b.jpg`; `..`, empty segments and the like → 400.
fn file_key(filename: &str) -> Result<ObjectKey, Error> {
    ObjectKey::from_path(filename)
        .map_err(|e| Error::BadRequest(format!("filename {filename:?}: {e}")))
}

fn folder_key(dirname: &str) -> Result<FolderKey, Error> {
    FolderKey::new(dirname).map_err(|e| Error::BadRequest(format!("dirname {dirname:?}: {e}")))
}

/// Reads a small JSON body (64 KiB at most).
async fn read_json<B, T>(req: Request<B>) -> Result<T, Error>
where
    B: RequestBody,
    T: serde::de::DeserializeOwned,
{
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
    serde_json::from_slice(&bytes).map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
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
