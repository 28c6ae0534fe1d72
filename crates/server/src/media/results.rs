//! The shared result tier (`[results]`, docs/scale-out.md): variants kept
//! in an object store every replica reads, so a variant is transformed once
//! per cluster rather than once per replica, and a new replica starts warm.
//!
//! On a memory miss the engine asks here first, with a short timeout; any
//! failure falls through to transforming. After a transform the variant is
//! written in the background with a create-only write, so replicas never
//! overwrite each other. An object is trusted only as far as its key: it
//! carries the full variant key, its length and a digest, and anything that
//! does not match exactly is dropped (and made again), never served.

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use md5::{Digest, Md5};
use sha2::Sha256;
use signet_storage::{ObjectKey, StorageError, Store};
use signet_transform::pipeline::{sniff, Format};

use crate::admin::metrics::Metrics;

/// The first bytes of every result object (and its layout's version).
const MAGIC: &[u8; 8] = b"SIGNETR1";

/// Formats a variant can be: what the pipeline encodes.
const OUTPUTS: [Format; 5] = [
    Format::Jpeg,
    Format::Png,
    Format::Gif,
    Format::WebP,
    Format::Avif,
];

/// One variant: what the memory cache holds and the tier stores.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Variant {
    pub(crate) bytes: Bytes,
    pub(crate) format: Format,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// The tier: a store (a bucket, a prefix of one, or a folder) and how long
/// a lookup may take.
pub(crate) struct Results {
    store: Arc<dyn Store>,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl Results {
    pub(crate) fn new(store: Arc<dyn Store>, timeout: Duration, metrics: Arc<Metrics>) -> Results {
        Results {
            store,
            timeout,
            metrics,
        }
    }

    /// The variant stored under `cache_key`, if there is a sound one. Every
    /// failure is counted and reads as a miss.
    pub(crate) async fn get(&self, cache_key: &str) -> Option<Variant> {
        let key = object_key(cache_key)?;
        let read = tokio::time::timeout(self.timeout, async {
            let body = self.store.read(&key, None).await?;
            collect(body).await
        })
        .await;
        let bytes = match read {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(StorageError::NotFound)) => {
                self.metrics.result("miss");
                return None;
            }
            Ok(Err(e)) => {
                self.metrics.result("error");
                tracing::debug!(error = %e, "result tier read failed");
                return None;
            }
            Err(_) => {
                self.metrics.result("error");
                tracing::debug!("result tier read timed out");
                return None;
            }
        };
        match decode(&bytes, cache_key) {
            Some(stored) => {
                self.metrics.result("hit");
                self.metrics.results_bytes.inc_by(stored.bytes.len() as u64);
                Some(stored)
            }
            None => {
                self.metrics.result("corrupt");
                tracing::warn!(object = %key, "dropping a result object that does not match its key");
                if let Err(e) = self.store.delete(&key).await {
                    tracing::debug!(error = %e, "cannot drop a bad result object");
                }
                None
            }
        }
    }

    /// Writes a variant in the background (create-only).
    pub(crate) fn put(self: &Arc<Self>, cache_key: &str, stored: &Variant) {
        let Some(key) = object_key(cache_key) else {
            return;
        };
        let object = encode(cache_key, stored);
        let tier = Arc::clone(self);
        tokio::spawn(async move {
            let written = tier
                .store
                .put_new(&key, object, "application/octet-stream")
                .await;
            match written {
                Ok(true) => tier.metrics.result("stored"),
                Ok(false) => tier.metrics.result("exists"),
                Err(e) => {
                    tier.metrics.result("put_failure");
                    tracing::debug!(error = %e, "result tier write failed");
                }
            }
        });
    }

    /// Deletes result objects last written before `cutoff` (`signet results
    /// prune`, for stores without lifecycle rules). Returns (kept, deleted).
    pub(crate) async fn prune(
        &self,
        cutoff: std::time::SystemTime,
    ) -> Result<(u64, u64), StorageError> {
        let mut kept = 0;
        let mut deleted = 0;
        let mut folders = vec![signet_storage::FolderKey::root()];
        while let Some(folder) = folders.pop() {
            let mut continuation = None;
            loop {
                let page = self
                    .store
                    .list(&folder, continuation.as_deref(), 1000)
                    .await?;
                for entry in page.entries {
                    if entry.is_folder {
                        let sub = format!("{}{}/", folder.as_str(), entry.name);
                        folders.push(signet_storage::FolderKey::new(&sub)?);
                    } else if entry.modified.is_some_and(|m| m < cutoff) {
                        self.store.delete(&folder.join(&entry.name)?).await?;
                        deleted += 1;
                    } else {
                        kept += 1;
                    }
                }
                match page.continuation {
                    Some(c) => continuation = Some(c),
                    None => break,
                }
            }
        }
        Ok((kept, deleted))
    }
}

