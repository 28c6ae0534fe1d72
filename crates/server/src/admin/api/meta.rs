//! Sirv's metadata routes: `/v2/files/meta` (all of it), `/meta/title`,
//! `/meta/description`, `/meta/tags`, `/meta/product`, `/meta/approval`,
//! and points of interest at `/v2/files/poi`. The file is named in the
//! query (Sirv's docs, the PHP SDK) or in the JSON body (the Python SDK).
//! Writes are serialised per file and invalidate the file's variants (text
//! layers can show `${title}`).

use http::Method;
use serde_json::{json, Map, Value};
use signet_storage::ObjectKey;

use super::ApiResult;
use crate::catalog::meta::{self, FileMeta, Poi};
use crate::core::Core;
use crate::http::body::json;
use crate::http::error::Error;

/// Answers one metadata route for an existing file.
pub(super) async fn handle(
    core: &Core,
    route: &str,
    method: &Method,
    key: &ObjectKey,
    mut body: Map<String, Value>,
) -> ApiResult {
    core.store().stat(key).await?;
    body.remove("filename");
    if *method == Method::GET || *method == Method::HEAD {
        let m = meta::read(core.store(), key).await?;
        return Ok(json(&view(route, &m)));
    }
    let _serial = core.catalog.lock(key).lock().await;
    let mut m = meta::read(core.store(), key).await?;
    let now = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    match (route, method.clone()) {
        ("/v2/files/meta", Method::POST) => set_all(&mut m, &body, &now)?,
        ("/v2/files/meta/title", Method::POST) => m.set_title(&string(&body, "title")?)?,
        ("/v2/files/meta/description", Method::POST) => {
            m.set_description(&string(&body, "description")?)?
        }
        ("/v2/files/meta/product", Method::POST) => m.set_product(&body)?,
        ("/v2/files/meta/approval", Method::POST) => approval(&mut m, &body, &now)?,
        ("/v2/files/meta/tags", Method::POST) => m.add_tags(&tags(&body)?)?,
        ("/v2/files/meta/tags", Method::DELETE) => {
            // Without a list (the PHP SDK's `deleteTags`), every tag goes.
            if body.contains_key("tags") {
                let gone = tags(&body)?;
                m.tags.retain(|t| !gone.contains(t));
            } else {
                m.tags.clear();
            }
        }
        ("/v2/files/poi", Method::POST) => {
            let name = string(&body, "name")?;
            // A POI without a size is a point (the Python SDK sends none).
            let number = |field: &str, default: Option<f64>| -> Result<f64, Error> {
                match body.get(field) {
                    None if default.is_some() => Ok(default.unwrap_or_default()),
                    v => v.and_then(Value::as_f64).ok_or_else(|| {
                        Error::BadRequest(format!("`{field}` must be a number from 0 to 1"))
                    }),
                }
            };
            let poi = Poi {
                x: number("x", None)?,
                y: number("y", None)?,
                width: number("width", Some(0.0))?,
                height: number("height", Some(0.0))?,
            };
            refuse_others(&body, &["name", "x", "y", "width", "height", "frame"])?;
            m.set_poi(&name, poi)?;
        }
        ("/v2/files/poi", Method::DELETE) => match body.get("name") {
            Some(Value::String(name)) => {
                if m.poi.remove(name).is_none() {
                    return Err(Error::NotFound);
                }
            }
            Some(_) => return Err(Error::BadRequest("`name` must be a string".to_owned())),
            None => m.poi.clear(),
        },
        _ => return Err(Error::Internal),
    }
    meta::write(core.store(), key, &m).await?;
    core.invalidate(key).await;
    Ok(super::files::done())
}

/// What a GET of `route` shows.
fn view(route: &str, m: &FileMeta) -> Value {
    match route {
        "/v2/files/meta/title" => json!({"title": m.title.clone().unwrap_or_default()}),
        "/v2/files/meta/description" => {
            json!({"description": m.description.clone().unwrap_or_default()})
        }
        "/v2/files/meta/tags" => json!({"tags": m.tags}),
        "/v2/files/meta/product" => json!(m.product),
        "/v2/files/meta/approval" => m.approval.as_ref().map_or(json!({}), |a| json!(a)),
        "/v2/files/poi" => json!(m.poi),
        _ => m.to_json(),
    }
}

/// `POST /v2/files/meta`: sets every field given (tags are replaced).
fn set_all(m: &mut FileMeta, body: &Map<String, Value>, now: &str) -> Result<(), Error> {
    refuse_others(
        body,
        &[
            "tags",
            "title",
            "description",
            "product",
            "approval",
            "approved",
        ],
    )?;
    if body.contains_key("tags") {
        m.tags.clear();
        m.add_tags(&tags(body)?)?;
    }
    if body.contains_key("title") {
        m.set_title(&string(body, "title")?)?;
    }
    if body.contains_key("description") {
        m.set_description(&string(body, "description")?)?;
    }
    match body.get("product") {
        Some(Value::Object(p)) => m.set_product(p)?,
        Some(_) => return Err(Error::BadRequest("`product` must be an object".to_owned())),
        None => {}
    }
    match body.get("approval") {
        Some(Value::Object(a)) => approval(m, a, now)?,
        Some(_) => return Err(Error::BadRequest("`approval` must be an object".to_owned())),
        None => {}
    }
    // The Python SDK's shorthand.
    if let Some(approved) = body.get("approved") {
        let approved = approved
            .as_bool()
            .ok_or_else(|| Error::BadRequest("`approved` must be true or false".to_owned()))?;
        m.set_approval(approved, None, now)?;
    }
    Ok(())
}

fn approval(m: &mut FileMeta, body: &Map<String, Value>, now: &str) -> Result<(), Error> {
    refuse_others(body, &["approved", "comment"])?;
    let approved = body
        .get("approved")
        .and_then(Value::as_bool)
        .ok_or_else(|| Error::BadRequest("`approved` must be true or false".to_owned()))?;
    let comment = match body.get("comment") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.as_str()),
        Some(_) => return Err(Error::BadRequest("`comment` must be a string".to_owned())),
    };
    m.set_approval(approved, comment, now)
}

fn string(body: &Map<String, Value>, field: &str) -> Result<String, Error> {
    match body.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Error::BadRequest(format!("`{field}` must be a string"))),
        None => Err(Error::BadRequest(format!("`{field}` is required"))),
    }
}

fn tags(body: &Map<String, Value>) -> Result<Vec<String>, Error> {
    let bad = || Error::BadRequest("`tags` must be a list of strings".to_owned());
    let list = body.get("tags").and_then(Value::as_array).ok_or_else(bad)?;
    if list.len() > meta::MAX_TAGS {
        return Err(Error::BadRequest(format!(
            "a file has at most {} tags",
            meta::MAX_TAGS
        )));
    }
    list.iter()
        .map(|t| t.as_str().map(str::to_owned).ok_or_else(bad))
        .collect()
}

fn refuse_others(body: &Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::BadRequest(format!(
            "unknown field `{k}` (expected {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}
