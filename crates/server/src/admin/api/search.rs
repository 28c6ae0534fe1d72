//! Sirv's search: `POST /v2/files/search` (a query, a sort, `from`/`size`
//! within Sirv's caps, `scroll: true` to page through everything) and
//! `POST /v2/files/search/scroll`; and signet's
//! `POST /v2/files/search/reindex`, which rebuilds the index after files
//! changed behind signet's back. Hits come in Sirv's (Elasticsearch's)
//! shape: `{hits: [{_id, _source, sort}], total, scrollId?}`.

use std::sync::Arc;
use std::time::SystemTime;

use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use signet_storage::{ObjectKey, ObjectMeta};

use super::ApiResult;
use crate::catalog::index::{Doc, Order};
use crate::catalog::query;
use crate::catalog::{random_id, Scroll};
use crate::core::Core;
use crate::http::body::json;
use crate::http::error::Error;

/// Sirv's caps: `from` ≤ 1000, `size` ≤ 100; Elasticsearch's default size.
const MAX_FROM: u64 = 1000;
const MAX_SIZE: u64 = 100;
const DEFAULT_SIZE: u64 = 10;

pub(super) async fn search(core: &Core, body: Map<String, Value>) -> ApiResult {
    const KNOWN: [&str; 5] = ["query", "sort", "from", "size", "scroll"];
    if let Some(k) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(Error::BadRequest(format!(
            "unknown field `{k}` (expected {})",
            KNOWN.join(", ")
        )));
    }
    let text = match body.get("query") {
        None | Some(Value::Null) => "",
        Some(Value::String(q)) => q.as_str(),
        Some(_) => return Err(Error::BadRequest("`query` must be a string".to_owned())),
    };
    let query = query::parse(text, SystemTime::now())?;
    let order = order(body.get("sort"))?;
    let number = |field: &str, default: u64, max: u64| -> Result<usize, Error> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(default as usize),
            Some(v) => match v.as_u64() {
                Some(n) if n <= max => Ok(n as usize),
                _ => Err(Error::BadRequest(format!(
                    "`{field}` must be a whole number from 0 to {max}"
                ))),
            },
        }
    };
    let from = number("from", 0, MAX_FROM)?;
    let size = number("size", DEFAULT_SIZE, MAX_SIZE)?;
    let scroll = match body.get("scroll") {
        None | Some(Value::Null) => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| Error::BadRequest("`scroll` must be true or false".to_owned()))?,
    };
    core.catalog.index.ensure(core.store()).await?;
    if !scroll {
        let page = core.catalog.index.search(&query, order, from, size, None);
        return Ok(json(&answer(core, &page.hits, page.total, None).await));
    }
    let state = Arc::new(Scroll {
        query,
        order,
        size: size.max(1),
        last: tokio::sync::Mutex::new(None),
    });
    let id = random_id();
    core.catalog.scrolls.insert(id.clone(), state.clone());
    next_page(core, &id, &state).await
}

pub(super) async fn scroll(core: &Core, body: Map<String, Value>) -> ApiResult {
    let id = match body.get("scrollId") {
        Some(Value::String(id)) => id.clone(),
        _ => return Err(Error::BadRequest("`scrollId` is required".to_owned())),
    };
    let Some(state) = core.catalog.scrolls.get(&id) else {
        return Err(Error::BadRequest(
            "unknown or expired scrollId (scrolls expire after 5 minutes unused)".to_owned(),
        ));
    };
    core.catalog.index.ensure(core.store()).await?;
    next_page(core, &id, &state).await
}

async fn next_page(core: &Core, id: &str, state: &Scroll) -> ApiResult {
    let mut last = state.last.lock().await;
    let page = core
        .catalog
        .index
        .search(&state.query, state.order, 0, state.size, last.as_ref());
    if let Some(doc) = page.hits.last() {
        *last = Some(doc.clone());
    }
    Ok(json(&answer(core, &page.hits, page.total, Some(id)).await))
}

pub(super) async fn reindex(core: &Core) -> ApiResult {
    let stats = core.catalog.index.rebuild(core.store()).await?;
    Ok(json(&json!({
        "files": stats.files,
        "tookMs": stats.took.as_millis() as u64,
    })))
}

/// `{"filename.raw": "asc"}` (Sirv, Elasticsearch) or `{"field": "mtime",
/// "order": "desc"}` (the Python SDK); filename ascending when absent.
fn order(sort: Option<&Value>) -> Result<Order, Error> {
    let Some(sort) = sort.filter(|s| !s.is_null()) else {
        return Ok(Order::default());
    };
    let bad = || {
        Error::BadRequest(
            "`sort` must be {\"<field>\": \"asc\"|\"desc\"} or {\"field\": …, \"order\": …}"
                .to_owned(),
        )
    };
    let map = sort.as_object().ok_or_else(bad)?;
    if let Some(Value::String(field)) = map.get("field") {
        let direction = map.get("order").and_then(Value::as_str).unwrap_or("asc");
        return Order::parse(field, direction);
    }
    let (field, direction) = map.iter().next().ok_or_else(bad)?;
    let direction = match direction {
        Value::String(d) => d.as_str(),
        Value::Object(o) => o.get("order").and_then(Value::as_str).unwrap_or("asc"),
        _ => return Err(bad()),
    };
    Order::parse(field, direction)
}

/// Sirv's answer: hits with their `_source`, the total, the scroll id.
async fn answer(core: &Core, hits: &[Doc], total: usize, scroll: Option<&str>) -> Value {
    let probes: Vec<_> = hits.iter().map(|doc| source(core, doc)).collect();
    let sources: Vec<Value> = futures_util::stream::iter(probes)
        .buffered(8)
        .collect()
        .await;
    let hits: Vec<Value> = hits
        .iter()
        .zip(sources)
        .map(|(doc, source)| {
            json!({
                "_id": doc.key,
                "_score": null,
                "_source": source,
                "sort": [format!("/{}", doc.key)],
            })
        })
        .collect();
    let mut out = json!({"hits": hits, "total": total, "_relation": "eq"});
    if let Some(id) = scroll {
        out["scrollId"] = json!(id);
    }
    out
}

async fn source(core: &Core, doc: &Doc) -> Value {
    let mtime = humantime::format_rfc3339_millis(doc.mtime).to_string();
    let meta = match ObjectKey::new(&doc.key) {
        Ok(key) => {
            let object = ObjectMeta {
                size: doc.size,
                modified: doc.mtime,
                etag: doc.etag.clone(),
                content_type: None,
            };
            super::files::dims(core, &key, &object).await
        }
        Err(_) => json!({}),
    };
    json!({
        "filename": format!("/{}", doc.key),
        "dirname": doc.dirname(),
        "basename": doc.basename(),
        "extension": doc.extension(),
        "ctime": mtime,
        "mtime": mtime,
        "size": doc.size,
        "contentType": &*doc.content_type,
        "meta": meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::query::Field;

    #[test]
    fn both_sort_shapes_parse() {
        let es = order(Some(&json!({"filename.raw": "asc"}))).unwrap();
        assert_eq!(es, Order::default());
        let sdk = order(Some(&json!({"field": "mtime", "order": "desc"}))).unwrap();
        assert_eq!(sdk.field, Field::Mtime);
        assert!(sdk.descending);
        let nested = order(Some(&json!({"size": {"order": "desc"}}))).unwrap();
        assert_eq!(nested.field, Field::Size);
        assert!(order(Some(&json!({"nosuch": "asc"}))).is_err());
        assert!(order(Some(&json!("filename"))).is_err());
    }
}
