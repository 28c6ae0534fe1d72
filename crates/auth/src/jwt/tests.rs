//! Table-driven tests of JWT verification and signing.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Map, Value};

use super::*;

const NOW: i64 = 1_700_000_000;
const LONG: &[u8] = b"0123456789abcdef0123456789abcdef";

fn ring() -> KeyRing {
    KeyRing::new(vec![
        Key::new("main", KeyKind::Jwt, b"topsecret".to_vec(), "/").unwrap(),
        Key::new("second", KeyKind::Jwt, LONG.to_vec(), "/").unwrap(),
        Key::new(
            "scoped",
            KeyKind::Jwt,
            b"scopedsecret".to_vec(),
            "/private/",
        )
        .unwrap(),
        Key::new("md", KeyKind::Md5, b"md5secret".to_vec(), "/").unwrap(),
    ])
    .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with exactly this header and payload JSON, signed with `alg`.
fn raw(header: &str, payload: &str, secret: &[u8], alg: Algorithm) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig =
        jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(secret), alg)
            .unwrap();
    format!("{message}.{sig}")
}

fn hs256(claims: Value, secret: &[u8]) -> String {
    raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &claims.to_string(),
        secret,
        Algorithm::HS256,
    )
}

fn with_kid(kid: &str, claims: Value, secret: &[u8]) -> String {
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": kid}).to_string();
    raw(&header, &claims.to_string(), secret, Algorithm::HS256)
}

fn ok_claims() -> Value {
    json!({"aud": "/a/b.jpg", "exp": NOW + 300, "iat": NOW})
}

fn check(token: &str, path: &str) -> Result<Grant, Failure> {
    verify_jwt(&ring(), token, path, NOW, JwtOptions::default())
}

fn reason(r: Result<Grant, Failure>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(f) => f.reason(),
    }
}

