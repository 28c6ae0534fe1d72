//! The URL-making routes: Sirv's `/v2/files/jwt`, and signet's
//! `/v2/files/sign` and `/v2/files/srcset`. One request shape, so the three
//! read alike; each refuses the fields it does not take. The URLs come from
//! `crate::links`, as the CLI's do.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{file_key, params_of, ApiResult};
use signet_auth::KeyKind;

use crate::core::unix_now;
use crate::core::Core;
use crate::http::body::json;
use crate::http::error::Error;
use crate::links::srcset::{self, Link, Widths};
use crate::links::urls::{Lifetime, Signer};
use crate::links::{SecureNeedsJwt, SignMode};
use crate::media::source::source_width;

/// Lifetime of signed URLs when the request names none.
const DEFAULT_URL_SECS: u64 = 3600;

/// The body of the URL-making routes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct UrlRequest {
    filename: String,
    /// How to sign (see [`SignMode`]). Not taken by `/v2/files/jwt`.
    sign: Option<SignMode>,
    expires_in: Option<u64>,
    #[serde(default)]
    secure_params: Map<String, Value>,
    #[serde(default)]
    insecure_params: Map<String, Value>,
    /// A JWT key's id, or (as Sirv's callers send it) its secret.
    key: Option<String>,
    /// Sirv's account alias (which of an account's domains the URL uses).
    /// signet has one `public_url`, so it is taken and not used.
    #[allow(dead_code)]
    alias: Option<String>,
    // `/v2/files/srcset` only.
    widths: Option<Vec<u32>>,
    min_width: Option<u32>,
    max_width: Option<u32>,
    tolerance: Option<f64>,
}

impl UrlRequest {
    /// A plain request for `filename` (`GET /v2/files/jwt?filename=…&expiry=…`).
    pub(super) fn for_file(filename: String, expires_in: Option<u64>) -> UrlRequest {
        UrlRequest {
            filename,
            sign: None,
            expires_in,
            secure_params: Map::new(),
            insecure_params: Map::new(),
            key: None,
            alias: None,
            widths: None,
            min_width: None,
            max_width: None,
            tolerance: None,
        }
    }

    /// 400 when a srcset field is given to a route making one URL.
    fn one_url(&self, route: &str) -> Result<(), Error> {
        let srcset = self.widths.is_some()
            || self.min_width.is_some()
            || self.max_width.is_some()
            || self.tolerance.is_some();
        if srcset {
            return Err(Error::BadRequest(format!(
                "{route} makes one URL: widths, minWidth, maxWidth and tolerance belong to /v2/files/srcset"
            )));
        }
        Ok(())
    }

    /// The widths a srcset request asks for.
    fn widths(&self) -> Result<Widths, Error> {
        match (&self.widths, self.min_width, self.max_width) {
            (Some(list), None, None) if self.tolerance.is_none() => Ok(Widths::List(list.clone())),
            (None, Some(min), Some(max)) => Ok(Widths::Range {
                min,
                max,
                tolerance: self.tolerance.unwrap_or(srcset::DEFAULT_TOLERANCE),
            }),
            _ => Err(Error::BadRequest(
                "give either `widths` or both `minWidth` and `maxWidth` (with an optional `tolerance`)"
                    .to_owned(),
            )),
        }
    }
}

/// The path, signer, query params and lifetime a signing request asks for.
struct UrlPlan {
    path: String,
    signer: Signer,
    insecure: Vec<(String, String)>,
    lifetime: Lifetime,
}

