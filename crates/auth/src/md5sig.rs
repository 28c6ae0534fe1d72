//! JW Player-style signed URLs: `sig = md5(path + ":" + exp + ":" + secret)`,
//! with `path` the normalized path without its leading `/`.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use crate::{scope_matches, Failure, Grant, Key, KeyError, KeyKind, KeyRing, Scheme};

/// Lifetime of a signature made by the signing helpers when none is given.
pub const DEFAULT_MD5_LIFETIME_SECS: u64 = 3600;

/// Verifies the `exp` and `sig` query values for the normalized `path`
/// (leading `/` or not: it is removed before hashing) at unix time `now`.
///
/// Order: shape (`missing token`, `invalid payload`), signature against every
/// MD5 key (`signature mismatch`), expiry (`expired key`), the key's scope
/// (`scope mismatch`).
pub fn verify_md5(
    ring: &KeyRing,
    path: &str,
    exp: Option<&str>,
    sig: Option<&str>,
    now: i64,
) -> Result<Grant, Failure> {
    let (exp, sig) = match (exp, sig) {
        (None, None) => return Err(Failure::MissingToken),
        (Some(exp), Some(sig)) => (exp, sig),
        _ => return Err(Failure::InvalidPayload),
    };
    let expires_at = parse_exp(exp)?;
    let presented = parse_sig(sig)?;
    let path = path.strip_prefix('/').unwrap_or(path);

    let key = ring
        .of_kind(KeyKind::Md5)
        .find(|key| bool::from(md5_signature(path, exp, key.secret()).ct_eq(&presented)))
        .ok_or(Failure::SignatureMismatch)?;
    if now >= expires_at {
        return Err(Failure::Expired);
    }
    if !scope_matches(key.scope(), &format!("/{path}")) {
        return Err(Failure::ScopeMismatch);
    }
    Ok(Grant {
        scheme: Scheme::Md5,
        key_id: key.id().to_owned(),
        expires_at,
        args: Vec::new(),
    })
}

/// The raw 16-byte digest for `path` (without leading `/`) and the `exp` text.
pub fn md5_signature(path: &str, exp: &str, secret: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(path.as_bytes());
    h.update(b":");
    h.update(exp.as_bytes());
    h.update(b":");
    h.update(secret);
    h.finalize().into()
}

/// The lowercase hex `sig` for `path` expiring at `expires_at`.
pub fn sign_md5(key: &Key, path: &str, expires_at: i64) -> Result<String, KeyError> {
    if key.kind() != KeyKind::Md5 {
        return Err(KeyError::CannotSign(key.id().to_owned()));
    }
    let path = path.strip_prefix('/').unwrap_or(path);
    Ok(hex::encode(md5_signature(
        path,
        &expires_at.to_string(),
        key.secret(),
    )))
}

/// `exp` is 1 to 19 ASCII digits (no sign, no spaces) that fit an `i64`.
fn parse_exp(exp: &str) -> Result<i64, Failure> {
    if exp.is_empty() || exp.len() > 19 || !exp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::InvalidPayload);
    }
    exp.parse().map_err(|_| Failure::InvalidPayload)
}

