//! The search index: one small document per file (path, size, dates, type,
//! and the words of its metadata), in memory, built from a walk of the store
//! on the first search and kept right by every write through the API (here
//! and, with `[cluster]`, on other replicas). Files changed behind signet's
//! back are picked up by a rebuild (`POST /v2/files/search/reindex`, or
//! SIGHUP). A search scans every document: 100 000 files take milliseconds
//! (docs/benchmarks.md), and no query can cost more than one scan.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use signet_storage::{FolderKey, ObjectKey, ObjectMeta, StorageError, Store};

use super::meta::{self, FileMeta, SIDECARS};
use super::query::{millis, Field, Fields, Query};
use super::RESERVED;
use crate::http::error::Error;

/// Objects asked for per walk page.
const WALK_PAGE: usize = 1000;

/// One file as search sees it.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// The key as stored (`a/b.jpg`).
    pub key: String,
    /// `/a/b.jpg`, lowercased: every text field is a slice of it.
    lc: String,
    /// End of the folder part of `lc` (0 for the root).
    dir_end: usize,
    /// Start of the extension in `lc` (its `.`), if any.
    ext_start: Option<usize>,
    pub size: u64,
    pub mtime: SystemTime,
    mtime_ms: f64,
    pub etag: String,
    pub content_type: Arc<str>,
    words: Option<Box<Words>>,
}

/// Lowercased words of a file's metadata.
#[derive(Debug, Clone, Default)]
struct Words {
    title: Vec<String>,
    description: Vec<String>,
    tags: Vec<String>,
}

fn split_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Doc {
    fn new(key: &str, object: &ObjectMeta, types: &mut Types, m: &FileMeta) -> Doc {
        let (size, mtime) = (object.size, object.modified);
        let lc = format!("/{}", key.to_lowercase());
        let dir_end = lc.rfind('/').unwrap_or(0);
        let ext_start = lc[dir_end..]
            .rfind('.')
            .map(|i| dir_end + i)
            .filter(|i| *i > dir_end + 1);
        let words = (!m.is_empty()).then(|| {
            Box::new(Words {
                title: m.title.as_deref().map(split_words).unwrap_or_default(),
                description: m
                    .description
                    .as_deref()
                    .map(split_words)
                    .unwrap_or_default(),
                tags: m.tags.iter().map(|t| t.to_lowercase()).collect(),
            })
        });
        Doc {
            key: key.to_owned(),
            dir_end,
            ext_start,
            size,
            mtime,
            mtime_ms: millis(mtime),
            etag: object.etag.clone(),
            content_type: types.get(key),
            words,
            lc,
        }
    }

    pub(crate) fn dirname(&self) -> String {
        match self.key.rfind('/') {
            Some(i) => format!("/{}", &self.key[..i]),
            None => "/".to_owned(),
        }
    }

    pub(crate) fn basename(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or(&self.key)
    }

    pub(crate) fn extension(&self) -> &str {
        let base = self.basename();
        match base.rfind('.') {
            Some(i) if i > 0 => &base[i..],
            _ => "",
        }
    }
}

impl Fields for Doc {
    fn text(&self, field: Field) -> &str {
        match field {
            Field::Filename => &self.lc,
            Field::Dirname if self.dir_end == 0 => "/",
            Field::Dirname => &self.lc[..self.dir_end],
            Field::Basename | Field::Any => &self.lc[self.dir_end + 1..],
            Field::Extension => self.ext_start.map_or("", |i| &self.lc[i..]),
            Field::ContentType => &self.content_type,
            _ => "",
        }
    }

    fn number(&self, field: Field) -> f64 {
        match field {
            Field::Size => self.size as f64,
            _ => self.mtime_ms,
        }
    }

    fn words(&self, field: Field) -> &[String] {
        let Some(w) = &self.words else {
            return &[];
        };
        match field {
            Field::Title => &w.title,
            Field::Description => &w.description,
            Field::Tags => &w.tags,
            _ => &[],
        }
    }
}

/// Content types, shared between documents (a handful of distinct values).
#[derive(Default)]
struct Types(HashMap<String, Arc<str>>);

impl Types {
    fn get(&mut self, key: &str) -> Arc<str> {
        let t = signet_storage::guess_content_type(key);
        self.0
            .entry(t.clone())
            .or_insert_with(|| Arc::from(t.as_str()))
            .clone()
    }
}

/// A sort order: a field and a direction; ties go by key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Order {
    pub field: Field,
    pub descending: bool,
}

