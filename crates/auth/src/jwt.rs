//! Sirv-style JWTs: HS256 only, `exp` and `aud` required, `aud` as filename masks,
//! `args` as secure parameters.

use base64::Engine as _;
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};

use crate::{
    flatten_args, mask_matches, scope_matches, strict_json, Failure, Grant, Key, KeyError, KeyKind,
    KeyRing, Scheme,
};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Header parameters that point at keys or demand extensions we do not
/// implement; a token carrying one is refused rather than half-understood.
const REFUSED_HEADERS: [&str; 5] = ["crit", "jku", "jwk", "x5u", "x5c"];

/// Verification settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct JwtOptions {
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: u64,
}

/// Verifies `token` for the normalized `path` at unix time `now`.
///
/// Checks run in this order, and the first failure is the answer: shape and
/// header (`invalid payload`, `algorithm not allowed`), signature against the
/// `kid` key or else every JWT key (`signature mismatch`), claim types
/// (`invalid payload`), time (`expired key`, `not yet valid`), audience
/// (`audience mismatch`), the key's scope (`scope mismatch`). Claims are only
/// read once the signature is known good.
pub fn verify_jwt(
    ring: &KeyRing,
    token: &str,
    path: &str,
    now: i64,
    opts: JwtOptions,
) -> Result<Grant, Failure> {
    authorize_jwt(&authenticate_jwt(ring, token)?, path, now, opts)
}

/// A JWT whose shape, header and signature checked out, with its claims read
/// and type-checked: everything that depends on the token and the key ring
/// only. `authorize_jwt` then checks it against a path and a clock, so a
/// server may keep these for tokens it sees again (the key ring is fixed for
/// the life of the process) and skip the parsing and the HMAC.
#[derive(Debug, Clone)]
pub struct VerifiedJwt {
    key_id: String,
    key_scope: String,
    claims: Claims,
}

impl VerifiedJwt {
    /// Bytes this value holds, for weighing it in a cache.
    pub fn weight(&self) -> usize {
        let aud: usize = self.claims.aud.iter().map(String::len).sum();
        let args: usize = self
            .claims
            .args
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        self.key_id.len() + self.key_scope.len() + aud + args
    }
}

/// The first half of [`verify_jwt`]: shape, header, signature, claim types.
pub fn authenticate_jwt(ring: &KeyRing, token: &str) -> Result<VerifiedJwt, Failure> {
    if token.is_empty() {
        return Err(Failure::MissingToken);
    }
    if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
        return Err(Failure::InvalidPayload);
    }
    let kid = check_header(token)?;
    check_signature_shape(token)?;

    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;

    let mut verified: Option<&Key> = None;
    for key in ring.of_kind(KeyKind::Jwt) {
        if kid.as_deref().is_some_and(|kid| kid != key.id()) {
            continue;
        }
        let decoding = DecodingKey::from_secret(key.secret());
        match jsonwebtoken::decode::<Value>(token, &decoding, &validation) {
            Ok(_) => {
                verified = Some(key);
                break;
            }
            Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => continue,
            Err(_) => return Err(Failure::InvalidPayload),
        }
    }
    let Some(key) = verified else {
        return Err(Failure::SignatureMismatch);
    };
    // The signature is good; read the claims again, refusing repeated keys
    // (which `jsonwebtoken`'s parse resolves silently, last one wins).
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|bytes| strict_json::parse(&bytes).ok())
        .ok_or(Failure::InvalidPayload)?;
    Ok(VerifiedJwt {
        key_id: key.id().to_owned(),
        key_scope: key.scope().to_owned(),
        claims: Claims::read(&claims)?,
    })
}

/// The second half of [`verify_jwt`]: time, audience and the key's scope
/// for `path` at unix time `now`.
pub fn authorize_jwt(
    verified: &VerifiedJwt,
    path: &str,
    now: i64,
    opts: JwtOptions,
) -> Result<Grant, Failure> {
    let claims = &verified.claims;
    let leeway = i64::try_from(opts.leeway).unwrap_or(i64::MAX);
    if now >= claims.exp.saturating_add(leeway) {
        return Err(Failure::Expired);
    }
    let not_before = [claims.nbf, claims.iat].into_iter().flatten();
    if not_before
        .into_iter()
        .any(|t| t > now.saturating_add(leeway))
    {
        return Err(Failure::NotYetValid);
    }
    if !claims.aud.iter().any(|mask| mask_matches(mask, path)) {
        return Err(Failure::AudienceMismatch);
    }
    if !scope_matches(&verified.key_scope, path) {
        return Err(Failure::ScopeMismatch);
    }
    Ok(Grant {
        scheme: Scheme::Jwt,
        key_id: verified.key_id.clone(),
        expires_at: claims.exp,
        args: claims.args.clone(),
    })
}