/// `sig` is exactly 32 hex digits, either case.
fn parse_sig(sig: &str) -> Result<[u8; 16], Failure> {
    let mut out = [0u8; 16];
    if sig.len() != 32 {
        return Err(Failure::InvalidPayload);
    }
    hex::decode_to_slice(sig, &mut out).map_err(|_| Failure::InvalidPayload)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn ring() -> KeyRing {
        KeyRing::new(vec![
            Key::new("jw", KeyKind::Md5, b"jwsecret".to_vec(), "/").unwrap(),
            Key::new("videos", KeyKind::Md5, b"videosecret".to_vec(), "/videos/").unwrap(),
            Key::new("jwt", KeyKind::Jwt, b"jwtsecret".to_vec(), "/").unwrap(),
        ])
        .unwrap()
    }

    fn sig_for(path: &str, exp: i64, secret: &[u8]) -> String {
        hex::encode(md5_signature(path, &exp.to_string(), secret))
    }

    #[test]
    fn known_digest() {
        // Computed independently: printf %s 'videos/nPripu9l.mp4:1700000300:jwsecret' | md5sum
        assert_eq!(
            sig_for("videos/nPripu9l.mp4", NOW + 300, b"jwsecret"),
            "1809d527eadf53bdfbb32c4bfb00973e"
        );
    }

    #[test]
    fn verification_table() {
        let p = "videos/nPripu9l.mp4";
        let exp = NOW + 300;
        let good = sig_for(p, exp, b"jwsecret");
        let e = exp.to_string();
        // (name, path, exp, sig, expected)
        type Case<'a> = (&'a str, &'a str, Option<String>, Option<String>, &'a str);
        let cases: Vec<Case> = vec![
            (
                "valid",
                "/videos/nPripu9l.mp4",
                Some(e.clone()),
                Some(good.clone()),
                "ok",
            ),
            (
                "valid, upper-case hex",
                "/videos/nPripu9l.mp4",
                Some(e.clone()),
                Some(good.to_uppercase()),
                "ok",
            ),
            (
                "path given without slash",
                "videos/nPripu9l.mp4",
                Some(e.clone()),
                Some(good.clone()),
                "ok",
            ),
            (
                "signed with the leading slash",
                "/videos/nPripu9l.mp4",
                Some(e.clone()),
                Some(sig_for("/videos/nPripu9l.mp4", exp, b"jwsecret")),
                "signature mismatch",
            ),
            ("nothing", "/v.mp4", None, None, "missing token"),
            (
                "exp without sig",
                "/v.mp4",
                Some(e.clone()),
                None,
                "invalid payload",
            ),
            (
                "sig without exp",
                "/v.mp4",
                None,
                Some(good.clone()),
                "invalid payload",
            ),
            (
                "expired",
                "/a.jpg",
                Some((NOW - 1).to_string()),
                Some(sig_for("a.jpg", NOW - 1, b"jwsecret")),
                "expired key",
            ),
            (
                "expires now",
                "/a.jpg",
                Some(NOW.to_string()),
                Some(sig_for("a.jpg", NOW, b"jwsecret")),
                "expired key",
            ),
            (
                "wrong secret",
                "/videos/nPripu9l.mp4",
                Some(e.clone()),
                Some(sig_for(p, exp, b"other")),
                "signature mismatch",
            ),
            (
                "jwt key is not an md5 key",
                "/videos/nPripu9l.mp4",
                Some(e.clone()),
                Some(sig_for(p, exp, b"jwtsecret")),
                "signature mismatch",
            ),
            (
                "wrong path",
                "/videos/other.mp4",
                Some(e.clone()),
                Some(good.clone()),
                "signature mismatch",
            ),
            (
                "exp changed",
                "/videos/nPripu9l.mp4",
                Some((exp + 1).to_string()),
                Some(good.clone()),
                "signature mismatch",
            ),
            (
                "exp not numeric",
                "/v.mp4",
                Some("soon".into()),
                Some(good.clone()),
                "invalid payload",
            ),
            (
                "exp negative",
                "/v.mp4",
                Some("-5".into()),
                Some(good.clone()),
                "invalid payload",
            ),
            (
                "exp with plus",
                "/v.mp4",
                Some("+5".into()),
                Some(good.clone()),
                "invalid payload",
            ),
            (
                "exp empty",
                "/v.mp4",
                Some(String::new()),
                Some(good.clone()),
                "invalid payload",
            ),
            (
                "exp too long",
                "/v.mp4",
                Some("9".repeat(20)),
                Some(good.clone()),
                "invalid payload",
            ),
            (
                "exp past i64",
                "/v.mp4",
                Some("9999999999999999999".into()),
                Some(good.clone()),
                "invalid payload",
            ),
            (
                "sig short",
                "/v.mp4",
                Some(e.clone()),
                Some(good[..31].to_owned()),
                "invalid payload",
            ),
            (
                "sig long",
                "/v.mp4",
                Some(e.clone()),
                Some(format!("{good}0")),
                "invalid payload",
            ),
            (
                "sig not hex",
                "/v.mp4",
                Some(e.clone()),
                Some("z".repeat(32)),
                "invalid payload",
            ),
            (
                "sig empty",
                "/v.mp4",
                Some(e.clone()),
                Some(String::new()),
                "invalid payload",
            ),
            (
                "scoped key in scope",
                "/videos/a.mp4",
                Some(e.clone()),
                Some(sig_for("videos/a.mp4", exp, b"videosecret")),
                "ok",
            ),
            (
                "scoped key out of scope",
                "/images/a.jpg",
                Some(e.clone()),
                Some(sig_for("images/a.jpg", exp, b"videosecret")),
                "scope mismatch",
            ),
        ];
        for (name, path, exp, sig, want) in &cases {
            let got = verify_md5(&ring(), path, exp.as_deref(), sig.as_deref(), NOW);
            let got = match got {
                Ok(_) => "ok",
                Err(f) => f.reason(),
            };
            assert_eq!(got, *want, "case {name:?}");
        }
    }

    #[test]
    fn signing_round_trips() {
        let ring = ring();
        let key = ring.signing_key(KeyKind::Md5, Some("jw")).unwrap();
        let sig = sign_md5(key, "/a/b.jpg", NOW + 10).unwrap();
        let exp = (NOW + 10).to_string();
        let grant = verify_md5(&ring, "/a/b.jpg", Some(&exp), Some(&sig), NOW).unwrap();
        assert_eq!(
            (grant.scheme, grant.key_id.as_str(), grant.expires_at),
            (Scheme::Md5, "jw", NOW + 10)
        );
        let jwt_key = ring.signing_key(KeyKind::Jwt, None).unwrap();
        assert!(sign_md5(jwt_key, "/a", NOW).is_err());
    }
}