impl Order {
    pub(crate) fn parse(field: &str, direction: &str) -> Result<Order, Error> {
        let name = field.strip_suffix(".raw").unwrap_or(field);
        let field = match name {
            "filename" => Field::Filename,
            "basename" => Field::Basename,
            "dirname" => Field::Dirname,
            "extension" => Field::Extension,
            "contentType" => Field::ContentType,
            "size" => Field::Size,
            "mtime" | "ctime" => Field::Mtime,
            _ => {
                return Err(Error::BadRequest(format!(
                    "cannot sort by {field:?} (filename, basename, dirname, extension, \
                     contentType, size, mtime, ctime)"
                )))
            }
        };
        let descending = match direction.to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(Error::BadRequest(format!(
                    "sort order {other:?}: use asc or desc"
                )))
            }
        };
        Ok(Order { field, descending })
    }

    fn cmp(&self, a: &Doc, b: &Doc) -> Ordering {
        let by = match self.field {
            Field::Size | Field::Mtime | Field::Ctime => {
                a.number(self.field).total_cmp(&b.number(self.field))
            }
            Field::Filename => a.key.cmp(&b.key),
            f => a.text(f).cmp(b.text(f)),
        };
        let by = if self.descending { by.reverse() } else { by };
        by.then_with(|| a.key.cmp(&b.key))
    }
}

impl Default for Order {
    fn default() -> Order {
        Order {
            field: Field::Filename,
            descending: false,
        }
    }
}

/// One page of hits, the total count, and the last hit (where a scroll
/// goes on from).
pub(crate) struct Page {
    pub hits: Vec<Doc>,
    pub total: usize,
}

/// The index and its state.
#[derive(Default)]
pub(crate) struct Index {
    docs: RwLock<Option<BTreeMap<String, Doc>>>,
    /// Held while (re)building, so one walk runs at a time.
    building: tokio::sync::Mutex<()>,
    /// Keys written while a build was walking, refreshed after it.
    pending: Mutex<Option<Vec<ObjectKey>>>,
    stats: Mutex<Option<BuildStats>>,
}

/// What the last build did, for logs and `/metrics`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuildStats {
    pub files: usize,
    pub took: Duration,
}

impl Index {
    /// Builds the index unless it is built.
    pub(crate) async fn ensure(&self, store: &dyn Store) -> Result<(), Error> {
        if self.read().is_some() {
            return Ok(());
        }
        let _one = self.building.lock().await;
        if self.read().is_some() {
            return Ok(());
        }
        self.build(store).await
    }

    /// Builds the index again from a walk of the store.
    pub(crate) async fn rebuild(&self, store: &dyn Store) -> Result<BuildStats, Error> {
        let _one = self.building.lock().await;
        self.build(store).await?;
        self.last_build().ok_or(Error::Internal)
    }

    pub(crate) fn last_build(&self) -> Option<BuildStats> {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<BTreeMap<String, Doc>>> {
        self.docs.read().unwrap_or_else(|e| e.into_inner())
    }

    async fn build(&self, store: &dyn Store) -> Result<(), Error> {
        let started = Instant::now();
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
        let built = walk_all(store).await;
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        let docs = built?;
        let files = docs.len();
        *self.docs.write().unwrap_or_else(|e| e.into_inner()) = Some(docs);
        for key in pending {
            self.refresh(store, &key).await;
        }
        let stats = BuildStats {
            files,
            took: started.elapsed(),
        };
        tracing::info!(
            files,
            took_ms = stats.took.as_millis() as u64,
            "search index built"
        );
        *self.stats.lock().unwrap_or_else(|e| e.into_inner()) = Some(stats);
        Ok(())
    }

    /// Brings one file's document up to date after a write (no-op until the
    /// first search built the index).
    pub(crate) async fn refresh(&self, store: &dyn Store, key: &ObjectKey) {
        if key.as_str().starts_with(RESERVED) {
            return;
        }
        if let Some(pending) = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            pending.push(key.clone());
        }
        if self.read().is_none() {
            return;
        }
        let doc = match store.stat(key).await {
            Ok(m) => {
                let fm = meta::read(store, key).await.unwrap_or_default();
                Some(Doc::new(key.as_str(), &m, &mut Types::default(), &fm))
            }
            Err(StorageError::NotFound) => None,
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "search index: cannot stat a written file");
                return;
            }
        };
        let mut docs = self.docs.write().unwrap_or_else(|e| e.into_inner());
        if let Some(docs) = docs.as_mut() {
            match doc {
                Some(doc) => docs.insert(key.as_str().to_owned(), doc),
                None => docs.remove(key.as_str()),
            };
        }
    }

    /// Files matching `query` in `order`: `size` of them from `from`, or
    /// after `after` (a scroll's last hit) when given.
    pub(crate) fn search(
        &self,
        query: &Query,
        order: Order,
        from: usize,
        size: usize,
        after: Option<&Doc>,
    ) -> Page {
        let docs = self.read();
        let Some(docs) = docs.as_ref() else {
            return Page {
                hits: Vec::new(),
                total: 0,
            };
        };
        let mut total = 0;
        let mut matched: Vec<&Doc> = docs
            .values()
            .filter(|d| query.matches(*d))
            .inspect(|_| total += 1)
            .filter(|d| after.is_none_or(|a| order.cmp(d, a) == Ordering::Greater))
            .collect();
        let want = from + size;
        if matched.len() > want && want > 0 {
            matched.select_nth_unstable_by(want - 1, |a, b| order.cmp(a, b));
            matched.truncate(want);
        }
        matched.sort_by(|a, b| order.cmp(a, b));
        let hits = matched.into_iter().skip(from).take(size).cloned().collect();
        Page { hits, total }
    }

    /// Drops the index (after a gap in which writes may have been missed):
    /// the next search builds it again.
    pub(crate) fn forget(&self) {
        *self.docs.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Files and bytes indexed.
    pub(crate) fn totals(&self) -> (usize, u64) {
        self.read()
            .as_ref()
            .map_or((0, 0), |d| (d.len(), d.values().map(|d| d.size).sum()))
    }
}