#[test]
fn verification_table() {
    let valid = hs256(ok_claims(), b"topsecret");
    let parts: Vec<&str> = valid.split('.').collect();
    let flipped_sig = {
        let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[2])
            .unwrap();
        sig[0] ^= 1;
        format!("{}.{}.{}", parts[0], parts[1], b64(&sig))
    };
    let tampered_payload = {
        let other = b64(json!({"aud": "/", "exp": NOW + 300}).to_string().as_bytes());
        format!("{}.{}.{}", parts[0], other, parts[2])
    };
    let none_alg = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(ok_claims().to_string().as_bytes())
    );
    let rs256 = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64(ok_claims().to_string().as_bytes()),
        b64(&[7u8; 256])
    );
    let hs512 = raw(
        r#"{"alg":"HS512"}"#,
        &ok_claims().to_string(),
        b"topsecret",
        Algorithm::HS512,
    );
    let hs384 = raw(
        r#"{"alg":"HS384"}"#,
        &ok_claims().to_string(),
        b"topsecret",
        Algorithm::HS384,
    );
    let lower_alg = raw(
        r#"{"alg":"hs256"}"#,
        &ok_claims().to_string(),
        b"topsecret",
        Algorithm::HS256,
    );
    let claims = |v: Value| hs256(v, b"topsecret");

    // (name, token, path, expected reason)
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("valid", valid.clone(), "/a/b.jpg", "ok"),
        (
            "valid with the 32-byte key",
            hs256(ok_claims(), LONG),
            "/a/b.jpg",
            "ok",
        ),
        ("empty token", String::new(), "/a/b.jpg", "missing token"),
        ("one segment", "abc".into(), "/a/b.jpg", "invalid payload"),
        (
            "two segments",
            format!("{}.{}", parts[0], parts[1]),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "four segments",
            format!("{valid}.x"),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "garbage",
            "!!!.###.$$$".into(),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "header not base64",
            format!("***.{}.{}", parts[1], parts[2]),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "header not json",
            format!("{}.{}.{}", b64(b"nope"), parts[1], parts[2]),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "header without alg",
            raw(
                r#"{"typ":"JWT"}"#,
                &ok_claims().to_string(),
                b"topsecret",
                Algorithm::HS256,
            ),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "alg not a string",
            raw(
                r#"{"alg":256}"#,
                &ok_claims().to_string(),
                b"topsecret",
                Algorithm::HS256,
            ),
            "/a/b.jpg",
            "invalid payload",
        ),
        ("alg none", none_alg, "/a/b.jpg", "algorithm not allowed"),
        ("alg RS256", rs256, "/a/b.jpg", "algorithm not allowed"),
        ("alg HS512", hs512, "/a/b.jpg", "algorithm not allowed"),
        ("alg HS384", hs384, "/a/b.jpg", "algorithm not allowed"),
        (
            "alg in lower case",
            lower_alg,
            "/a/b.jpg",
            "algorithm not allowed",
        ),
        (
            "crit header",
            raw(
                r#"{"alg":"HS256","crit":["x"],"x":1}"#,
                &ok_claims().to_string(),
                b"topsecret",
                Algorithm::HS256,
            ),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "jku header",
            raw(
                r#"{"alg":"HS256","jku":"http://x/"}"#,
                &ok_claims().to_string(),
                b"topsecret",
                Algorithm::HS256,
            ),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "kid not a string",
            raw(
                r#"{"alg":"HS256","kid":1}"#,
                &ok_claims().to_string(),
                b"topsecret",
                Algorithm::HS256,
            ),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "wrong key",
            hs256(ok_claims(), b"wrongsecret"),
            "/a/b.jpg",
            "signature mismatch",
        ),
        (
            "md5 secret used as jwt key",
            hs256(ok_claims(), b"md5secret"),
            "/a/b.jpg",
            "signature mismatch",
        ),
        (
            "flipped signature bit",
            flipped_sig,
            "/a/b.jpg",
            "signature mismatch",
        ),
        (
            "stripped signature",
            format!("{}.{}.", parts[0], parts[1]),
            "/a/b.jpg",
            "invalid payload", // not 43 base64url characters
        ),
        (
            "signature not base64",
            format!("{}.{}.***", parts[0], parts[1]),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "tampered payload",
            tampered_payload,
            "/a/b.jpg",
            "signature mismatch",
        ),
        (
            "kid selects its key",
            with_kid("second", ok_claims(), LONG),
            "/a/b.jpg",
            "ok",
        ),
        (
            "kid names another key",
            with_kid("main", ok_claims(), LONG),
            "/a/b.jpg",
            "signature mismatch",
        ),
        (
            "kid names no key",
            with_kid("nope", ok_claims(), b"topsecret"),
            "/a/b.jpg",
            "signature mismatch",
        ),
        (
            "kid names an md5 key",
            with_kid("md", ok_claims(), b"md5secret"),
            "/a/b.jpg",
            "signature mismatch",
        ),
        (
            "payload not json",
            raw(
                r#"{"alg":"HS256"}"#,
                "not json",
                b"topsecret",
                Algorithm::HS256,
            ),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "payload an array",
            claims(json!([1, 2])),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "exp missing",
            claims(json!({"aud": "/"})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "exp a string",
            claims(json!({"aud": "/", "exp": (NOW + 300).to_string()})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "exp null",
            claims(json!({"aud": "/", "exp": null})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "exp a float",
            claims(json!({"aud": "/", "exp": (NOW + 300) as f64 + 0.5})),
            "/a/b.jpg",
            "ok",
        ),
        (
            "exp huge",
            claims(json!({"aud": "/", "exp": 1e300})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "exp past i64",
            claims(json!({"aud": "/", "exp": u64::MAX})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "exp negative",
            claims(json!({"aud": "/", "exp": -1})),
            "/a/b.jpg",
            "expired key",
        ),
        (
            "expired",
            claims(json!({"aud": "/", "exp": NOW - 1})),
            "/a/b.jpg",
            "expired key",
        ),
        (
            "expires this second",
            claims(json!({"aud": "/", "exp": NOW})),
            "/a/b.jpg",
            "expired key",
        ),
        (
            "expires next second",
            claims(json!({"aud": "/", "exp": NOW + 1})),
            "/a/b.jpg",
            "ok",
        ),
        (
            "nbf in the future",
            claims(json!({"aud": "/", "exp": NOW + 300, "nbf": NOW + 10})),
            "/a/b.jpg",
            "not yet valid",
        ),
        (
            "nbf now",
            claims(json!({"aud": "/", "exp": NOW + 300, "nbf": NOW})),
            "/a/b.jpg",
            "ok",
        ),
        (
            "nbf a string",
            claims(json!({"aud": "/", "exp": NOW + 300, "nbf": "soon"})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "iat in the future",
            claims(json!({"aud": "/", "exp": NOW + 300, "iat": NOW + 60})),
            "/a/b.jpg",
            "not yet valid",
        ),
        (
            "iat a bool",
            claims(json!({"aud": "/", "exp": NOW + 300, "iat": true})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "aud missing",
            claims(json!({"exp": NOW + 300})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "aud empty string",
            claims(json!({"aud": "", "exp": NOW + 300})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "aud empty array",
            claims(json!({"aud": [], "exp": NOW + 300})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "aud a number",
            claims(json!({"aud": 5, "exp": NOW + 300})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "aud array with a number",
            claims(json!({"aud": ["/a/", 5], "exp": NOW + 300})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "aud array, second matches",
            claims(json!({"aud": ["/x/", "/a/"], "exp": NOW + 300})),
            "/a/b.jpg",
            "ok",
        ),
        (
            "aud array, none match",
            claims(json!({"aud": ["/x/", "/y.jpg"], "exp": NOW + 300})),
            "/a/b.jpg",
            "audience mismatch",
        ),
        (
            "aud root",
            claims(json!({"aud": "/", "exp": NOW + 300})),
            "/deep/x/y.png",
            "ok",
        ),
        (
            "aud prefix /a/b",
            claims(json!({"aud": "/a/b", "exp": NOW + 300})),
            "/a/bc/d.jpg",
            "ok",
        ),
        (
            "aud folder",
            claims(json!({"aud": "/a/", "exp": NOW + 300})),
            "/a/b.jpg",
            "ok",
        ),
        (
            "aud other folder",
            claims(json!({"aud": "/b/", "exp": NOW + 300})),
            "/a/b.jpg",
            "audience mismatch",
        ),
        (
            "aud exact file",
            claims(json!({"aud": "/a/b.jpg", "exp": NOW + 300})),
            "/a/b.jpg.bak",
            "audience mismatch",
        ),
        (
            "aud with ..",
            claims(json!({"aud": "/a/../", "exp": NOW + 300})),
            "/a/b.jpg",
            "audience mismatch",
        ),
        (
            "args a string",
            claims(json!({"aud": "/", "exp": NOW + 300, "args": "w=1"})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "args with null",
            claims(json!({"aud": "/", "exp": NOW + 300, "args": {"w": null}})),
            "/a/b.jpg",
            "invalid payload",
        ),
        (
            "args nested",
            claims(json!({"aud": "/", "exp": NOW + 300, "args": {"text": {"size": 20}}})),
            "/a/b.jpg",
            "ok",
        ),
        (
            "scoped key inside scope",
            hs256(json!({"aud": "/", "exp": NOW + 300}), b"scopedsecret"),
            "/private/x.jpg",
            "ok",
        ),
        (
            "scoped key outside scope",
            hs256(json!({"aud": "/", "exp": NOW + 300}), b"scopedsecret"),
            "/public/x.jpg",
            "scope mismatch",
        ),
        (
            "over 8 KiB",
            "a".repeat(MAX_TOKEN_BYTES + 1),
            "/a/b.jpg",
            "invalid payload",
        ),
    ];
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for (name, token, path, want) in &cases {
        assert_eq!(reason(check(token, path)), *want, "case {name:?}");
    }
}

#[test]
fn leeway_stretches_exp_nbf_and_iat() {
    let opts = JwtOptions { leeway: 30 };
    let at = |claims: Value| verify_jwt(&ring(), &hs256(claims, b"topsecret"), "/x.jpg", NOW, opts);
    assert!(at(json!({"aud": "/", "exp": NOW - 29})).is_ok());
    assert_eq!(
        at(json!({"aud": "/", "exp": NOW - 30})),
        Err(Failure::Expired)
    );
    assert!(at(json!({"aud": "/", "exp": NOW + 99, "nbf": NOW + 30})).is_ok());
    assert_eq!(
        at(json!({"aud": "/", "exp": NOW + 99, "nbf": NOW + 31})),
        Err(Failure::NotYetValid)
    );
    assert!(at(json!({"aud": "/", "exp": NOW + 99, "iat": NOW + 30})).is_ok());
}

#[test]
fn grant_carries_key_expiry_and_flat_args() {
    let token = hs256(
        json!({"aud": "/", "exp": NOW + 300, "args": {"text": "Hello", "text.size": 20, "w": 300}}),
        LONG,
    );
    let grant = check(&token, "/a.jpg").unwrap();
    assert_eq!(grant.scheme, Scheme::Jwt);
    assert_eq!(grant.key_id, "second");
    assert_eq!(grant.expires_at, NOW + 300);
    let args: Vec<(&str, &str)> = grant
        .args
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        args,
        vec![("text", "Hello"), ("text.size", "20"), ("w", "300")]
    );
}

#[test]
fn no_jwt_keys_means_signature_mismatch() {
    let ring = KeyRing::new(vec![
        Key::new("md", KeyKind::Md5, b"s".to_vec(), "/").unwrap()
    ])
    .unwrap();
    let token = hs256(ok_claims(), b"s");
    let got = verify_jwt(&ring, &token, "/a/b.jpg", NOW, JwtOptions::default());
    assert_eq!(got, Err(Failure::SignatureMismatch));
}

#[test]
fn signed_tokens_round_trip() {
    let ring = ring();
    let key = ring.signing_key(KeyKind::Jwt, Some("second")).unwrap();
    let mut args = Map::new();
    args.insert("text".into(), json!("Hi"));
    let token = sign_jwt(key, &["/a/".to_owned()], NOW, 60, &args).unwrap();
    let grant = verify_jwt(&ring, &token, "/a/b.jpg", NOW + 59, JwtOptions::default()).unwrap();
    assert_eq!(grant.args, vec![("text".to_owned(), "Hi".to_owned())]);
    assert_eq!(grant.expires_at, NOW + 60);
    let later = verify_jwt(&ring, &token, "/a/b.jpg", NOW + 60, JwtOptions::default());
    assert_eq!(later, Err(Failure::Expired));
    let elsewhere = verify_jwt(&ring, &token, "/b/c.jpg", NOW, JwtOptions::default());
    assert_eq!(elsewhere, Err(Failure::AudienceMismatch));

    let many = sign_jwt(
        key,
        &["/x/".to_owned(), "/a/".to_owned()],
        NOW,
        60,
        &Map::new(),
    )
    .unwrap();
    assert!(verify_jwt(&ring, &many, "/a/b.jpg", NOW, JwtOptions::default()).is_ok());
}

#[test]
fn md5_keys_cannot_sign_jwts() {
    let ring = ring();
    let md = ring.signing_key(KeyKind::Md5, None).unwrap();
    assert_eq!(
        sign_jwt(md, &["/".to_owned()], NOW, 60, &Map::new()),
        Err(KeyError::CannotSign("md".into()))
    );
}
