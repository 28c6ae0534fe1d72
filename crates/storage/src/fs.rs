//! The local-folder store: objects are files under a root directory.
//!
//! Every path is resolved with symlinks followed and must stay under the
//! (canonical) root; anything else is reported as not found.

use std::io::ErrorKind;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::{
    ByteStream, Entry, FolderKey, Listing, ObjectBody, ObjectKey, ObjectMeta, Result, StorageError,
    Store, Walk,
};

/// Read chunk size: large enough for few syscalls and blocking-pool hops,
/// small enough to keep memory flat per stream (two chunks in flight).
const CHUNK: usize = 256 * 1024;
/// Files being written are named with this prefix and hidden from listings.
const TEMP_PREFIX: &str = ".signet-tmp-";

/// A store over a local directory.
#[derive(Debug)]
pub struct FsStore {
    root: PathBuf,
    buffers: Arc<Buffers>,
}

impl FsStore {
    /// Opens `root`, which must be an existing directory.
    pub fn new(root: impl AsRef<Path>) -> Result<FsStore> {
        let root = std::fs::canonicalize(root.as_ref())?;
        if !root.is_dir() {
            return Err(StorageError::Io(std::io::Error::new(
                ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            )));
        }
        Ok(FsStore {
            root,
            buffers: Arc::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path of an existing entry, if it lies under the root.
    async fn resolve(&self, relative: &str) -> Result<PathBuf> {
        let joined = self.root.join(relative);
        let real = match tokio::fs::canonicalize(&joined).await {
            Ok(p) => p,
            Err(e) if is_missing(&e) => return Err(StorageError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if !real.starts_with(&self.root) {
            return Err(StorageError::NotFound);
        }
        Ok(real)
    }

    async fn resolve_file(&self, key: &ObjectKey) -> Result<(PathBuf, std::fs::Metadata)> {
        let path = self.resolve(key.as_str()).await?;
        let meta = tokio::fs::metadata(&path).await?;
        if !meta.is_file() {
            return Err(StorageError::NotFound);
        }
        Ok((path, meta))
    }

    /// Creates `folder` under the root one segment at a time, refusing to
    /// follow a symlink out of the root, and returns its real path.
    async fn ensure_folder(&self, folder: &FolderKey) -> Result<PathBuf> {
        let mut current = self.root.clone();
        for segment in folder.as_str().split('/').filter(|s| !s.is_empty()) {
            current.push(segment);
            match tokio::fs::symlink_metadata(&current).await {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    let real = tokio::fs::canonicalize(&current).await?;
                    if !real.starts_with(&self.root) || !real.is_dir() {
                        return Err(StorageError::InvalidKey("folder leads outside the store"));
                    }
                    current = real;
                }
                Ok(_) => return Err(StorageError::AlreadyExists),
                Err(e) if is_missing(&e) => match tokio::fs::create_dir(&current).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e.into()),
                },
                Err(e) => return Err(e.into()),
            }
        }
        Ok(current)
    }

    /// A fresh temporary path in `dir`, for write-then-rename.
    fn temp_path(dir: &Path) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        dir.join(format!("{TEMP_PREFIX}{}-{n}", std::process::id()))
    }

    async fn meta_of(path: &Path) -> Result<ObjectMeta> {
        let meta = tokio::fs::metadata(path).await?;
        Ok(object_meta(&meta))
    }
}

/// Idle chunk buffers kept for reuse (at most this many; 16 MiB): steady
/// streaming then reads into pages already resident instead of faulting in
/// and zeroing fresh ones for every chunk (a fifth of the CPU without it).
const POOLED: usize = 64;

/// Chunk buffers given back by the bodies that used them.
#[derive(Debug, Default)]
struct Buffers(Mutex<Vec<Vec<u8>>>);

impl Buffers {
    fn take(&self) -> Vec<u8> {
        let pooled = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop();
        pooled.unwrap_or_else(|| vec![0; CHUNK])
    }

    fn give_back(&self, buf: Vec<u8>) {
        let mut free = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < POOLED {
            free.push(buf);
        }
    }
}

/// One chunk read from a file: the first `len` bytes of a pooled buffer,
/// which goes back to the pool when the body is done with it.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
    pool: Arc<Buffers>,
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buf));
    }
}

/// Streams `range` of `file` as positioned reads of [`CHUNK`] bytes on the
/// blocking pool, one chunk read ahead while the previous one is written.
/// Each read fills a pooled buffer straight from the kernel (no second copy
/// through an async file's internal buffer).
fn chunks(file: std::fs::File, range: Range<u64>, pool: Arc<Buffers>) -> ByteStream {
    let file = Arc::new(file);
    let end = range.end;
    let reads = futures_util::stream::iter((range.start..end).step_by(CHUNK)).map(move |start| {
        let file = file.clone();
        let pool = pool.clone();
        // At most CHUNK, so the cast cannot truncate.
        let len = (end - start).min(CHUNK as u64) as usize;
        async move {
            tokio::task::spawn_blocking(move || {
                let mut chunk = Chunk {
                    buf: pool.take(),
                    len,
                    pool,
                };
                // A file cut short under the reader is an error, not a
                // short body.
                file.read_exact_at(&mut chunk.buf[..len], start)?;
                Ok(Bytes::from_owner(chunk))
            })
            .await
            .map_err(std::io::Error::other)?
        }
    });
    Box::pin(reads.buffered(2))
}