/// Every file and every metadata sidecar in the store.
async fn walk_all(store: &dyn Store) -> Result<BTreeMap<String, Doc>, Error> {
    let mut files = Vec::new();
    let mut continuation = None;
    loop {
        let page = store
            .walk(&FolderKey::root(), continuation.as_deref(), WALK_PAGE)
            .await?;
        files.extend(
            page.objects
                .into_iter()
                .filter(|(k, _)| !k.as_str().starts_with(RESERVED)),
        );
        match page.continuation {
            Some(c) => continuation = Some(c),
            None => break,
        }
    }
    // Metadata: only files that have some have a sidecar.
    let mut metas: HashMap<String, FileMeta> = HashMap::new();
    let sidecars = FolderKey::new(SIDECARS).map_err(|_| Error::Internal)?;
    let mut continuation = None;
    loop {
        let page = store
            .walk(&sidecars, continuation.as_deref(), WALK_PAGE)
            .await?;
        for (side, _) in page.objects {
            if let Some(file) = meta::file_of(&side) {
                let m = meta::read(store, &file).await?;
                metas.insert(file.as_str().to_owned(), m);
            }
        }
        match page.continuation {
            Some(c) => continuation = Some(c),
            None => break,
        }
    }
    let mut types = Types::default();
    let empty = FileMeta::default();
    Ok(files
        .into_iter()
        .map(|(key, m)| {
            let fm = metas.get(key.as_str()).unwrap_or(&empty);
            let doc = Doc::new(key.as_str(), &m, &mut types, fm);
            (key.as_str().to_owned(), doc)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::query::parse;

    #[test]
    fn pages_and_scrolls_cover_every_hit_once() {
        let index = Index::default();
        let mut types = Types::default();
        let mut docs = BTreeMap::new();
        for i in 0..250u64 {
            let key = format!("d{}/f{i:03}.jpg", i % 7);
            let object = ObjectMeta {
                size: i % 10,
                modified: SystemTime::UNIX_EPOCH + Duration::from_secs(1000 - i),
                etag: format!("e{i}"),
                content_type: None,
            };
            docs.insert(
                key.clone(),
                Doc::new(&key, &object, &mut types, &FileMeta::default()),
            );
        }
        *index.docs.write().unwrap() = Some(docs);
        let q = parse("extension:jpg", SystemTime::now()).unwrap();
        let order = Order::parse("size", "desc").unwrap();
        let first = index.search(&q, order, 0, 100, None);
        assert_eq!(first.total, 250);
        assert_eq!(first.hits[0].size, 9);
        let mut seen: Vec<String> = first.hits.iter().map(|d| d.key.clone()).collect();
        let mut last = first.hits.last().cloned();
        while let Some(after) = last {
            let page = index.search(&q, order, 0, 100, Some(&after));
            seen.extend(page.hits.iter().map(|d| d.key.clone()));
            last = page.hits.last().cloned();
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 250);
        let skip = index.search(&q, Order::default(), 240, 100, None);
        assert_eq!(skip.hits.len(), 10);
        let dir = parse("dirname:/d3", SystemTime::now()).unwrap();
        assert_eq!(index.search(&dir, Order::default(), 0, 100, None).total, 36);
    }
}
