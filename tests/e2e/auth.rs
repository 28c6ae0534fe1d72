//! The auth gate over HTTP: every reason string, every mask form, both schemes.

use jsonwebtoken::Algorithm;
use serde_json::json;

use crate::harness::{config, now, Media, Server, LONG_SECRET};
use crate::tokens::*;

struct Case {
    name: &'static str,
    target: String,
    status: u16,
    reason: Option<&'static str>,
}

fn case(name: &'static str, target: String, status: u16, reason: Option<&'static str>) -> Case {
    Case {
        name,
        target,
        status,
        reason,
    }
}

fn jwt_url(path: &str, token: &str) -> String {
    format!("{path}?jwt={token}")
}

#[test]
fn auth_cases_over_http() {
    let media = Media::new();
    let server = Server::start(&config(&media.root(), ""));
    let t = now();
    let ok = |aud: &str| hs256(claims(json!(aud), t), "topsecret");
    let forbid = |reason| Some(reason);
    let payload = claims(json!("/private/a.jpg"), t).to_string();

    let tampered = {
        let good = ok("/private/a.jpg");
        let parts: Vec<&str> = good.split('.').collect();
        let evil = b64(claims(json!("/"), t).to_string().as_bytes());
        format!("{}.{evil}.{}", parts[0], parts[2])
    };
    let none_alg = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(payload.as_bytes()));
    let rs256 = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256"}"#),
        b64(payload.as_bytes()),
        b64(&[1u8; 256])
    );
    let hs512 = raw(
        &json!({"alg": "HS512"}),
        &payload,
        "topsecret",
        Algorithm::HS512,
    );
    let exp = t + 300;
    let md5 = |path: &str, secret: &str| md5_sig(path, exp, secret);

    let cases = vec![
        case("public file, no token", "/public/a.jpg".into(), 200, None),
        case(
            "protected, no token",
            "/private/a.jpg".into(),
            403,
            forbid("missing token"),
        ),
        case(
            "protected missing file, no token: 403 not 404",
            "/private/nope.jpg".into(),
            403,
            forbid("missing token"),
        ),
        case(
            "protected missing file, valid token: 404",
            jwt_url("/private/nope.jpg", &ok("/private/")),
            404,
            None,
        ),
        case(
            "exact-file mask",
            jwt_url("/private/a.jpg", &ok("/private/a.jpg")),
            200,
            None,
        ),
        case(
            "exact-file mask, other file",
            jwt_url("/private/sub/b.jpg", &ok("/private/a.jpg")),
            403,
            forbid("audience mismatch"),
        ),
        case(
            "exact-file mask does not cover .bak",
            jwt_url("/private/a.jpg.bak", &ok("/private/a.jpg")),
            403,
            forbid("audience mismatch"),
        ),
        case(
            "folder mask",
            jwt_url("/private/sub/b.jpg", &ok("/private/")),
            200,
            None,
        ),
        case(
            "folder mask, other folder",
            jwt_url("/private/sub/b.jpg", &ok("/private/t1/")),
            403,
            forbid("audience mismatch"),
        ),
        case(
            "prefix mask /private/t covers /private/t1/",
            jwt_url("/private/t1/c.jpg", &ok("/private/t")),
            200,
            None,
        ),
        case(
            "root mask",
            jwt_url("/private/sub/b.jpg", &ok("/")),
            200,
            None,
        ),
        case(
            "audience array",
            jwt_url(
                "/private/a.jpg",
                &hs256(claims(json!(["/x/", "/private/a.jpg"]), t), "topsecret"),
            ),
            200,
            None,
        ),
        case(
            "expired",
            jwt_url(
                "/private/a.jpg",
                &hs256(json!({"aud": "/", "exp": t - 5}), "topsecret"),
            ),
            403,
            forbid("expired key"),
        ),
        case(
            "nbf ahead",
            jwt_url(
                "/private/a.jpg",
                &hs256(
                    json!({"aud": "/", "exp": t + 300, "nbf": t + 120}),
                    "topsecret",
                ),
            ),
            403,
            forbid("not yet valid"),
        ),
        case(
            "iat ahead",
            jwt_url(
                "/private/a.jpg",
                &hs256(
                    json!({"aud": "/", "exp": t + 300, "iat": t + 120}),
                    "topsecret",
                ),
            ),
            403,
            forbid("not yet valid"),
        ),
        case(
            "exp missing",
            jwt_url("/private/a.jpg", &hs256(json!({"aud": "/"}), "topsecret")),
            403,
            forbid("invalid payload"),
        ),
        case(
            "exp a string",
            jwt_url(
                "/private/a.jpg",
                &hs256(json!({"aud": "/", "exp": "never"}), "topsecret"),
            ),
            403,
            forbid("invalid payload"),
        ),
        case(
            "aud missing",
            jwt_url(
                "/private/a.jpg",
                &hs256(json!({"exp": t + 300}), "topsecret"),
            ),
            403,
            forbid("invalid payload"),
        ),
        case(
            "args not an object",
            jwt_url(
                "/private/a.jpg",
                &hs256(json!({"aud": "/", "exp": t + 300, "args": 5}), "topsecret"),
            ),
            403,
            forbid("invalid payload"),
        ),
        case(
            "tampered payload",
            jwt_url("/private/a.jpg", &tampered),
            403,
            forbid("signature mismatch"),
        ),
        case(
            "wrong key",
            jwt_url("/private/a.jpg", &hs256(claims(json!("/"), t), "guessed")),
            403,
            forbid("signature mismatch"),
        ),
        case(
            "alg none",
            jwt_url("/private/a.jpg", &none_alg),
            403,
            forbid("algorithm not allowed"),
        ),
        case(
            "alg HS512",
            jwt_url("/private/a.jpg", &hs512),
            403,
            forbid("algorithm not allowed"),
        ),
        case(
            "alg RS256",
            jwt_url("/private/a.jpg", &rs256),
            403,
            forbid("algorithm not allowed"),
        ),
        case(
            "kid selects the rotated key",
            jwt_url(
                "/private/a.jpg",
                &with_kid("rotated", claims(json!("/"), t), LONG_SECRET),
            ),
            200,
            None,
        ),
        case(
            "kid of the other key",
            jwt_url(
                "/private/a.jpg",
                &with_kid("main", claims(json!("/"), t), LONG_SECRET),
            ),
            403,
            forbid("signature mismatch"),
        ),
        case(
            "no kid: every key tried",
            jwt_url("/private/a.jpg", &hs256(claims(json!("/"), t), LONG_SECRET)),
            200,
            None,
        ),
        case(
            "scoped key inside its scope",
            jwt_url(
                "/private/team/x.jpg",
                &hs256(claims(json!("/"), t), "scoped-secret"),
            ),
            200,
            None,
        ),
        case(
            "scoped key outside its scope",
            jwt_url(
                "/private/a.jpg",
                &hs256(claims(json!("/"), t), "scoped-secret"),
            ),
            403,
            forbid("scope mismatch"),
        ),
        case(
            "garbage token",
            "/private/a.jpg?jwt=not.a.token".into(),
            403,
            forbid("invalid payload"),
        ),
        case(
            "one-segment token",
            "/private/a.jpg?jwt=abc".into(),
            403,
            forbid("invalid payload"),
        ),
        case(
            "token over 8 KiB",
            format!("/private/a.jpg?jwt={}", "a".repeat(9000)),
            403,
            forbid("invalid payload"),
        ),
        case(
            "duplicate jwt",
            format!("/private/a.jpg?jwt={0}&jwt={0}", ok("/")),
            403,
            forbid("invalid payload"),
        ),
        case(
            "empty jwt",
            "/private/a.jpg?jwt=".into(),
            403,
            forbid("missing token"),
        ),
        case(
            "valid token on a public path",
            jwt_url("/public/a.jpg", &ok("/public/")),
            200,
            None,
        ),
        case(
            "bad token on a public path",
            jwt_url("/public/a.jpg", &hs256(claims(json!("/"), t), "guessed")),
            403,
            forbid("signature mismatch"),
        ),
        case(
            "wrong-audience token on a public path",
            jwt_url("/public/a.jpg", &ok("/private/")),
            403,
            forbid("audience mismatch"),
        ),
        case(
            "jwt-only prefix refuses md5",
            format!(
                "/jwt-only/a.jpg?exp={exp}&sig={}",
                md5("jwt-only/a.jpg", "jwsecret")
            ),
            403,
            forbid("missing token"),
        ),
        case(
            "jwt-only prefix takes jwt",
            jwt_url("/jwt-only/a.jpg", &ok("/")),
            200,
            None,
        ),
        case(
            "md5-only prefix refuses jwt",
            jwt_url("/md5-only/v.mp4", &ok("/")),
            403,
            forbid("missing token"),
        ),
        case(
            "md5 valid",
            format!(
                "/md5-only/v.mp4?exp={exp}&sig={}",
                md5("md5-only/v.mp4", "jwsecret")
            ),
            200,
            None,
        ),
        case(
            "md5 valid, upper-case hex",
            format!(
                "/private/a.jpg?exp={exp}&sig={}",
                md5("private/a.jpg", "jwsecret").to_uppercase()
            ),
            200,
            None,
        ),
        case(
            "md5 expired",
            format!(
                "/private/a.jpg?exp={}&sig={}",
                t - 1,
                md5_sig("private/a.jpg", t - 1, "jwsecret")
            ),
            403,
            forbid("expired key"),
        ),
        case(
            "md5 wrong secret",
            format!(
                "/private/a.jpg?exp={exp}&sig={}",
                md5("private/a.jpg", "nope")
            ),
            403,
            forbid("signature mismatch"),
        ),
        case(
            "md5 signature for another path",
            format!(
                "/private/a.jpg?exp={exp}&sig={}",
                md5("private/sub/b.jpg", "jwsecret")
            ),
            403,
            forbid("signature mismatch"),
        ),
        case(
            "md5 signed with the leading slash",
            format!(
                "/private/a.jpg?exp={exp}&sig={}",
                md5("/private/a.jpg", "jwsecret")
            ),
            403,
            forbid("signature mismatch"),
        ),
        case(
            "md5 exp not a number",
            format!(
                "/private/a.jpg?exp=soon&sig={}",
                md5("private/a.jpg", "jwsecret")
            ),
            403,
            forbid("invalid payload"),
        ),
        case(
            "md5 sig too short",
            format!("/private/a.jpg?exp={exp}&sig=abc123"),
            403,
            forbid("invalid payload"),
        ),
        case(
            "md5 sig not hex",
            format!("/private/a.jpg?exp={exp}&sig={}", "g".repeat(32)),
            403,
            forbid("invalid payload"),
        ),
        case(
            "md5 exp without sig",
            format!("/private/a.jpg?exp={exp}"),
            403,
            forbid("invalid payload"),
        ),
        case(
            "md5 sig for a missing file: 404 after auth",
            format!(
                "/private/gone.jpg?exp={exp}&sig={}",
                md5("private/gone.jpg", "jwsecret")
            ),
            404,
            None,
        ),
        case(
            "jwt and md5 together",
            format!(
                "/private/a.jpg?jwt={}&exp={exp}&sig={}",
                ok("/"),
                md5("private/a.jpg", "jwsecret")
            ),
            403,
            forbid("invalid payload"),
        ),
        case(
            "encoded path matches decoded mask",
            jwt_url("/private/with%20space.jpg", &ok("/private/with space.jpg")),
            200,
            None,
        ),
        case(
            "md5 over the decoded path",
            format!(
                "/private/with%20space.jpg?exp={exp}&sig={}",
                md5("private/with space.jpg", "jwsecret")
            ),
            200,
            None,
        ),
    ];
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for c in &cases {
        let r = server.get(&c.target);
        if r.status != c.status || r.auth() != c.reason {
            failures.push(format!(
                "{}: got {} {:?}, want {} {:?}",
                c.name,
                r.status,
                r.auth(),
                c.status,
                c.reason
            ));
        }
        if r.status == 403 {
            assert_eq!(
                r.header("content-type"),
                Some("text/plain; charset=utf-8"),
                "{}",
                c.name
            );
            assert_eq!(r.text().lines().count(), 1, "{}: one-line body", c.name);
            assert!(
                !r.text().contains("topsecret") && !r.text().contains("jwsecret"),
                "{}",
                c.name
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn token_lifetime_caps_cache_control() {
    let media = Media::new();
    let server = Server::start(&config(&media.root(), ""));
    let t = now();
    let token = hs256(json!({"aud": "/", "exp": t + 90}), "topsecret");
    let r = server.get(&format!("/private/a.jpg?jwt={token}"));
    assert_eq!(r.status, 200);
    let max_age: u64 = r
        .header("cache-control")
        .unwrap()
        .trim_start_matches("public, max-age=")
        .parse()
        .unwrap();
    assert!((80..=90).contains(&max_age), "max-age {max_age}");
    let r = server.get("/public/a.jpg");
    assert_eq!(r.header("cache-control"), Some("public, max-age=86400"));
}

#[test]
fn leeway_accepts_recently_expired_tokens() {
    let media = Media::new();
    let server = Server::start(&config(&media.root(), "jwt_leeway = \"30s\""));
    let t = now();
    let recent = hs256(json!({"aud": "/", "exp": t - 10}), "topsecret");
    assert_eq!(
        server.get(&format!("/private/a.jpg?jwt={recent}")).status,
        200
    );
    let old = hs256(json!({"aud": "/", "exp": t - 60}), "topsecret");
    assert_eq!(
        server.get(&format!("/private/a.jpg?jwt={old}")).auth(),
        Some("expired key")
    );
    let early = hs256(
        json!({"aud": "/", "exp": t + 300, "nbf": t + 10}),
        "topsecret",
    );
    assert_eq!(
        server.get(&format!("/private/a.jpg?jwt={early}")).status,
        200
    );
}

#[test]
fn conditional_requests_are_answered_only_after_auth() {
    let media = Media::new();
    let server = Server::start(&config(&media.root(), ""));
    let token = hs256(claims(json!("/"), now()), "topsecret");
    let first = server.get(&format!("/private/a.jpg?jwt={token}"));
    let etag = first.header("etag").unwrap().to_owned();
    let with_tag = [("If-None-Match", etag.as_str())];
    let anonymous = server.send("GET", "/private/a.jpg", &with_tag);
    assert_eq!(
        (anonymous.status, anonymous.auth()),
        (403, Some("missing token"))
    );
    let authorized = server.send("GET", &format!("/private/a.jpg?jwt={token}"), &with_tag);
    assert_eq!(authorized.status, 304);
    assert!(authorized.body.is_empty());
}
