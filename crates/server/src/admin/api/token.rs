//! REST API bearer tokens: `POST /v2/token` checks the client credentials in
//! constant time and signs an HS256 token with `api.token_secret` (its own
//! audience, so it is never a media token); every other route checks
//! `Authorization: Bearer …` first.

use headers::authorization::Bearer;
use headers::{Authorization, HeaderMapExt};
use http::{header, HeaderMap, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use md5::{Digest, Md5};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::limits::{Cors, Limiter};
use crate::config::ApiConfig;
use crate::core::unix_now;
use crate::http::body::{json, Body};
use crate::http::error::Error;
use crate::http::serve::Peer;

/// Audience of API bearer tokens: they are never media tokens.
const TOKEN_AUDIENCE: &str = "signet-api";
/// Bearer token lifetimes, as Sirv's: 20 minutes unless asked, 5 s to 7 days.
const DEFAULT_TOKEN_SECS: u64 = 1200;
const TOKEN_SECS: std::ops::RangeInclusive<u64> = 5..=604_800;
/// What a bearer token allows (Sirv's scope names).
const SCOPES: [&str; 2] = ["files:read", "files:write"];

/// The API's credentials and token keys.
pub(crate) struct Api {
    client_id: String,
    /// MD5 of the client secret: compared in constant time, at a fixed length.
    secret_digest: [u8; 16],
    encoding: EncodingKey,
    decoding: DecodingKey,
    max_upload_bytes: u64,
    pub(crate) limiter: Limiter,
    pub(crate) cors: Cors,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenRequest {
    client_id: String,
    client_secret: String,
    expires_in: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct TokenClaims {
    sub: String,
    aud: String,
    #[serde(default)]
    iat: i64,
    exp: i64,
}

impl Api {
    /// The API for this config, or `None` when `client_secret` is empty.
    pub(crate) fn new(config: &ApiConfig) -> Option<Api> {
        let client_secret = config.client_secret.expose_secret();
        if client_secret.is_empty() {
            return None;
        }
        let configured = config.token_secret.expose_secret();
        let secret: Vec<u8> = if configured.is_empty() {
            // Random per process: tokens die with it (fine for one instance;
            // replicas behind a balancer share `token_secret`).
            let mut bytes = vec![0u8; 32];
            getrandom::fill(&mut bytes).ok()?;
            bytes
        } else {
            configured.as_bytes().to_vec()
        };
        Some(Api {
            client_id: config.client_id.clone(),
            secret_digest: Md5::digest(client_secret.as_bytes()).into(),
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            max_upload_bytes: config.max_upload_bytes,
            limiter: Limiter::new(config.rate_limit),
            cors: Cors::new(&config.cors_origins),
        })
    }

    pub(super) fn max_upload_bytes(&self) -> u64 {
        self.max_upload_bytes
    }

    /// Sirv's `/v2/account/limits`: where this client stands.
    pub(super) fn limits_json(&self, extensions: &http::Extensions) -> serde_json::Value {
        let peer = extensions.get::<Peer>().map(|p| p.0.ip());
        match self.limiter.peek(peer, std::time::Instant::now()) {
            Some(v) => json!({"rest": {
                "limit": v.limit, "remaining": v.remaining, "reset": v.reset, "count": v.limit - v.remaining,
            }}),
            None => json!({}),
        }
    }

    /// `POST /v2/token`: a bearer token for the right client credentials.
    pub(super) fn issue(&self, body: TokenRequest) -> Result<Response<Body>, Error> {
        let id_ok =
            Md5::digest(body.client_id.as_bytes()).ct_eq(&Md5::digest(self.client_id.as_bytes()));
        let secret_ok = Md5::digest(body.client_secret.as_bytes()).ct_eq(&self.secret_digest);
        if !bool::from(id_ok & secret_ok) {
            tracing::warn!("REST API: wrong client credentials");
            return Err(Error::Unauthorized("wrong clientId or clientSecret"));
        }
        let expires_in = body.expires_in.unwrap_or(DEFAULT_TOKEN_SECS);
        if !TOKEN_SECS.contains(&expires_in) {
            return Err(Error::BadRequest(format!(
                "expiresIn must be between {} and {} seconds",
                TOKEN_SECS.start(),
                TOKEN_SECS.end()
            )));
        }
        let now = unix_now();
        let claims = TokenClaims {
            sub: self.client_id.clone(),
            aud: TOKEN_AUDIENCE.to_owned(),
            iat: now,
            exp: now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX)),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| {
            tracing::error!(error = %e, "cannot sign an API token");
            Error::Internal
        })?;
        Ok(json(&json!({
            "token": token,
            "expiresIn": expires_in,
            "scope": SCOPES,
        })))
    }

    /// Checks `Authorization: Bearer <token>`: signed by us, for the API,
    /// unexpired.
    pub(super) fn authorize(&self, headers: &HeaderMap) -> Result<(), Error> {
        if !headers.contains_key(header::AUTHORIZATION) {
            return Err(Error::Unauthorized("missing Authorization: Bearer token"));
        }
        let Some(Authorization(bearer)) = headers.typed_get::<Authorization<Bearer>>() else {
            return Err(Error::Unauthorized(
                "Authorization must be `Bearer <token>`",
            ));
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[TOKEN_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = 0;
        let token = bearer.token().trim();
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.decoding, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    Error::Unauthorized("the bearer token has expired")
                }
                _ => Error::Unauthorized("invalid bearer token"),
            })?;
        // jsonwebtoken accepts exp == now; a token is dead from its exp on.
        if data.claims.exp <= unix_now() {
            return Err(Error::Unauthorized("the bearer token has expired"));
        }
        Ok(())
    }
}
