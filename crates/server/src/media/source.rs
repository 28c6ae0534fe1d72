//! Reading objects whole for the pipeline: sources, profiles and
//! watermarks, capped in bytes; the width of a source for srcsets, and an
//! image's size from its first bytes for the REST API's `meta`.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use signet_storage::{ObjectKey, StorageError, Store};
use signet_transform::pipeline;

use crate::admin::metrics::{bump, Metrics};
use crate::http::error::Error;
use crate::media::mp4;

/// Reads a whole object, refusing past `limit` bytes.
pub(crate) async fn read_all(
    store: &dyn Store,
    key: &ObjectKey,
    limit: u64,
    metrics: &Metrics,
) -> Result<Vec<u8>, Error> {
    bump(&metrics.storage_reads);
    let mut body = store.read(key, None).await?;
    if body.meta.size > limit {
        return Err(Error::SourceTooBig {
            size: body.meta.size,
            limit,
        });
    }
    let mut out = Vec::with_capacity(usize::try_from(body.range.end.min(limit)).unwrap_or(0));
    while let Some(chunk) = body.stream.next().await {
        // The store went away mid-body (a reset connection, a killed
        // server): retryable, like any other unavailability — not a 500.
        let chunk: Bytes = chunk.map_err(|e| {
            Error::Storage(StorageError::Unavailable(format!(
                "reading {} broke off: {e}",
                key.as_str()
            )))
        })?;
        out.extend_from_slice(&chunk);
        if out.len() as u64 > limit {
            return Err(Error::SourceTooBig {
                size: out.len() as u64,
                limit,
            });
        }
    }
    Ok(out)
}

/// The displayed width (after EXIF orientation) of the image at `key`,
/// read whole (capped at `limit` bytes) and probed from its header.
pub(crate) async fn source_width(
    store: &dyn Store,
    key: &ObjectKey,
    limit: u64,
    metrics: &Metrics,
) -> Result<u32, Error> {
    let bytes = read_all(store, key, limit, metrics).await?;
    let (width, _) = pipeline::dimensions(&bytes)?;
    Ok(width)
}

/// Bytes read to find an image's size: every format signet reads puts its
/// dimensions in its headers, ahead of the pixels (a JPEG whose EXIF and
/// ICC blocks pass this reads as having no size).
const HEAD_BYTES: u64 = 1 << 20;

/// What a file's first bytes tell of it: an image's displayed width and
/// height (and the rest of its description: format, orientation, EXIF,
/// IPTC…), or a fast-start video's frame size and duration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeadInfo {
    pub width: u32,
    pub height: u32,
    /// Seconds, for a video.
    pub duration: Option<f64>,
    pub image: Option<Arc<pipeline::Description>>,
}

/// The displayed (EXIF-oriented) width and height of the `size`-byte image
/// at `key`, or a video's size and duration (`mp4`), probed from its first
/// bytes; `None` for anything else.
pub(crate) async fn head_info(
    store: &dyn Store,
    key: &ObjectKey,
    size: u64,
    metrics: &Metrics,
) -> Option<HeadInfo> {
    bump(&metrics.storage_reads);
    let mut body = store.read(key, Some(0..size.min(HEAD_BYTES))).await.ok()?;
    let mut head = Vec::new();
    while let Some(chunk) = body.stream.next().await {
        head.extend_from_slice(&chunk.ok()?);
    }
    if let Some(d) = pipeline::describe(&head) {
        return Some(HeadInfo {
            width: d.width,
            height: d.height,
            duration: None,
            image: Some(Arc::new(d)),
        });
    }
    mp4::movie_info(&head).map(|(duration, width, height)| HeadInfo {
        width,
        height,
        duration: Some(duration),
        image: None,
    })
}
