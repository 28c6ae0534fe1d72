//! What people say about a file, in Sirv's shapes: title, description, tags,
//! product, approval and points of interest. Kept as one small JSON sidecar
//! object per file under `.signet/meta/` in the media store itself, so it
//! survives restarts, works the same on a folder and on S3, is shared by
//! every replica, and moves with the file (docs/rest-api.md says why).

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use signet_storage::{ObjectKey, StorageError, Store};

use crate::http::error::Error;

/// Where sidecars live, under the store's reserved folder.
pub(crate) const SIDECARS: &str = ".signet/meta/";

/// Sirv's caps (its JSON schemas), and ours where Sirv names none.
pub(crate) const MAX_TAGS: usize = 50;
const MAX_TAG_CHARS: usize = 32;
const MAX_TITLE_CHARS: usize = 256;
const MAX_DESCRIPTION_CHARS: usize = 1024;
const MAX_PRODUCT_FIELDS: usize = 16;
const MAX_PRODUCT_CHARS: usize = 256;
const MAX_COMMENT_CHARS: usize = 256;
const MAX_POI_NAME_CHARS: usize = 16;
pub(crate) const MAX_POIS: usize = 32;
/// A sidecar larger than this is not read (it cannot come from the API).
const MAX_SIDECAR_BYTES: u64 = 256 * 1024;

/// A file's metadata. Empty fields are left out of the sidecar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileMeta {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub product: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub poi: BTreeMap<String, Poi>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Approval {
    pub approved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When it was set (RFC 3339), as Sirv reports it.
    pub datetime: String,
}

/// A named point of interest: centre and size, each a fraction 0–1 of the
/// image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Poi {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl FileMeta {
    pub(crate) fn is_empty(&self) -> bool {
        *self == FileMeta::default()
    }

    /// Sirv's `GET /v2/files/meta` answer.
    pub(crate) fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("tags".into(), json!(self.tags));
        if let Some(t) = &self.title {
            out.insert("title".into(), json!(t));
        }
        if let Some(d) = &self.description {
            out.insert("description".into(), json!(d));
        }
        if !self.product.is_empty() {
            out.insert("product".into(), json!(self.product));
        }
        if let Some(a) = &self.approval {
            out.insert("approval".into(), json!(a));
        }
        Value::Object(out)
    }

    /// Adds tags (kept once each, in the order first given).
    pub(crate) fn add_tags(&mut self, tags: &[String]) -> Result<(), Error> {
        for tag in tags {
            check_len("tags[]", tag, MAX_TAG_CHARS)?;
            if !self.tags.iter().any(|t| t == tag) {
                self.tags.push(tag.clone());
            }
        }
        if self.tags.len() > MAX_TAGS {
            return Err(Error::BadRequest(format!(
                "a file has at most {MAX_TAGS} tags"
            )));
        }
        Ok(())
    }

    pub(crate) fn set_title(&mut self, title: &str) -> Result<(), Error> {
        check_len("title", title, MAX_TITLE_CHARS)?;
        self.title = Some(title.to_owned()).filter(|t| !t.is_empty());
        Ok(())
    }

    pub(crate) fn set_description(&mut self, text: &str) -> Result<(), Error> {
        check_len("description", text, MAX_DESCRIPTION_CHARS)?;
        self.description = Some(text.to_owned()).filter(|t| !t.is_empty());
        Ok(())
    }

    /// Replaces the product fields (strings; Sirv's `id`, `name`, `brand`,
    /// `category1`, `category2`, and the SDKs' `category`, `sku`).
    pub(crate) fn set_product(&mut self, fields: &Map<String, Value>) -> Result<(), Error> {
        if fields.len() > MAX_PRODUCT_FIELDS {
            return Err(Error::BadRequest(format!(
                "product has at most {MAX_PRODUCT_FIELDS} fields"
            )));
        }
        let mut product = BTreeMap::new();
        for (name, value) in fields {
            check_len("product field name", name, MAX_TAG_CHARS)?;
            let Value::String(value) = value else {
                return Err(Error::BadRequest(format!(
                    "product.{name} must be a string"
                )));
            };
            check_len(&format!("product.{name}"), value, MAX_PRODUCT_CHARS)?;
            product.insert(name.clone(), value.clone());
        }
        self.product = product;
        Ok(())
    }

    pub(crate) fn set_approval(
        &mut self,
        approved: bool,
        comment: Option<&str>,
        now: &str,
    ) -> Result<(), Error> {
        if let Some(c) = comment {
            check_len("comment", c, MAX_COMMENT_CHARS)?;
        }
        self.approval = Some(Approval {
            approved,
            comment: comment.map(str::to_owned),
            datetime: now.to_owned(),
        });
        Ok(())
    }

    pub(crate) fn set_poi(&mut self, name: &str, poi: Poi) -> Result<(), Error> {
        if name.is_empty() {
            return Err(Error::BadRequest("a POI needs a name".to_owned()));
        }
        check_len("name", name, MAX_POI_NAME_CHARS)?;
        for (field, v) in [
            ("x", poi.x),
            ("y", poi.y),
            ("width", poi.width),
            ("height", poi.height),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::BadRequest(format!(
                    "{field} must be between 0 and 1, not {v}"
                )));
            }
        }
        if !self.poi.contains_key(name) && self.poi.len() >= MAX_POIS {
            return Err(Error::BadRequest(format!(
                "a file has at most {MAX_POIS} points of interest"
            )));
        }
        self.poi.insert(name.to_owned(), poi);
        Ok(())
    }
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), Error> {
    let n = value.chars().count();
    if n > max {
        return Err(Error::BadRequest(format!(
            "{field} is {n} characters, over the limit of {max}"
        )));
    }
    Ok(())
}

