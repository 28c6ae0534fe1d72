//! Where media lives: the `Store` trait and its back ends (a local folder or
//! an S3 bucket, the latter with the default `s3` feature). Knows nothing of
//! images, tokens or HTTP.

// Data from clients and buckets must never panic the server.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod fs;
mod key;
#[cfg(feature = "s3")]
mod s3;
mod s3_settings;
#[cfg(feature = "testing")]
pub mod testing;

use std::ops::Range;
use std::pin::Pin;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::Stream;

pub use error::{Result, StorageError};
pub use fs::FsStore;
pub use key::{FolderKey, ObjectKey};
#[cfg(feature = "s3")]
pub use s3::S3Store;
pub use s3_settings::{RetryMode, S3Settings, MIN_PART_SIZE};

/// A body read from, or written to, a store: chunks as they arrive.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// What a store knows about an object without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub size: u64,
    pub modified: SystemTime,
    /// An opaque version tag that changes whenever the content does
    /// (quoted as a strong HTTP `ETag` by the server).
    pub etag: String,
    /// The stored content type, when the back end keeps one.
    pub content_type: Option<String>,
}

/// An object being read: its metadata and the requested bytes.
pub struct ObjectBody {
    pub meta: ObjectMeta,
    /// The byte range this body holds (the whole object when none was asked).
    pub range: Range<u64>,
    pub stream: ByteStream,
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name within the folder (no `/`).
    pub name: String,
    pub is_folder: bool,
    /// Zero for folders.
    pub size: u64,
    pub modified: Option<SystemTime>,
    /// The object's version tag, as [`ObjectMeta::etag`] (`None` for folders).
    pub etag: Option<String>,
}

/// A page of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// Entries in byte order of their names.
    pub entries: Vec<Entry>,
    /// Pass back to `list` for the next page; `None` on the last one.
    pub continuation: Option<String>,
}

/// A page of a recursive walk: objects under a folder at any depth.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Objects in byte order of their keys.
    pub objects: Vec<(ObjectKey, ObjectMeta)>,
    /// Pass back to `walk` for the next page; `None` on the last one.
    pub continuation: Option<String>,
}

/// An object store. Keys come only from [`ObjectKey`]/[`FolderKey`], which
/// cannot name anything outside the store.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Metadata of an object; `NotFound` for folders and missing keys.
    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta>;

    /// Streams an object, or the given byte range of it (end exclusive,
    /// already clamped by the caller to the size it saw in `stat`).
    async fn read(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody>;

    /// Lists a folder, `limit` entries at a time.
    async fn list(
        &self,
        folder: &FolderKey,
        continuation: Option<&str>,
        limit: usize,
    ) -> Result<Listing>;

    /// Every object under `folder`, at any depth, `limit` at a time, in
    /// key order. Folders themselves are not listed; a missing folder walks
    /// as empty.
    async fn walk(
        &self,
        folder: &FolderKey,
        continuation: Option<&str>,
        limit: usize,
    ) -> Result<Walk>;

    /// Removes `folder` and the folders under it that hold no objects (after
    /// their objects were deleted); folders still holding one are left.
    async fn prune_folder(&self, folder: &FolderKey) -> Result<()>;

    /// Writes an object from a stream, replacing any existing one. The new
    /// object is visible only once complete.
    async fn put(
        &self,
        key: &ObjectKey,
        body: ByteStream,
        content_type: Option<&str>,
    ) -> Result<ObjectMeta>;

    /// Writes a small object only if there is none at `key` yet (S3's
    /// `If-None-Match: *`): `Ok(false)` when one already was, which is left
    /// as it is. Writers racing on one key never overwrite each other.
    async fn put_new(&self, key: &ObjectKey, body: Bytes, content_type: &str) -> Result<bool>;

    /// Creates an (empty) folder.
    async fn create_folder(&self, folder: &FolderKey) -> Result<()>;

    /// Deletes an object; `NotFound` when there was none.
    async fn delete(&self, key: &ObjectKey) -> Result<()>;

    async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta>;

    async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta>;

    /// Whether the store is reachable (for `/ready`).
    async fn check(&self) -> Result<()>;

    /// A short description for logs (`fs:/srv/media`), with no secrets.
    fn describe(&self) -> String;
}

/// Streaming types `mime_guess` gets wrong or lacks, as HLS and DASH
/// players expect them (RFC 8216 §4, ISO/IEC 23009-1): it says
/// `audio/x-mpegurl` for `.m3u8`, `video/vnd.dlna.mpeg-tts` for `.ts` and
/// nothing for `.m4s`.
const STREAMING_TYPES: [(&str, &str); 4] = [
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("ts", "video/mp2t"),
    ("m4s", "video/iso.segment"),
    ("mpd", "application/dash+xml"),
];

/// Guesses a content type from a key's extension.
pub fn guess_content_type(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    if let Some((_, ext)) = name.rsplit_once('.') {
        if let Some((_, t)) = STREAMING_TYPES
            .iter()
            .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        {
            return (*t).to_owned();
        }
    }
    mime_guess::from_path(key)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned()
}

#[cfg(test)]
mod content_type_tests {
    use super::guess_content_type;

    #[test]
    fn streaming_files_get_the_types_players_expect() {
        for (key, want) in [
            ("v/master.m3u8", "application/vnd.apple.mpegurl"),
            ("v/ts/seg000.TS", "video/mp2t"),
            ("v/fmp4/seg001.m4s", "video/iso.segment"),
            ("v/init.mp4", "video/mp4"),
            ("v/manifest.mpd", "application/dash+xml"),
            ("v/subs.vtt", "text/vtt"),
            ("a.jpg", "image/jpeg"),
            ("noext", "application/octet-stream"),
        ] {
            assert_eq!(guess_content_type(key), want, "{key}");
        }
    }
}
