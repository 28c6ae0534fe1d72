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

/// The catalog: index, jobs, scrolls and the metadata locks.
pub(crate) struct Catalog {
    pub index: Index,
    pub jobs: Jobs,
    pub scrolls: moka::sync::Cache<String, Arc<Scroll>>,
    locks: Vec<tokio::sync::Mutex<()>>,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog {
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