/// `ab/abcdef…`: the SHA-256 of the variant key, fanned out by its first
/// byte. The key never holds a token (the variant key does not).
fn object_key(cache_key: &str) -> Option<ObjectKey> {
    let digest = hex::encode(Sha256::digest(cache_key.as_bytes()));
    ObjectKey::new(&format!("{}/{digest}", &digest[..2])).ok()
}

async fn collect(body: signet_storage::ObjectBody) -> Result<Bytes, StorageError> {
    use futures_util::StreamExt;
    let mut out = BytesMut::with_capacity(usize::try_from(body.meta.size).unwrap_or(0));
    let mut stream = body.stream;
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out.freeze())
}

/// `MAGIC`, the header's length (u32 LE), the header (`format`, width,
/// height, then the variant key, `\n`-separated), the body's length (u64
/// LE), the body, and the MD5 of everything before it.
fn encode(cache_key: &str, stored: &Variant) -> Bytes {
    let header = format!(
        "{}\n{}\n{}\n{cache_key}",
        stored.format.name(),
        stored.width,
        stored.height
    );
    let mut out = BytesMut::with_capacity(8 + 4 + header.len() + 8 + stored.bytes.len() + 16);
    out.put_slice(MAGIC);
    out.put_u32_le(u32::try_from(header.len()).unwrap_or(u32::MAX));
    out.put_slice(header.as_bytes());
    out.put_u64_le(stored.bytes.len() as u64);
    out.put_slice(&stored.bytes);
    let digest = Md5::digest(&out);
    out.put_slice(&digest);
    out.freeze()
}

/// The variant in `object` if it is whole, sound and made for `cache_key`.
fn decode(object: &Bytes, cache_key: &str) -> Option<Variant> {
    let (content, digest) = object.split_at(object.len().checked_sub(16)?);
    if Md5::digest(content)[..] != *digest {
        return None;
    }
    let rest = content.strip_prefix(MAGIC)?;
    let (len, rest) = rest.split_at_checked(4)?;
    let header_len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
    let (header, rest) = rest.split_at_checked(header_len)?;
    let (len, body) = rest.split_at_checked(8)?;
    if u64::from_le_bytes(len.try_into().ok()?) != body.len() as u64 {
        return None;
    }
    let mut fields = std::str::from_utf8(header).ok()?.splitn(4, '\n');
    let name = fields.next()?;
    let width = fields.next()?.parse().ok()?;
    let height = fields.next()?.parse().ok()?;
    // A different variant under this object's name is never served.
    if fields.next()? != cache_key {
        return None;
    }
    let format = OUTPUTS.into_iter().find(|f| f.name() == name)?;
    if sniff(body) != Some(format) {
        return None;
    }
    let start = object.len() - 16 - body.len();
    Some(Variant {
        bytes: object.slice(start..start + body.len()),
        format,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Variant {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(b"rest of a png");
        Variant {
            bytes: bytes.into(),
            format: Format::Png,
            width: 3,
            height: 2,
        }
    }

    #[test]
    fn a_sound_object_comes_back_as_it_went_in() {
        let object = encode("a.jpg\nv1\nw=3\npng\n", &png());
        assert_eq!(decode(&object, "a.jpg\nv1\nw=3\npng\n"), Some(png()));
    }

    #[test]
    fn another_variants_object_is_never_served() {
        let object = encode("a.jpg\nv1\nw=3\npng\n", &png());
        assert_eq!(decode(&object, "b.jpg\nv1\nw=3\npng\n"), None);
        assert_eq!(decode(&object, "a.jpg\nv2\nw=3\npng\n"), None);
    }

    #[test]
    fn truncated_flipped_or_mistyped_objects_are_refused() {
        let key = "a.jpg\nv1\nw=3\npng\n";
        let object = encode(key, &png());
        for cut in [
            0,
            1,
            8,
            12,
            object.len() / 2,
            object.len() - 17,
            object.len() - 1,
        ] {
            assert_eq!(decode(&object.slice(..cut), key), None, "cut at {cut}");
        }
        for at in [0, 9, 14, object.len() - 20, object.len() - 3] {
            let mut flipped = object.to_vec();
            flipped[at] ^= 0x40;
            assert_eq!(decode(&Bytes::from(flipped), key), None, "flipped at {at}");
        }
        // Sound framing around a body that is not what the header says.
        let lying = Variant {
            format: Format::Jpeg,
            ..png()
        };
        assert_eq!(decode(&encode(key, &lying), key), None);
    }

    #[test]
    fn object_keys_are_fanned_out_digests() {
        let key = object_key("a.jpg\nv1").unwrap();
        let (fan, name) = key.as_str().split_once('/').unwrap();
        assert_eq!(name.len(), 64);
        assert_eq!(fan, &name[..2]);
        assert_ne!(object_key("a.jpg\nv2"), Some(key));
    }
}
