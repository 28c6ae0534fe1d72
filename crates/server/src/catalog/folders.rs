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
    let mut copied = Vec::with_capacity(keys.len());
    for key in &keys {
        let target = to
            .join(&key.as_str()[from.as_str().len()..])
            .map_err(|e| Error::BadRequest(format!("{key}: {e}")))?;
        let result = async {
            core.store().copy(key, &target).await?;
            meta::copied(core.store(), key, &target).await
        }
        .await;
        if let Err(e) = result {
            for made in copied.iter().chain(std::iter::once(&target)) {
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
        copied.push(target);
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
