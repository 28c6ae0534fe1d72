//! Batch jobs, polled as Sirv's are: batch delete (runs in the background)
//! and zip (the file list is fixed at once; the archive is streamed from the
//! store when downloaded, never written anywhere). At most [`MAX_JOBS`] are
//! kept, each for [`JOB_TTL`]; past that a new job is refused with 429 until
//! one finishes or expires.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::{json, Value};
use signet_storage::{ByteStream, ObjectKey};

use crate::http::error::Error;

pub(crate) const MAX_JOBS: usize = 64;
pub(crate) const JOB_TTL: Duration = Duration::from_secs(3600);
/// Sirv's cap on the names in one batch request.
pub(crate) const MAX_BATCH_NAMES: usize = 1000;

/// What a job does.
pub(crate) enum Kind {
    Delete,
    Zip {
        name: String,
        /// Path in the archive, and the file.
        files: Vec<(String, ObjectKey)>,
        /// The archive's size, as listed.
        bytes: u64,
    },
}

/// Where a job is.
#[derive(Default)]
pub(crate) struct State {
    pub total: usize,
    pub done: usize,
    /// One entry per name asked for: `{filename, success, error?}`.
    pub results: Vec<Value>,
    pub finished: bool,
}

pub(crate) struct Job {
    pub id: String,
    pub kind: Kind,
    pub state: Mutex<State>,
    created: Instant,
}

impl Job {
    pub(crate) fn new(kind: Kind, total: usize) -> Job {
        Job {
            id: super::random_id(),
            kind,
            state: Mutex::new(State {
                total,
                ..State::default()
            }),
            created: Instant::now(),
        }
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `{id, status, progress, results}`: Sirv's `progress`, with the
    /// status and per-name results the SDKs read.
    pub(crate) fn status_json(&self) -> Value {
        let s = self.state();
        let progress = (s.done * 100).checked_div(s.total).unwrap_or(100);
        json!({
            "id": self.id,
            "jobId": self.id,
            "status": if s.finished { "completed" } else { "processing" },
            "progress": if s.finished { 100 } else { progress },
            "results": s.results,
        })
    }
}

/// The jobs kept.
#[derive(Default)]
pub(crate) struct Jobs(Mutex<VecDeque<Arc<Job>>>);

impl Jobs {
    /// Keeps a new job, dropping expired ones and, when full, the oldest
    /// finished one; 429 when every place holds a running job.
    pub(crate) fn add(&self, job: Arc<Job>) -> Result<(), Error> {
        let mut jobs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        jobs.retain(|j| j.created.elapsed() < JOB_TTL || !j.state().finished);
        if jobs.len() >= MAX_JOBS {
            match jobs.iter().position(|j| j.state().finished) {
                Some(i) => {
                    jobs.remove(i);
                }
                None => return Err(Error::TooManyRequests { retry_after: 5 }),
            }
        }
        jobs.push_back(job);
        Ok(())
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Job>> {
        let jobs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        jobs.iter()
            .find(|j| j.id == id && j.created.elapsed() < JOB_TTL)
            .cloned()
    }
}

// The archive: ZIP with stored entries (images and videos are compressed
// already), sizes and CRC-32 in a data descriptor after each entry, so it
// streams file by file with nothing buffered but a chunk. Archives stay
// under 4 GiB and 65 535 entries (api.max_zip_bytes, api.max_folder_files),
// so no ZIP64 records are needed.
const LOCAL_HEADER: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
/// Bit 3: sizes in the data descriptor; bit 11: names are UTF-8.
const FLAGS: u16 = (1 << 3) | (1 << 11);
/// Largest archive this writer makes (no ZIP64).
pub(crate) const MAX_ARCHIVE_BYTES: u64 = u32::MAX as u64;

/// The size of an archive of these entries (names, sizes).
pub(crate) fn archive_size<'a>(entries: impl Iterator<Item = (&'a str, u64)>) -> u64 {
    let mut total = 22;
    for (name, size) in entries {
        let n = name.len() as u64;
        total += 30 + n + size + 16 + 46 + n;
    }
    total
}

fn local_header(name: &str) -> Bytes {
    let mut b = BytesMut::with_capacity(30 + name.len());
    b.put_u32_le(LOCAL_HEADER);
    b.put_u16_le(20); // version needed
    b.put_u16_le(FLAGS);
    b.put_u16_le(0); // stored
    b.put_u32_le(0); // time, date: none
    b.put_u32_le(0); // CRC, sizes: in the descriptor
    b.put_u32_le(0);
    b.put_u32_le(0);
    b.put_u16_le(name.len() as u16);
    b.put_u16_le(0);
    b.put_slice(name.as_bytes());
    b.freeze()
}

