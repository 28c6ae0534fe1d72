//! Token makers for the end-to-end tests: well-formed ones through
//! `jsonwebtoken`, hostile ones byte by byte.

use base64::Engine as _;
use jsonwebtoken::{crypto, Algorithm, EncodingKey};
use md5::{Digest, Md5};
use serde_json::{json, Value};

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with exactly this header and payload, signed with `alg` and `secret`.
pub fn raw(header: &Value, payload: &str, secret: &str, alg: Algorithm) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.as_bytes())
    );
    let sig = crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(secret.as_bytes()),
        alg,
    )
    .unwrap();
    format!("{message}.{sig}")
}

pub fn hs256(claims: Value, secret: &str) -> String {
    raw(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims.to_string(),
        secret,
        Algorithm::HS256,
    )
}

pub fn with_kid(kid: &str, claims: Value, secret: &str) -> String {
    raw(
        &json!({"alg": "HS256", "kid": kid}),
        &claims.to_string(),
        secret,
        Algorithm::HS256,
    )
}

/// `{aud, exp: now+300}`.
pub fn claims(aud: Value, now: i64) -> Value {
    json!({"aud": aud, "exp": now + 300, "iat": now})
}

pub fn md5_sig(path_without_slash: &str, exp: i64, secret: &str) -> String {
    let mut h = Md5::new();
    h.update(format!("{path_without_slash}:{exp}:{secret}").as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