/// Reads the header without trusting it: returns its `kid`, or the failure.
fn check_header(token: &str) -> Result<Option<String>, Failure> {
    let encoded = token.split('.').next().unwrap_or("");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| Failure::InvalidPayload)?;
    let Ok(Value::Object(header)) = strict_json::parse(&bytes) else {
        return Err(Failure::InvalidPayload);
    };
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => {}
        Some(Value::String(_)) => return Err(Failure::AlgorithmNotAllowed),
        _ => return Err(Failure::InvalidPayload),
    }
    if REFUSED_HEADERS.iter().any(|h| header.contains_key(*h)) {
        return Err(Failure::InvalidPayload);
    }
    match header.get("kid") {
        None => Ok(None),
        Some(Value::String(kid)) => Ok(Some(kid.clone())),
        Some(_) => Err(Failure::InvalidPayload),
    }
}

/// An HS256 signature is 32 bytes: exactly 43 unpadded base64url characters.
/// Anything else is a malformed token, decided here rather than by whether
/// a short signature's last character happens to have clean trailing bits
/// (which made a 42-character signature answer one of two reasons at random).
fn check_signature_shape(token: &str) -> Result<(), Failure> {
    let signature = token.rsplit('.').next().unwrap_or("");
    match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) {
        Ok(bytes) if signature.len() == 43 && bytes.len() == 32 => Ok(()),
        _ => Err(Failure::InvalidPayload),
    }
}

/// The claims signet reads, type-checked.
#[derive(Debug, Clone)]
struct Claims {
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
    aud: Vec<String>,
    args: Vec<(String, String)>,
}

impl Claims {
    fn read(claims: &Value) -> Result<Claims, Failure> {
        let Value::Object(obj) = claims else {
            return Err(Failure::InvalidPayload);
        };
        let exp = obj
            .get("exp")
            .ok_or(Failure::InvalidPayload)
            .and_then(numeric_date)?;
        let nbf = obj.get("nbf").map(numeric_date).transpose()?;
        let iat = obj.get("iat").map(numeric_date).transpose()?;
        let aud = match obj.get("aud") {
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|v| match v {
                    Value::String(s) if !s.is_empty() => Ok(s.clone()),
                    _ => Err(Failure::InvalidPayload),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(Failure::InvalidPayload),
        };
        let args = match obj.get("args") {
            None => Vec::new(),
            Some(Value::Object(args)) => flatten_args(args)?,
            Some(_) => return Err(Failure::InvalidPayload),
        };
        Ok(Claims {
            exp,
            nbf,
            iat,
            aud,
            args,
        })
    }
}

/// 2^63, exactly representable as an `f64`: floats at or past it do not fit an `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A JSON NumericDate: an integer, or a finite number of seconds (floored).
fn numeric_date(v: &Value) -> Result<i64, Failure> {
    let Value::Number(n) = v else {
        return Err(Failure::InvalidPayload);
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    if n.is_u64() {
        return Err(Failure::InvalidPayload);
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.abs() < TWO_POW_63 => Ok(f.floor() as i64),
        _ => Err(Failure::InvalidPayload),
    }
}

/// Signs a token the way Sirv's examples do: claims `aud`, `iat`, `exp` and,
/// when not empty, `args`; header `alg: HS256`, `typ: JWT` and `kid` = the key id.
pub fn sign_jwt(
    key: &Key,
    audience: &[String],
    now: i64,
    expires_in: u64,
    args: &Map<String, Value>,
) -> Result<String, KeyError> {
    if key.kind() != KeyKind::Jwt {
        return Err(KeyError::CannotSign(key.id().to_owned()));
    }
    let mut claims = Map::new();
    let aud = match audience {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    };
    claims.insert("aud".into(), aud);
    claims.insert("iat".into(), now.into());
    let exp = now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX));
    claims.insert("exp".into(), exp.into());
    if !args.is_empty() {
        claims.insert("args".into(), Value::Object(args.clone()));
    }
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.id().to_owned());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key.secret()))
        .map_err(|_| KeyError::CannotSign(key.id().to_owned()))
}

#[cfg(test)]
mod tests;