struct Written {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

fn descriptor(w: &Written) -> Bytes {
    let mut b = BytesMut::with_capacity(16);
    b.put_u32_le(DESCRIPTOR);
    b.put_u32_le(w.crc);
    b.put_u32_le(w.size);
    b.put_u32_le(w.size);
    b.freeze()
}

fn central_directory(entries: &[Written], start: u32) -> Bytes {
    let mut b = BytesMut::new();
    for w in entries {
        b.put_u32_le(CENTRAL_HEADER);
        b.put_u16_le(0x0314); // made by: Unix, 2.0
        b.put_u16_le(20);
        b.put_u16_le(FLAGS);
        b.put_u16_le(0);
        b.put_u32_le(0);
        b.put_u32_le(w.crc);
        b.put_u32_le(w.size);
        b.put_u32_le(w.size);
        b.put_u16_le(w.name.len() as u16);
        b.put_u16_le(0); // extra
        b.put_u16_le(0); // comment
        b.put_u16_le(0); // disk
        b.put_u16_le(0); // internal attributes
        b.put_u32_le(0o100644 << 16); // a regular file, rw-r--r--
        b.put_u32_le(w.offset);
        b.put_slice(w.name.as_bytes());
    }
    let len = b.len() as u32;
    b.put_u32_le(END_OF_CENTRAL);
    b.put_u16_le(0);
    b.put_u16_le(0);
    b.put_u16_le(entries.len() as u16);
    b.put_u16_le(entries.len() as u16);
    b.put_u32_le(len);
    b.put_u32_le(start);
    b.put_u16_le(0);
    b.freeze()
}

/// Streams the archive of `files` read from `store`. A file that cannot be
/// read (or grew past the archive's bounds) ends the stream with an error,
/// so the client sees a broken download, never a wrong archive.
pub(crate) fn stream_zip(
    store: Arc<dyn signet_storage::Store>,
    files: Vec<(String, ObjectKey)>,
) -> ByteStream {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::spawn(async move {
        let mut written = Vec::with_capacity(files.len());
        let mut offset: u64 = 0;
        for (name, key) in files {
            let header = local_header(&name);
            let start = offset;
            offset += header.len() as u64;
            if tx.send(Ok(header)).await.is_err() {
                return;
            }
            let body = match store.read(&key, None).await {
                Ok(body) => body,
                Err(e) => {
                    let _ = tx
                        .send(Err(std::io::Error::other(format!("/{key}: {e}"))))
                        .await;
                    return;
                }
            };
            let mut crc = crc32fast::Hasher::new();
            let mut size: u64 = 0;
            let mut chunks = body.stream;
            while let Some(chunk) = chunks.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                crc.update(&chunk);
                size += chunk.len() as u64;
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
            offset += size;
            if offset > MAX_ARCHIVE_BYTES {
                let _ = tx
                    .send(Err(std::io::Error::other("the archive grew past 4 GiB")))
                    .await;
                return;
            }
            let w = Written {
                name,
                crc: crc.finalize(),
                size: size as u32,
                offset: start as u32,
            };
            let d = descriptor(&w);
            offset += d.len() as u64;
            if tx.send(Ok(d)).await.is_err() {
                return;
            }
            written.push(w);
        }
        let _ = tx
            .send(Ok(central_directory(&written, offset as u32)))
            .await;
    });
    Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up() {
        let entries = [("a.txt", 5u64), ("dir/b.jpg", 100)];
        assert_eq!(
            archive_size(entries.iter().map(|(n, s)| (*n, *s))),
            22 + (30 + 5 + 5 + 16 + 46 + 5) + (30 + 9 + 100 + 16 + 46 + 9)
        );
    }

    #[test]
    fn full_jobs_refuse_new_ones_until_one_finishes() {
        let jobs = Jobs::default();
        for _ in 0..MAX_JOBS {
            jobs.add(Arc::new(Job::new(Kind::Delete, 1))).unwrap();
        }
        let next = Arc::new(Job::new(Kind::Delete, 1));
        assert!(matches!(
            jobs.add(next.clone()),
            Err(Error::TooManyRequests { .. })
        ));
        let first = jobs.0.lock().unwrap()[0].clone();
        first.state().finished = true;
        jobs.add(next.clone()).unwrap();
        assert!(jobs.get(&first.id).is_none());
        assert!(jobs.get(&next.id).is_some());
    }
}
