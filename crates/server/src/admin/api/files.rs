//! The file routes: `stat`, `readdir`, `download`, `upload`, `mkdir`,
//! `delete`, `copy`, `rename`, answered from the store in Sirv's shapes.
//! Every write invalidates the written files' cached variants before it
//! answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{header, HeaderValue, Request, Response};
use http_body_util::BodyStream;
use serde_json::{json, Map, Value};
use signet_storage::{ByteStream, Entry, FolderKey, ObjectKey, ObjectMeta, StorageError};

use super::{file_key, folder_key, ApiResult, RequestBody};
use crate::catalog::{folders, is_reserved, meta};
use crate::core::Core;
use crate::http::body::{full, json, stream};
use crate::http::error::Error;

/// Entries per `readdir` page.
const PAGE: usize = 100;

/// An empty 200, as Sirv answers writes.
pub(super) fn done() -> Response<crate::http::body::Body> {
    let mut r = Response::new(full(Bytes::new()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

pub(super) async fn mkdir(core: &Core, dirname: &str) -> ApiResult {
    core.store().create_folder(&folder_key(dirname)?).await?;
    Ok(done())
}

/// The folder a name stands for, if it names one (folders are looked for
/// first: some S3 servers answer `HeadObject` on a folder's name).
pub(super) async fn as_folder(core: &Core, name: &str) -> Result<Option<FolderKey>, Error> {
    let folder = folder_key(name)?;
    if folder.is_root() {
        return Ok(Some(folder));
    }
    match core.store().list(&folder, None, 1).await {
        Ok(_) => Ok(Some(folder)),
        Err(StorageError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a file with its metadata, or a folder with everything in it.
pub(super) async fn delete(core: &Core, filename: &str) -> ApiResult {
    let key = file_key(filename)?;
    match as_folder(core, filename).await? {
        Some(folder) => {
            folders::delete(core, &folder, core.config.api.max_folder_files).await?;
        }
        None => folders::delete_file(core, &key).await?,
    }
    Ok(done())
}

/// Copies a file with its metadata.
pub(super) async fn copy(core: &Core, from: &str, to: &str) -> ApiResult {
    let (from, to) = (file_key(from)?, file_key(to)?);
    core.store().copy(&from, &to).await?;
    meta::copied(core.store(), &from, &to).await?;
    core.invalidate(&to).await;
    Ok(done())
}

/// Moves a file with its metadata, or a whole folder.
pub(super) async fn rename(core: &Core, from: &str, to: &str) -> ApiResult {
    let (from_key, to_key) = (file_key(from)?, file_key(to)?);
    match as_folder(core, from).await? {
        Some(folder) => {
            let cap = core.config.api.max_folder_files;
            folders::rename(core, &folder, &folder_key(to)?, cap).await?;
        }
        None => {
            core.store().rename(&from_key, &to_key).await?;
            meta::renamed(core.store(), &from_key, &to_key).await?;
            core.invalidate(&from_key).await;
            core.invalidate(&to_key).await;
        }
    }
    Ok(done())
}

/// Sirv's `meta` of a file: an image's width and height, a video's with
/// its duration in seconds (probed from the first bytes once per version),
/// nothing for other files.
pub(super) async fn dims(core: &Core, key: &ObjectKey, meta: &ObjectMeta) -> Value {
    match core.engine.head_info(core.store(), key, meta).await {
        Some(i) => match i.duration {
            Some(d) => json!({"width": i.width, "height": i.height, "duration": d}),
            None => json!({"width": i.width, "height": i.height}),
        },
        None => json!({}),
    }
}

fn rfc3339(t: Option<SystemTime>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(humantime::format_rfc3339_millis(t).to_string())
    })
}

/// Sirv's file info: `filename` is the full path.
pub(super) async fn stat(core: &Core, filename: &str) -> ApiResult {
    let folder = || {
        json!({
            "filename": format!("/{}", filename.trim_matches('/')),
            "isDirectory": true,
            "size": 0,
            "meta": {},
        })
    };
    if filename.trim_matches('/').is_empty() {
        return Ok(json(&folder()));
    }
    let key = file_key(filename)?;
    match core.store().stat(&key).await {
        Ok(meta) => {
            let parent = key.parent();
            let dims = dims(core, &key, &meta).await;
            Ok(json(&json!({
                "filename": format!("/{}", key.as_str()),
                "dirname": format!("/{}", parent.as_str().trim_end_matches('/')),
                "basename": key.file_name(),
                "isDirectory": false,
                "size": meta.size,
                "mtime": rfc3339(Some(meta.modified)),
                "ctime": rfc3339(Some(meta.modified)),
                "contentType": signet_storage::guess_content_type(key.as_str()),
                "etag": meta.etag,
                "meta": dims,
            })))
        }
        Err(StorageError::NotFound) => {
            // A folder has no object of its own: it exists if it lists.
            let folder_key = folder_key(filename)?;
            core.store().list(&folder_key, None, 1).await?;
            Ok(json(&folder()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Entries whose `meta` is probed at once.
const PROBES: usize = 8;

async fn entry_json(core: &Core, folder: &FolderKey, e: &Entry) -> Value {
    let meta = match folder.join(&e.name) {
        Ok(key) if !e.is_folder => {
            let object = match &e.etag {
                Some(etag) => Some(ObjectMeta {
                    size: e.size,
                    modified: e.modified.unwrap_or(SystemTime::UNIX_EPOCH),
                    etag: etag.clone(),
                    content_type: None,
                }),
                // A listing without versions (some S3 servers): ask.
                None => core.store().stat(&key).await.ok(),
            };
            match object {
                Some(object) => dims(core, &key, &object).await,
                None => json!({}),
            }
        }
        _ => json!({}),
    };
    let mut v = json!({
        "filename": e.name,
        "isDirectory": e.is_folder,
        "size": e.size,
        "mtime": rfc3339(e.modified),
        "meta": meta,
    });
    if !e.is_folder {
        v["contentType"] = Value::String(signet_storage::guess_content_type(&e.name));
    }
    v
}

pub(super) async fn readdir(core: &Core, dirname: &str, continuation: Option<&str>) -> ApiResult {
    let folder = folder_key(dirname)?;
    let page = core
        .store()
        .list(&folder, continuation.filter(|c| !c.is_empty()), PAGE)
        .await?;
    // The reserved folder is not listed.
    let probes: Vec<_> = page
        .entries
        .iter()
        .filter(|e| !(folder.is_root() && is_reserved(&e.name)))
        .map(|e| entry_json(core, &folder, e))
        .collect();
    let contents: Vec<Value> = futures_util::stream::iter(probes)
        .buffered(PROBES)
        .collect()
        .await;
    let mut out = Map::new();
    out.insert("contents".into(), Value::Array(contents));
    if let Some(next) = page.continuation {
        out.insert("continuation".into(), Value::String(next));
    }
    Ok(json(&Value::Object(out)))
}

pub(super) async fn download(core: &Core, filename: &str) -> ApiResult {
    let key = file_key(filename)?;
    let body = core.store().read(&key, None).await?;
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
pub(super) async fn upload<B>(core: &Core, limit: u64, filename: &str, req: Request<B>) -> ApiResult
where
    B: RequestBody,
{
    let key = file_key(filename)?;
    let too_large = || {
        Error::PayloadTooLarge(format!(
            "uploads are limited to {limit} bytes (api.max_upload_bytes)"
        ))
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
    match core.store().put(&key, body, content_type.as_deref()).await {
        Ok(_) => {
            core.invalidate(&key).await;
            Ok(done())
        }
        Err(_) if cut.too_large.load(Ordering::SeqCst) => Err(too_large()),
        Err(_) if cut.broken.load(Ordering::SeqCst) => {
            Err(Error::BadRequest("the upload body ended early".to_owned()))
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
