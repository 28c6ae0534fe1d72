//! Verification and signing of signet URL tokens: Sirv-style JWTs (HS256) and
//! JW Player-style MD5 signatures. Pure: no HTTP, no I/O, the clock is a parameter.

// Data from clients and buckets must never panic the server.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod args;
mod failure;
mod jwt;
mod keys;
mod mask;
mod md5sig;
mod strict_json;

pub use args::flatten_args;
pub use failure::Failure;
pub use jwt::{
    authenticate_jwt, authorize_jwt, sign_jwt, verify_jwt, JwtOptions, VerifiedJwt, MAX_TOKEN_BYTES,
};
pub use keys::{decode_secret, Key, KeyError, KeyKind, KeyRing, WEAK_SECRET_BYTES};
pub use mask::{mask_matches, scope_matches};
pub use md5sig::{md5_signature, sign_md5, verify_md5, DEFAULT_MD5_LIFETIME_SECS};

/// Which token scheme authorized a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Jwt,
    Md5,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Jwt => "jwt",
            Scheme::Md5 => "md5",
        }
    }
}

/// What a verified token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub scheme: Scheme,
    /// Id of the key that verified the token.
    pub key_id: String,
    /// Unix seconds after which the token no longer verifies.
    pub expires_at: i64,
    /// Secure parameters (JWT `args`, flattened to dotted names); empty for MD5.
    pub args: Vec<(String, String)>,
}
