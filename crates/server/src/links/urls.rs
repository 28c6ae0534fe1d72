//! Building public URLs: a base (`public_url`) + percent-encoded path +
//! query, signed or not, at a time the caller gives.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};
use signet_auth::{sign_jwt, sign_md5, KeyKind, KeyRing};

/// How a URL is signed.
pub(crate) enum Signer {
    None,
    Jwt {
        /// Args carried in the token (they win over the query).
        secure: Vec<(String, String)>,
        /// Audience masks; empty = the path itself.
        audience: Vec<String>,
    },
    Md5,
}

/// How long a signed URL lives, and which key signs it.
pub(crate) struct Lifetime {
    pub(crate) expires_in: u64,
    /// Key id; `None` = the first key of the kind.
    pub(crate) key: Option<String>,
}

pub(crate) struct SignedUrl {
    pub(crate) url: String,
    /// The JWT, for JWT URLs.
    pub(crate) token: Option<String>,
}

impl Signer {
    /// The full URL of `path` under `base` with `params` in its query,
    /// signed at unix time `now`.
    pub(crate) fn url(
        &self,
        base: &str,
        ring: &KeyRing,
        lifetime: &Lifetime,
        (path, params): (&str, &[(String, String)]),
        now: i64,
    ) -> Result<SignedUrl, String> {
        let expires_in = lifetime.expires_in;
        let mut query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", query_encode(k), query_encode(v)))
            .collect();
        let mut token = None;
        match self {
            Signer::None => {}
            Signer::Jwt { secure, audience } => {
                let key = ring
                    .signing_key(KeyKind::Jwt, lifetime.key.as_deref())
                    .map_err(|e| e.to_string())?;
                let audience = if audience.is_empty() {
                    vec![path.to_owned()]
                } else {
                    audience.clone()
                };
                let claims_args: Map<String, Value> = secure
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                let jwt = sign_jwt(key, &audience, now, expires_in, &claims_args)
                    .map_err(|e| e.to_string())?;
                query.push(format!("jwt={jwt}"));
                token = Some(jwt);
            }
            Signer::Md5 => {
                let key = ring
                    .signing_key(KeyKind::Md5, lifetime.key.as_deref())
                    .map_err(|e| e.to_string())?;
                let expires_at = now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX));
                let sig = sign_md5(key, path, expires_at).map_err(|e| e.to_string())?;
                query.push(format!("exp={expires_at}"));
                query.push(format!("sig={sig}"));
            }
        }
        let plain = base_url(base, path);
        let url = if query.is_empty() {
            plain
        } else {
            format!("{plain}?{}", query.join("&"))
        };
        Ok(SignedUrl { url, token })
    }
}

/// RFC 3986's unreserved characters stay; everything else is escaped, in
/// path segments and query names and values alike.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `base` + the percent-encoded `path` (which starts with `/`).
pub(crate) fn base_url(base: &str, path: &str) -> String {
    let encoded: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| utf8_percent_encode(s, ESCAPED).to_string())
        .collect();
    format!("{}/{}", base.trim_end_matches('/'), encoded.join("/"))
}

fn query_encode(s: &str) -> String {
    utf8_percent_encode(s, ESCAPED).to_string()
}

#[cfg(test)]
mod tests;
