//! Serving transformed images ("variants"): validation against what this
//! build can do, the source-size cap, validators, and running the pipeline off
//! the async runtime with bounded concurrency and a timeout.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use md5::{Digest, Md5};
use signet_storage::{ObjectKey, Store};
use signet_transform::pipeline::{self, Limits};
use signet_transform::Options;
use tokio::sync::Semaphore;

use crate::body::{empty, full, Body};
use crate::originals::{none_match, Ask};
use crate::reject::Reject;

/// What bounds a transform.
pub(crate) struct Budget {
    pub(crate) limits: Limits,
    pub(crate) max_source_bytes: u64,
    pub(crate) timeout: Duration,
    pub(crate) permits: Semaphore,
}

/// Serves `key` transformed by `options`.
pub(crate) async fn serve(
    store: &dyn Store,
    budget: &Budget,
    key: &ObjectKey,
    options: &Options,
    ask: Ask<'_>,
) -> Result<Response<Body>, Reject> {
    pipeline::check_supported(options).map_err(Reject::Transform)?;
    let meta = store.stat(key).await?;
    if meta.size > budget.max_source_bytes {
        return Err(Reject::SourceTooBig {
            size: meta.size,
            limit: budget.max_source_bytes,
        });
    }
    let etag = variant_etag(&meta.etag, key, options);
    let mut headers = HeaderMap::new();
    set(&mut headers, header::ETAG, &etag);
    set(&mut headers, header::CACHE_CONTROL, &ask.cache_control);
    set(
        &mut headers,
        header::LAST_MODIFIED,
        &httpdate::fmt_http_date(meta.modified),
    );
    if none_match(ask.headers, &etag) {
        return Ok(respond(StatusCode::NOT_MODIFIED, headers, empty()));
    }

    let source = read_all(store, key, budget.max_source_bytes).await?;
    let _permit = budget
        .permits
        .acquire()
        .await
        .map_err(|_| Reject::Overloaded)?;
    let options = options.clone();
    let limits = budget.limits;
    let work = tokio::task::spawn_blocking(move || pipeline::process(&source, &options, &limits));
    let output = match tokio::time::timeout(budget.timeout, work).await {
        Err(_) => return Err(Reject::TransformTimeout),
        Ok(Err(join)) => {
            tracing::error!(error = %join, "transform task failed");
            return Err(Reject::Internal);
        }
        Ok(Ok(result)) => result.map_err(Reject::Transform)?,
    };

    set(&mut headers, header::CONTENT_TYPE, output.format.mime());
    set(
        &mut headers,
        header::CONTENT_LENGTH,
        &output.bytes.len().to_string(),
    );
    let body = if ask.head {
        empty()
    } else {
        full(output.bytes)
    };
    Ok(respond(StatusCode::OK, headers, body))
}

/// A strong ETag for one variant: the source version, the key and the
/// canonical options (which fix the output format today).
fn variant_etag(source_etag: &str, key: &ObjectKey, options: &Options) -> String {
    let mut h = Md5::new();
    for part in [source_etag, key.as_str(), &options.canonical_string()] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    format!("\"v-{}\"", hex::encode(&h.finalize()[..12]))
}

async fn read_all(store: &dyn Store, key: &ObjectKey, limit: u64) -> Result<Vec<u8>, Reject> {
    let mut body = store.read(key, None).await?;
    let mut out = Vec::with_capacity(usize::try_from(body.range.end.min(limit)).unwrap_or(0));
    while let Some(chunk) = body.stream.next().await {
        let chunk: Bytes = chunk.map_err(|e| Reject::Storage(e.into()))?;
        out.extend_from_slice(&chunk);
        if out.len() as u64 > limit {
            return Err(Reject::SourceTooBig {
                size: out.len() as u64,
                limit,
            });
        }
    }
    Ok(out)
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
