//! Whole folders: delete and rename, recursive, on a folder or S3 alike.
//! Each first lists what it would touch and refuses past the cap
//! (`api.max_folder_files`) before touching anything. A rename copies every
//! file, then deletes the originals: if a copy fails, the copies made so far
//! are removed and the source is as it was.

use signet_storage::{FolderKey, ObjectKey};

use super::{meta, RESERVED};
use crate::core::Core;
use crate::http::error::Error;

/// Every file under `folder` (sidecars aside), or 409 past `cap`.
pub(crate) async fn files_under(
    core: &Core,
    folder: &FolderKey,
    cap: usize,
) -> Result<Vec<ObjectKey>, Error> {
    let mut keys = Vec::new();
    let mut continuation = None;
    loop {
        let page = core
            .store()
            .walk(folder, continuation.as_deref(), 1000)
            .await?;
        keys.extend(
            page.objects
                .into_iter()
                .map(|(k, _)| k)
                .filter(|k| !k.as_str().starts_with(RESERVED)),
        );
        if keys.len() > cap {
            return Err(Error::Conflict(format!(
                "/{} holds more than {cap} files (api.max_folder_files): \
                 delete or move its subfolders first",
                folder.as_str()
            )));
        }
        match page.continuation {
            Some(c) => continuation = Some(c),
            None => return Ok(keys),
        }
    }
}

/// Deletes one file with its metadata, and forgets it everywhere.
pub(crate) async fn delete_file(core: &Core, key: &ObjectKey) -> Result<(), Error> {
    core.store().delete(key).await?;
    meta::deleted(core.store(), key).await?;
    core.invalidate(key).await;
    Ok(())
}

/// Deletes a folder and everything in it; the number of files deleted.
pub(crate) async fn delete(core: &Core, folder: &FolderKey, cap: usize) -> Result<usize, Error> {
    if folder.is_root() {
        return Err(Error::BadRequest(
            "the root folder cannot be deleted".to_owned(),
        ));
    }
    // The folder must exist (an object or a listing).
    core.store().list(folder, None, 1).await?;
    let keys = files_under(core, folder, cap).await?;
    for key in &keys {
        match delete_file(core, key).await {
            Ok(()) | Err(Error::Storage(signet_storage::StorageError::NotFound)) => {}
            Err(e) => return Err(e),
        }
    }
    core.store().prune_folder(folder).await?;
    Ok(keys.len())
}