fn is_missing(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

fn object_meta(meta: &std::fs::Metadata) -> ObjectMeta {
    let modified = meta.modified().unwrap_or(UNIX_EPOCH);
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    ObjectMeta {
        size: meta.len(),
        modified,
        etag: format!("{:x}-{:x}", meta.len(), nanos),
        content_type: None,
    }
}

#[async_trait::async_trait]
impl Store for FsStore {
    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let (_, meta) = self.resolve_file(key).await?;
        Ok(object_meta(&meta))
    }

    async fn read(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody> {
        let (path, _) = self.resolve_file(key).await?;
        let file = tokio::fs::File::open(&path).await?.into_std().await;
        // Metadata of the opened file, so size and ETag describe what we stream.
        let meta = object_meta(&file.metadata()?);
        let range = match range {
            Some(r) => r.start.min(meta.size)..r.end.min(meta.size),
            None => 0..meta.size,
        };
        Ok(ObjectBody {
            meta,
            range: range.clone(),
            stream: chunks(file, range, self.buffers.clone()),
        })
    }

    async fn list(
        &self,
        folder: &FolderKey,
        continuation: Option<&str>,
        limit: usize,
    ) -> Result<Listing> {
        let dir = if folder.is_root() {
            self.root.clone()
        } else {
            self.resolve(folder.as_str()).await?
        };
        let mut read = match tokio::fs::read_dir(&dir).await {
            Ok(r) => r,
            Err(e) if is_missing(&e) => return Err(StorageError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let mut entries = Vec::new();
        while let Some(item) = read.next_entry().await? {
            let Ok(name) = item.file_name().into_string() else {
                continue; // not UTF-8: no URL can name it
            };
            if name.starts_with(TEMP_PREFIX) || continuation.is_some_and(|c| name.as_str() <= c) {
                continue;
            }
            let Ok(real) = self.resolve(&format!("{}{name}", folder.as_str())).await else {
                continue; // a symlink leading outside the root
            };
            let meta = tokio::fs::metadata(&real).await?;
            entries.push(Entry {
                name,
                is_folder: meta.is_dir(),
                size: if meta.is_dir() { 0 } else { meta.len() },
                modified: meta.modified().ok(),
                etag: (!meta.is_dir()).then(|| object_meta(&meta).etag),
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let continuation = if entries.len() > limit {
            entries.truncate(limit);
            entries.last().map(|e| e.name.clone())
        } else {
            None
        };
        Ok(Listing {
            entries,
            continuation,
        })
    }

    async fn walk(
        &self,
        folder: &FolderKey,
        continuation: Option<&str>,
        limit: usize,
    ) -> Result<Walk> {
        let dir = match self.resolve(folder.as_str()).await {
            Ok(dir) => dir,
            Err(StorageError::NotFound) => return Ok(Walk::default()),
            Err(e) => return Err(e),
        };
        let (root, prefix) = (self.root.clone(), folder.as_str().to_owned());
        let after = continuation.map(str::to_owned);
        let limit = limit.max(1);
        tokio::task::spawn_blocking(move || {
            let mut walk = Walker {
                root: &root,
                after: after.as_deref(),
                limit,
                objects: Vec::new(),
            };
            walk.visit(&dir, &prefix)?;
            let mut objects = walk.objects;
            let continuation = if objects.len() > limit {
                objects.truncate(limit);
                objects.last().map(|(k, _)| k.as_str().to_owned())
            } else {
                None
            };
            Ok(Walk {
                objects,
                continuation,
            })
        })
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
    }

    async fn prune_folder(&self, folder: &FolderKey) -> Result<()> {
        if folder.is_root() {
            return Ok(());
        }
        let dir = match self.resolve(folder.as_str()).await {
            Ok(dir) if dir != self.root => dir,
            Ok(_) | Err(StorageError::NotFound) => return Ok(()),
            Err(e) => return Err(e),
        };
        tokio::task::spawn_blocking(move || prune(&dir))
            .await
            .map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
        Ok(())
    }

    async fn put(
        &self,
        key: &ObjectKey,
        mut body: ByteStream,
        _content_type: Option<&str>,
    ) -> Result<ObjectMeta> {
        let dir = self.ensure_folder(&key.parent()).await?;
        let dest = dir.join(key.file_name());
        if tokio::fs::metadata(&dest).await.is_ok_and(|m| m.is_dir()) {
            return Err(StorageError::AlreadyExists);
        }
        let temp = Self::temp_path(&dir);
        let written = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            while let Some(chunk) = body.next().await {
                file.write_all(&chunk?).await?;
            }
            file.sync_all().await?;
            tokio::fs::rename(&temp, &dest).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e.into());
        }
        Self::meta_of(&dest).await
    }

    async fn put_new(&self, key: &ObjectKey, body: Bytes, _content_type: &str) -> Result<bool> {
        let dir = self.ensure_folder(&key.parent()).await?;
        let dest = dir.join(key.file_name());
        let temp = Self::temp_path(&dir);
        // A hard link never replaces its target: the first writer wins.
        let linked = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            file.write_all(&body).await?;
            file.sync_all().await?;
            tokio::fs::hard_link(&temp, &dest).await
        }
        .await;
        let _ = tokio::fs::remove_file(&temp).await;
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn create_folder(&self, folder: &FolderKey) -> Result<()> {
        self.ensure_folder(folder).await.map(|_| ())
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        let dir = self.resolve(key.parent().as_str()).await?;
        let path = dir.join(key.file_name());
        match tokio::fs::symlink_metadata(&path).await {
            Ok(m) if m.is_dir() => Err(StorageError::NotFound),
            Ok(_) => Ok(tokio::fs::remove_file(&path).await?),
            Err(e) if is_missing(&e) => Err(StorageError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta> {
        let (source, _) = self.resolve_file(from).await?;
        let dir = self.ensure_folder(&to.parent()).await?;
        let temp = Self::temp_path(&dir);
        if let Err(e) = tokio::fs::copy(&source, &temp).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e.into());
        }
        let dest = dir.join(to.file_name());
        tokio::fs::rename(&temp, &dest).await?;
        Self::meta_of(&dest).await
    }

    async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta> {
        self.resolve_file(from).await?;
        let source = self
            .resolve(from.parent().as_str())
            .await?
            .join(from.file_name());
        let dir = self.ensure_folder(&to.parent()).await?;
        let dest = dir.join(to.file_name());
        tokio::fs::rename(&source, &dest).await?;
        Self::meta_of(&dest).await
    }

    async fn check(&self) -> Result<()> {
        match tokio::fs::metadata(&self.root).await {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(StorageError::Unavailable("root is not a directory".into())),
            Err(e) => Err(StorageError::Unavailable(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        format!("fs:{}", self.root.display())
    }
}

/// A depth-first walk in key order, collecting one object past `limit` so
/// the caller knows whether there is more.
struct Walker<'a> {
    root: &'a Path,
    after: Option<&'a str>,
    limit: usize,
    objects: Vec<(ObjectKey, ObjectMeta)>,
}

impl Walker<'_> {
    fn visit(&mut self, dir: &Path, prefix: &str) -> std::io::Result<()> {
        let mut items = Vec::new();
        for item in std::fs::read_dir(dir)? {
            let item = item?;
            let Ok(name) = item.file_name().into_string() else {
                continue; // not UTF-8: no URL can name it
            };
            if name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let mut path = item.path();
            let mut meta = std::fs::symlink_metadata(&path)?;
            if meta.file_type().is_symlink() {
                // Followed to files inside the root only: a linked folder
                // could loop.
                match std::fs::canonicalize(&path) {
                    Ok(real) if real.starts_with(self.root) && real.is_file() => {
                        meta = std::fs::metadata(&real)?;
                        path = real;
                    }
                    _ => continue,
                }
            }
            // Folders sort as `name/`, so the walk comes out in key order.
            let key = if meta.is_dir() {
                format!("{prefix}{name}/")
            } else {
                format!("{prefix}{name}")
            };
            items.push((key, path, meta));
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, path, meta) in items {
            if self.objects.len() > self.limit {
                break;
            }
            if meta.is_dir() {
                // Everything under `key` sorts before `after` unless
                // `after` lies inside it.
                let before = self
                    .after
                    .is_some_and(|a| key.as_str() < a && !a.starts_with(&key));
                if !before {
                    self.visit(&path, &key)?;
                }
            } else if meta.is_file() // (sockets, pipes and devices are not objects)
                && self.after.is_none_or(|a| key.as_str() > a)
            {
                if let Ok(key) = ObjectKey::new(&key) {
                    self.objects.push((key, object_meta(&meta)));
                }
            }
        }
        Ok(())
    }
}

/// Removes `dir` and every folder under it left empty, bottom up; folders
/// that still hold something stay.
fn prune(dir: &Path) {
    if let Ok(items) = std::fs::read_dir(dir) {
        for item in items.flatten() {
            if item.file_type().is_ok_and(|t| t.is_dir()) {
                prune(&item.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

#[cfg(test)]
mod tests;