/// Checks what the URL-making routes share; `default_sign` applies when the
/// request names none. For a srcset (`no_width`), the params may not fix a
/// width.
fn plan_url(
    core: &Core,
    req: &UrlRequest,
    default_sign: SignMode,
    no_width: bool,
) -> Result<UrlPlan, Error> {
    let object = file_key(&req.filename)?;
    let secure = params_of(core, "secureParams", &req.secure_params)?;
    let insecure = params_of(core, "insecureParams", &req.insecure_params)?;
    if no_width {
        srcset::check_no_width("secureParams", &secure).map_err(Error::BadRequest)?;
        srcset::check_no_width("insecureParams", &insecure).map_err(Error::BadRequest)?;
    }
    let signer = req
        .sign
        .unwrap_or(default_sign)
        .signer(&core.ring, secure, Vec::new())
        .map_err(|SecureNeedsJwt| {
            Error::BadRequest("secureParams need sign \"jwt\": only a JWT carries them".to_owned())
        })?;
    let expires_in = req.expires_in.unwrap_or(DEFAULT_URL_SECS);
    if expires_in == 0 {
        return Err(Error::BadRequest(
            "expiresIn must be at least 1 second".to_owned(),
        ));
    }
    Ok(UrlPlan {
        path: format!("/{}", object.as_str()),
        signer,
        insecure,
        lifetime: Lifetime {
            expires_in,
            key: req.key.as_deref().map(|k| key_id(core, k)).transpose()?,
        },
    })
}

/// The id `key` names: a configured key id, else the id of the key whose
/// secret it is (compared in constant time; never echoed back).
fn key_id(core: &Core, key: &str) -> Result<String, Error> {
    for kind in [KeyKind::Jwt, KeyKind::Md5] {
        if core.ring.of_kind(kind).any(|k| k.id() == key) {
            return Ok(key.to_owned());
        }
    }
    for kind in [KeyKind::Jwt, KeyKind::Md5] {
        if let Some(id) = core.ring.id_by_secret(kind, key.as_bytes()) {
            return Ok(id.to_owned());
        }
    }
    Err(Error::BadRequest(
        "`key` is neither a configured key id nor a configured key's secret".to_owned(),
    ))
}

/// Sirv's `/v2/files/jwt`: a JWT URL.
pub(super) fn jwt(core: &Core, mut body: UrlRequest) -> ApiResult {
    body.one_url("/v2/files/jwt")?;
    if body.sign.is_some() {
        return Err(Error::BadRequest(
            "/v2/files/jwt always signs with a JWT; `sign` belongs to /v2/files/sign".to_owned(),
        ));
    }
    body.sign = Some(SignMode::Jwt);
    sign(core, body)
}

/// signet's `/v2/files/sign`: one URL, signed as asked (`auto` by default).
pub(super) fn sign(core: &Core, body: UrlRequest) -> ApiResult {
    body.one_url("/v2/files/sign")?;
    let plan = plan_url(core, &body, SignMode::Auto, false)?;
    let signed = plan
        .signer
        .url(
            &core.config.public_base(),
            &core.ring,
            &plan.lifetime,
            (&plan.path, &plan.insecure),
            unix_now(),
        )
        .map_err(Error::BadRequest)?;
    Ok(json(&json!({
        "url": signed.url,
        "token": signed.token,
    })))
}

/// signet's `/v2/files/srcset`: one URL per width (JWT-signed by default).
pub(super) async fn srcset(core: &Core, body: UrlRequest) -> ApiResult {
    let mut widths = body.widths()?.resolve().map_err(Error::BadRequest)?;
    let plan = plan_url(core, &body, SignMode::Jwt, true)?;
    let secure = match &plan.signer {
        Signer::Jwt { secure, .. } => secure.as_slice(),
        _ => &[],
    };
    if !srcset::upscales(&[&plan.insecure, secure]) {
        let key = file_key(&plan.path)?;
        let limit = core.config.limits.max_source_bytes;
        let width = source_width(core.store(), &key, limit, &core.metrics).await?;
        widths = srcset::cap(&widths, width);
    }
    let base = core.config.public_base();
    let link = Link {
        base: &base,
        ring: &core.ring,
        signer: &plan.signer,
        lifetime: &plan.lifetime,
        path: &plan.path,
        params: &plan.insecure,
    };
    let candidates = srcset::candidates(&link, &widths, unix_now()).map_err(Error::BadRequest)?;
    let urls: Vec<Value> = candidates
        .iter()
        .map(|c| json!({"width": c.width, "url": c.url}))
        .collect();
    Ok(json(&json!({
        "srcset": srcset::attribute(&candidates),
        "urls": urls,
    })))
}