/// Moves a folder and everything in it to `to`, which must not exist yet.
pub(crate) async fn rename(
    core: &Core,
    from: &FolderKey,
    to: &FolderKey,
    cap: usize,
) -> Result<usize, Error> {
    if from.is_root() || to.is_root() {
        return Err(Error::BadRequest(
            "the root folder cannot be renamed".to_owned(),
        ));
    }
    if to.as_str().starts_with(from.as_str()) {
        return Err(Error::BadRequest(format!(
            "cannot move /{} into itself",
            from.as_str()
        )));
    }
    core.store().list(from, None, 1).await?;
    if core.store().list(to, None, 1).await.is_ok() || core.store().stat(&key_of(to)?).await.is_ok()
    {
        return Err(Error::Conflict(format!("/{} already exists", to.as_str())));
    }
    let keys = files_under(core, from, cap).await?;
    // Every target name is checked before anything is written.
    let targets = keys
        .iter()
        .map(|key| {
            to.join(&key.as_str()[from.as_str().len()..]).map_err(|e| {
                Error::BadRequest(format!("/{key} cannot move to /{}: {e}", to.as_str()))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut copied: Vec<ObjectKey> = Vec::with_capacity(keys.len());
    let mut made_folder = None;
    for (key, target) in keys.iter().zip(&targets) {
        let result = async {
            // Each target folder is made first: some S3 servers refuse a
            // copy into a folder that does not exist.
            let parent = target.parent();
            if made_folder.as_ref() != Some(&parent) {
                core.store().create_folder(&parent).await?;
                made_folder = Some(parent);
            }
            core.store().copy(key, target).await?;
            meta::copied(core.store(), key, target).await
        }
        .await;
        if let Err(e) = result {
            for made in copied.iter().chain(std::iter::once(target)) {
                let _ = core.store().delete(made).await;
                let _ = meta::deleted(core.store(), made).await;
            }
            let _ = core.store().prune_folder(to).await;
            tracing::warn!(from = %from.as_str(), error = %e, "folder rename undone");
            return Err(Error::Conflict(format!(
                "renaming /{} failed at /{key} after {} of {} files ({}); \
                 the copies were removed and the folder is as it was",
                from.as_str(),
                copied.len(),
                keys.len(),
                e.text()
            )));
        }
        copied.push(target.clone());
    }
    for (key, target) in keys.iter().zip(&copied) {
        delete_file(core, key).await?;
        core.invalidate(target).await;
    }
    core.store().prune_folder(from).await?;
    core.store().create_folder(to).await?;
    Ok(keys.len())
}

/// `a/b/` as the object key `a/b` (to see whether a file has that name).
fn key_of(folder: &FolderKey) -> Result<ObjectKey, Error> {
    ObjectKey::new(folder.as_str().trim_end_matches('/'))
        .map_err(|e| Error::BadRequest(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::ops::Range;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use bytes::Bytes;
    use signet_storage::{
        ByteStream, FsStore, Listing, ObjectBody, ObjectMeta, Result, Store, Walk,
    };

    use super::*;
    use crate::config::test_config;

    /// A real folder store whose third copy fails, as a dropped connection
    /// to S3 would.
    struct FailingCopies {
        inner: FsStore,
        copies: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl Store for FailingCopies {
        async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta> {
            self.inner.stat(key).await
        }
        async fn read(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody> {
            self.inner.read(key, range).await
        }
        async fn list(&self, f: &FolderKey, c: Option<&str>, limit: usize) -> Result<Listing> {
            self.inner.list(f, c, limit).await
        }
        async fn walk(&self, f: &FolderKey, c: Option<&str>, limit: usize) -> Result<Walk> {
            self.inner.walk(f, c, limit).await
        }
        async fn prune_folder(&self, f: &FolderKey) -> Result<()> {
            self.inner.prune_folder(f).await
        }
        async fn put(&self, k: &ObjectKey, b: ByteStream, t: Option<&str>) -> Result<ObjectMeta> {
            self.inner.put(k, b, t).await
        }
        async fn put_new(&self, k: &ObjectKey, b: Bytes, t: &str) -> Result<bool> {
            self.inner.put_new(k, b, t).await
        }
        async fn create_folder(&self, f: &FolderKey) -> Result<()> {
            self.inner.create_folder(f).await
        }
        async fn delete(&self, k: &ObjectKey) -> Result<()> {
            self.inner.delete(k).await
        }
        async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta> {
            if self.copies.fetch_add(1, Ordering::SeqCst) == 2 {
                return Err(signet_storage::StorageError::Unavailable("cut".into()));
            }
            self.inner.copy(from, to).await
        }
        async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta> {
            self.inner.rename(from, to).await
        }
        async fn check(&self) -> Result<()> {
            Ok(())
        }
        fn describe(&self) -> String {
            "failing".into()
        }
    }

    #[tokio::test]
    async fn a_rename_that_fails_midway_leaves_the_source_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a/1.txt", "a/2.txt", "a/sub/3.txt", "a/sub/4.txt"] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, name).unwrap();
        }
        let store = Arc::new(FailingCopies {
            inner: FsStore::new(dir.path()).unwrap(),
            copies: AtomicUsize::new(0),
        });
        let core = Core::with_store(test_config(""), store, &|_| None).unwrap();
        let (from, to) = (FolderKey::new("a").unwrap(), FolderKey::new("b").unwrap());
        let err = rename(&core, &from, &to, 100).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
        assert!(err.text().contains("after 2 of 4 files"), "{}", err.text());
        for name in ["a/1.txt", "a/2.txt", "a/sub/3.txt", "a/sub/4.txt"] {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(name)).unwrap(),
                name
            );
        }
        assert!(!dir.path().join("b").exists(), "the copies are gone");
        // Past the cap: refused before anything is touched.
        let err = delete(&core, &from, 3).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(_)));
        assert!(dir.path().join("a/1.txt").exists());
        assert_eq!(delete(&core, &from, 4).await.unwrap(), 4);
        assert!(!dir.path().join("a").exists());
    }
}
