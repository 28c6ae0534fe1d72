//! What signet knows about files beyond their bytes, for the REST API:
//! metadata sidecars (`meta`), the search index and its query language
//! (`index`, `query`), whole-folder operations (`folders`) and the batch
//! jobs built on them (`jobs`: batch delete, zip). Everything lives in the
//! media store under the reserved folder `.signet/`, which neither listener
//! serves and no API write can name.

pub(crate) mod folders;
pub(crate) mod index;
pub(crate) mod jobs;
pub(crate) mod meta;
pub(crate) mod query;

use std::sync::Arc;
use std::time::Duration;

use signet_storage::ObjectKey;

use self::index::{Doc, Index, Order};
use self::jobs::Jobs;
use self::query::Query;

/// The store's reserved folder: sidecars and zips, never served.
pub(crate) const RESERVED: &str = ".signet/";

/// How long an unused scroll is kept, and how many are kept at once.
const SCROLL_IDLE: Duration = Duration::from_secs(300);
const MAX_SCROLLS: u64 = 1000;
/// Metadata writers are serialised per file (striped locks).
const LOCKS: usize = 64;

/// Whether a key lies in the reserved folder.
pub(crate) fn is_reserved(key: &str) -> bool {
    let key = key.trim_start_matches('/');
    key == RESERVED.trim_end_matches('/') || key.starts_with(RESERVED)
}

/// A search that goes on page by page (`/v2/files/search/scroll`).
pub(crate) struct Scroll {
    pub query: Query,
    pub order: Order,
    pub size: usize,
    /// The last hit handed out.
    pub last: tokio::sync::Mutex<Option<Doc>>,
}

/// The catalog: index, jobs, scrolls, the metadata locks, and the metadata
/// the media listener reads (text variables, POI crops, `?info`).
pub(crate) struct Catalog {
    pub index: Index,
    pub jobs: Jobs,
    pub scrolls: moka::sync::Cache<String, Arc<Scroll>>,
    locks: Vec<tokio::sync::Mutex<()>>,
    /// Sidecars as read, trusted for `cache.revalidate_after` (or until a
    /// write through the API, here or on another replica); `None` when that
    /// is zero.
    metas: Option<moka::future::Cache<String, Arc<meta::FileMeta>>>,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog::new(Duration::ZERO)
    }
}

impl Catalog {
    pub(crate) fn new(trust: Duration) -> Catalog {
        Catalog {
            metas: (!trust.is_zero()).then(|| {
                moka::future::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(trust)
                    .build()
            }),
            index: Index::default(),
            jobs: Jobs::default(),
            scrolls: moka::sync::Cache::builder()
                .max_capacity(MAX_SCROLLS)
                .time_to_idle(SCROLL_IDLE)
                .build(),
            locks: (0..LOCKS).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }
}

impl Catalog {
    /// A file's metadata for serving: from the cache, else its sidecar.
    pub(crate) async fn meta(
        &self,
        store: &dyn signet_storage::Store,
        key: &ObjectKey,
    ) -> Result<Arc<meta::FileMeta>, crate::http::error::Error> {
        let read = async { meta::read(store, key).await.map(Arc::new) };
        match &self.metas {
            Some(cache) => cache
                .try_get_with(key.as_str().to_owned(), read)
                .await
                .map_err(crate::http::error::Error::Shared),
            None => read.await,
        }
    }

    /// Forgets a file's cached metadata (`None`: every file's).
    pub(crate) async fn forget_meta(&self, key: Option<&ObjectKey>) {
        if let Some(cache) = &self.metas {
            match key {
                Some(key) => cache.invalidate(key.as_str()).await,
                None => cache.invalidate_all(),
            }
        }
    }

    /// The lock of one file's metadata (read-modify-write of its sidecar).
    pub(crate) fn lock(&self, key: &ObjectKey) -> &tokio::sync::Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        &self.locks[(h.finish() as usize) % LOCKS]
    }
}

/// A fresh random id for a job or a scroll (32 letters and digits).
pub(crate) fn random_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS's generator failing is not a client's problem; ids only
        // need to be unique, and time plus a counter are.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (t >> (i % 16 * 8)) as u8 ^ i as u8;
        }
    }
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_storage::FsStore;

    #[tokio::test]
    async fn served_metadata_is_cached_until_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path()).unwrap();
        let key = ObjectKey::new("a.jpg").unwrap();
        let side = dir.path().join(".signet/meta/a.jpg.json");
        std::fs::create_dir_all(side.parent().unwrap()).unwrap();
        std::fs::write(&side, br#"{"title":"One"}"#).unwrap();
        let catalog = Catalog::new(Duration::from_secs(60));
        assert_eq!(
            catalog.meta(&store, &key).await.unwrap().title.as_deref(),
            Some("One")
        );
        std::fs::write(&side, br#"{"title":"Two"}"#).unwrap();
        assert_eq!(
            catalog.meta(&store, &key).await.unwrap().title.as_deref(),
            Some("One")
        );
        catalog.forget_meta(Some(&key)).await;
        assert_eq!(
            catalog.meta(&store, &key).await.unwrap().title.as_deref(),
            Some("Two")
        );
        // Without trust, every read goes to the sidecar.
        let fresh = Catalog::default();
        std::fs::write(&side, br#"{"title":"Three"}"#).unwrap();
        assert_eq!(
            fresh.meta(&store, &key).await.unwrap().title.as_deref(),
            Some("Three")
        );
    }
}