/// The sidecar's key for a file.
pub(crate) fn sidecar(key: &ObjectKey) -> Result<ObjectKey, Error> {
    ObjectKey::new(&format!("{SIDECARS}{}.json", key.as_str()))
        .map_err(|e| Error::BadRequest(format!("{key}: {e}")))
}

/// The file a sidecar describes.
pub(crate) fn file_of(sidecar: &ObjectKey) -> Option<ObjectKey> {
    let inner = sidecar
        .as_str()
        .strip_prefix(SIDECARS)?
        .strip_suffix(".json")?;
    ObjectKey::new(inner).ok()
}

/// A file's metadata; empty when it has none (or an unreadable sidecar,
/// which is logged: metadata never breaks a file).
pub(crate) async fn read(store: &dyn Store, key: &ObjectKey) -> Result<FileMeta, Error> {
    let side = sidecar(key)?;
    let body = match store.read(&side, None).await {
        Ok(body) => body,
        Err(StorageError::NotFound) => return Ok(FileMeta::default()),
        Err(e) => return Err(e.into()),
    };
    if body.meta.size > MAX_SIDECAR_BYTES {
        tracing::warn!(key = %side, "metadata sidecar too large, ignored");
        return Ok(FileMeta::default());
    }
    let bytes = collect(body.stream).await?;
    Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        tracing::warn!(key = %side, error = %e, "unreadable metadata sidecar, ignored");
        FileMeta::default()
    }))
}

async fn collect(mut stream: signet_storage::ByteStream) -> Result<Vec<u8>, Error> {
    use futures_util::StreamExt;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(StorageError::Io)?;
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Stores a file's metadata (removing the sidecar when it is empty).
pub(crate) async fn write(
    store: &dyn Store,
    key: &ObjectKey,
    meta: &FileMeta,
) -> Result<(), Error> {
    let side = sidecar(key)?;
    if meta.is_empty() {
        return match store.delete(&side).await {
            Ok(()) | Err(StorageError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        };
    }
    let bytes = serde_json::to_vec(meta).map_err(|_| Error::Internal)?;
    let body = futures_util::stream::once(async move { Ok(Bytes::from(bytes)) });
    store
        .put(&side, Box::pin(body), Some("application/json"))
        .await?;
    Ok(())
}

/// After a file was copied: its metadata goes with it (replacing any the
/// target had).
pub(crate) async fn copied(
    store: &dyn Store,
    from: &ObjectKey,
    to: &ObjectKey,
) -> Result<(), Error> {
    let meta = read(store, from).await?;
    write(store, to, &meta).await
}

/// After a file was renamed: its metadata moves with it.
pub(crate) async fn renamed(
    store: &dyn Store,
    from: &ObjectKey,
    to: &ObjectKey,
) -> Result<(), Error> {
    copied(store, from, to).await?;
    deleted(store, from).await
}

/// After a file was deleted: its metadata goes too.
pub(crate) async fn deleted(store: &dyn Store, key: &ObjectKey) -> Result<(), Error> {
    write(store, key, &FileMeta::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sirv_caps_hold() {
        let mut m = FileMeta::default();
        let tags: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
        m.add_tags(&tags).unwrap();
        m.add_tags(&["t1".to_owned()]).unwrap();
        assert_eq!(m.tags.len(), 50);
        assert!(m.add_tags(&["one-more".to_owned()]).is_err());
        assert!(m.set_title(&"x".repeat(257)).is_err());
        assert!(m.set_description(&"é".repeat(1024)).is_ok());
        let poi = Poi {
            x: 0.5,
            y: 1.5,
            width: 0.1,
            height: 0.1,
        };
        assert!(m.set_poi("p", poi).is_err());
        assert!(m
            .set_poi("seventeen-chars-x", Poi { y: 0.5, ..poi })
            .is_err());
        m.set_poi("p", Poi { y: 0.5, ..poi }).unwrap();
        let product = serde_json::json!({"id": "LLBB77", "price": 3});
        assert!(m.set_product(product.as_object().unwrap()).is_err());
    }

    #[test]
    fn sidecar_keys_round_trip() {
        let key = ObjectKey::new("a/b c.jpg").unwrap();
        let side = sidecar(&key).unwrap();
        assert_eq!(side.as_str(), ".signet/meta/a/b c.jpg.json");
        assert_eq!(file_of(&side).unwrap(), key);
    }
}
