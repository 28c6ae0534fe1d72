//! Sirv's batch jobs: `POST /v2/files/batch/delete` and `POST /v2/files/zip`
//! answer `{id}`, polled with `GET …?id=`; the SDKs' spellings of the same
//! calls are routed here too (docs/rest-api.md lists them). Names ending in
//! `/`, or naming a folder, take the whole folder (up to
//! `api.max_folder_files`).

use std::sync::Arc;

use http::{header, HeaderValue, Response};
use serde_json::{json, Value};
use signet_storage::{FolderKey, ObjectKey};

use super::{file_key, folder_key, ApiResult};
use crate::catalog::folders;
use crate::catalog::jobs::{self, Job, Kind, MAX_BATCH_NAMES};
use crate::catalog::RESERVED;
use crate::core::Core;
use crate::http::body::{json, stream};
use crate::http::error::Error;

/// The names of a batch body: `{"filenames": [...]}`, or a bare list (the
/// Python SDK's `batch_delete`).
pub(super) fn names(body: &Value) -> Result<Vec<String>, Error> {
    let list = match body {
        Value::Array(list) => list,
        Value::Object(map) => match map.get("filenames") {
            Some(Value::Array(list)) => list,
            _ => return Err(Error::BadRequest("`filenames` must be a list".to_owned())),
        },
        _ => return Err(Error::BadRequest("`filenames` must be a list".to_owned())),
    };
    if list.is_empty() {
        return Err(Error::BadRequest("`filenames` is empty".to_owned()));
    }
    if list.len() > MAX_BATCH_NAMES {
        return Err(Error::PayloadTooLarge(format!(
            "a batch names at most {MAX_BATCH_NAMES} files"
        )));
    }
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| Error::BadRequest("`filenames` must be strings".to_owned()))
        })
        .collect()
}

/// What a name stands for.
enum Target {
    File(ObjectKey),
    Folder(FolderKey),
}

async fn target(core: &Core, name: &str) -> Result<Target, Error> {
    if name.ends_with('/') {
        return Ok(Target::Folder(folder_key(name)?));
    }
    let key = file_key(name)?;
    match super::files::as_folder(core, name).await? {
        Some(folder) => Ok(Target::Folder(folder)),
        None => {
            core.store().stat(&key).await?;
            Ok(Target::File(key))
        }
    }
}

/// Starts a batch delete; its names are checked as it runs, each getting
/// its own result.
pub(super) fn delete(core: &Arc<Core>, names: Vec<String>) -> ApiResult {
    let job = Arc::new(Job::new(Kind::Delete, names.len()));
    core.catalog.jobs.add(job.clone())?;
    let core = core.clone();
    let id = job.id.clone();
    tokio::spawn(async move {
        let cap = core.config.api.max_folder_files;
        for name in names {
            let outcome = match target(&core, &name).await {
                Ok(Target::File(key)) => folders::delete_file(&core, &key).await.map(|()| 1),
                Ok(Target::Folder(folder)) => folders::delete(&core, &folder, cap).await,
                Err(e) => Err(e),
            };
            let result = match outcome {
                Ok(_) => json!({"filename": name, "success": true}),
                Err(e) => json!({"filename": name, "success": false, "error": e.text()}),
            };
            let mut state = job.state();
            state.results.push(result);
            state.done += 1;
        }
        job.state().finished = true;
    });
    Ok(json(&json!({"id": id, "jobId": id})))
}

/// Fixes a zip's file list (folders expanded, caps checked) and answers
/// its id; the archive itself streams from `GET /v2/files/zip/download`.
pub(super) async fn zip(core: &Core, body: &Value, zip_name: Option<String>) -> ApiResult {
    let names = names(body)?;
    let name = zip_name.unwrap_or_else(|| "signet.zip".to_owned());
    if name.len() > 64 || name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        return Err(Error::BadRequest(
            "`zipFilename` is a file name of at most 64 bytes".to_owned(),
        ));
    }
    let cap = core.config.api.max_folder_files;
    let mut files: Vec<(String, ObjectKey)> = Vec::new();
    let mut sizes = Vec::new();
    for n in &names {
        match target(core, n).await? {
            Target::File(key) => {
                let size = core.store().stat(&key).await?.size;
                files.push((key.file_name().to_owned(), key));
                sizes.push(size);
            }
            Target::Folder(folder) => {
                let base = folder
                    .as_str()
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let mut continuation = None;
                loop {
                    let page = core
                        .store()
                        .walk(&folder, continuation.as_deref(), 1000)
                        .await?;
                    for (key, meta) in page.objects {
                        if key.as_str().starts_with(RESERVED) {
                            continue;
                        }
                        let inside = &key.as_str()[folder.as_str().len()..];
                        files.push((format!("{base}/{inside}"), key));
                        sizes.push(meta.size);
                    }
                    match page.continuation {
                        Some(c) => continuation = Some(c),
                        None => break,
                    }
                }
            }
        }
        if files.len() > cap {
            return Err(Error::Conflict(format!(
                "a zip holds at most {cap} files (api.max_folder_files)"
            )));
        }
    }
    let bytes = jobs::archive_size(files.iter().map(|(n, _)| n.as_str()).zip(sizes));
    let max = core.config.api.max_zip_bytes;
    if bytes > max {
        return Err(Error::Conflict(format!(
            "the archive would be {bytes} bytes, over api.max_zip_bytes ({max})"
        )));
    }
    let total = files.len();
    let job = Arc::new(Job::new(Kind::Zip { name, files, bytes }, total));
    {
        let mut state = job.state();
        state.done = total;
        state.finished = true;
    }
    core.catalog.jobs.add(job.clone())?;
    Ok(json(&json!({"id": job.id, "jobId": job.id})))
}

/// A job's state; a zip's `result` names its archive and where to get it.
pub(super) fn status(core: &Core, id: &str, host: Option<&HeaderValue>) -> ApiResult {
    let job = core.catalog.jobs.get(id).ok_or(Error::NotFound)?;
    let mut out = job.status_json();
    if let Kind::Zip { name, bytes, .. } = &job.kind {
        let base = host
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
            .unwrap_or_default();
        let url = format!("{base}/v2/files/zip/download?id={}", job.id);
        out["result"] = json!([{"filename": name, "size": bytes, "url": url}]);
        out["filename"] = json!(name);
        out["url"] = json!(url);
    }
    Ok(json(&out))
}

/// Streams a zip job's archive.
pub(super) fn download(core: &Core, id: &str) -> ApiResult {
    let job = core.catalog.jobs.get(id).ok_or(Error::NotFound)?;
    let Kind::Zip { name, files, .. } = &job.kind else {
        return Err(Error::NotFound);
    };
    let body = jobs::stream_zip(core.store.clone(), files.clone());
    let mut r = Response::new(stream(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
