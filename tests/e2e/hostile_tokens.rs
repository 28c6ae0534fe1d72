//! The hostile-token battery: every way we know to bend a JWT or an MD5
//! signature, over HTTP against the real binary. Each case must get 403 with
//! the expected `x-auth-result` — never a 500, never the file.

use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use crate::harness::{config, now, Media, Server};
use crate::tokens::*;

const FILE: &str = "/private/a.jpg";
const SECRET: &str = "topsecret";

/// Header + payload text, signed HS256 with the right key.
fn signed(header: Value, payload: &str) -> String {
    raw(&header, payload, SECRET, Algorithm::HS256)
}

fn hs(payload: Value) -> String {
    hs256(payload, SECRET)
}

/// `header.payload.signature` from raw JSON texts, signed over exactly them.
fn signed_text(header: &str, payload: &str) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{message}.{sig}")
}

/// Flips one bit of the character at `i` in a base64url string, keeping it base64url.
fn flip(s: &str, i: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = s.as_bytes().to_vec();
    let at = ALPHABET.iter().position(|&c| c == bytes[i]).unwrap();
    bytes[i] = ALPHABET[at ^ 1];
    String::from_utf8(bytes).unwrap()
}

#[test]
fn hostile_tokens_are_refused_with_the_right_reason() {
    let media = Media::new();
    let server = Server::start(&config(&media.root(), ""));
    let t = now();
    let good = hs(claims(json!(FILE), t));
    let claims_text = claims(json!(FILE), t).to_string();
    let parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let (h, p, s) = (&parts[0], &parts[1], &parts[2]);
    let jwt = |token: &str| format!("{FILE}?jwt={token}");
    let with = |extra: Value| {
        let mut c = claims(json!(FILE), t);
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        hs(c)
    };
    let without = |key: &str| {
        let mut c = claims(json!(FILE), t);
        c.as_object_mut().unwrap().remove(key);
        hs(c)
    };
    let payload = |aud: Value| hs(json!({"aud": aud, "exp": t + 300}));
    let args = |a: Value| with(json!({ "args": a }));
    let deep = {
        let mut v = json!("red");
        for _ in 0..40 {
            v = json!({ "x": v });
        }
        v
    };
    let exp = t + 300;
    let md5 = |target: &str, sig: &str, e: &str| format!("{target}?exp={e}&sig={sig}");
    let good_sig = md5_sig("private/a.jpg", exp, "jwsecret");

    const PAYLOAD: &str = "invalid payload";
    const ALG: &str = "algorithm not allowed";
    const SIG: &str = "signature mismatch";
    const AUD: &str = "audience mismatch";
    const MISSING: &str = "missing token";

    let mut cases: Vec<(String, String, &str)> = Vec::new();
    let mut add = |name: &str, target: String, reason: &'static str| {
        cases.push((name.to_owned(), target, reason));
    };

    // Algorithms.
    add(
        "alg none",
        jwt(&format!("{}.{p}.", b64(br#"{"alg":"none"}"#))),
        ALG,
    );
    add(
        "alg None",
        jwt(&format!("{}.{p}.", b64(br#"{"alg":"None"}"#))),
        ALG,
    );
    add(
        "alg none with the HS256 signature",
        jwt(&format!("{}.{p}.{s}", b64(br#"{"alg":"none"}"#))),
        ALG,
    );
    add(
        "alg empty",
        jwt(&signed(json!({"alg": ""}), &claims_text)),
        ALG,
    );
    add(
        "alg hs256 lower case",
        jwt(&signed(json!({"alg": "hs256"}), &claims_text)),
        ALG,
    );
    add(
        "alg HS384",
        jwt(&raw(
            &json!({"alg": "HS384"}),
            &claims_text,
            SECRET,
            Algorithm::HS384,
        )),
        ALG,
    );
    add(
        "alg HS512",
        jwt(&raw(
            &json!({"alg": "HS512"}),
            &claims_text,
            SECRET,
            Algorithm::HS512,
        )),
        ALG,
    );
    for alg in ["RS256", "ES256", "PS256", "EdDSA"] {
        let token = format!(
            "{}.{p}.{}",
            b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes()),
            b64(&[7u8; 64])
        );
        add(&format!("alg {alg}"), jwt(&token), ALG);
    }
    add(
        "alg missing",
        jwt(&signed(json!({"typ": "JWT"}), &claims_text)),
        PAYLOAD,
    );
    add(
        "alg null",
        jwt(&signed(json!({"alg": null}), &claims_text)),
        PAYLOAD,
    );
    add(
        "alg array",
        jwt(&signed(json!({"alg": ["HS256"]}), &claims_text)),
        PAYLOAD,
    );
    add(
        "alg repeated (HS256 then none)",
        jwt(&signed_text(
            r#"{"alg":"HS256","alg":"none"}"#,
            &claims_text,
        )),
        PAYLOAD,
    );
    add(
        "alg repeated (none then HS256)",
        jwt(&signed_text(
            r#"{"alg":"none","alg":"HS256"}"#,
            &claims_text,
        )),
        PAYLOAD,
    );

    // Headers that ask the verifier to fetch or trust something.
    for (name, value) in [
        ("crit", json!(["exp"])),
        ("jku", json!("https://evil.example/keys.json")),
        ("x5u", json!("https://evil.example/cert.pem")),
        ("jwk", json!({"kty": "oct", "k": "AAAA"})),
        ("x5c", json!(["MIIB"])),
    ] {
        let mut header = json!({"alg": "HS256"});
        header[name] = value;
        add(
            &format!("header {name}"),
            jwt(&signed(header, &claims_text)),
            PAYLOAD,
        );
    }
    add(
        "kid of an MD5 key",
        jwt(&with_kid("jw", claims(json!(FILE), t), "jwsecret")),
        SIG,
    );
    add(
        "kid unknown",
        jwt(&with_kid("nope", claims(json!(FILE), t), SECRET)),
        SIG,
    );
    add(
        "kid a number",
        jwt(&signed(json!({"alg": "HS256", "kid": 1}), &claims_text)),
        PAYLOAD,
    );
    add(
        "kid path traversal",
        jwt(&with_kid(
            "../../etc/passwd",
            claims(json!(FILE), t),
            SECRET,
        )),
        SIG,
    );
    add(
        "header not JSON",
        jwt(&format!("{}.{p}.{s}", b64(b"alg=HS256"))),
        PAYLOAD,
    );
    add(
        "header a JSON array",
        jwt(&signed_text(r#"["HS256"]"#, &claims_text)),
        PAYLOAD,
    );
    add(
        "header a JSON string",
        jwt(&signed_text(r#""HS256""#, &claims_text)),
        PAYLOAD,
    );

    // Segments.
    add("two segments", jwt(&format!("{h}.{p}")), PAYLOAD);
    add("four segments", jwt(&format!("{h}.{p}.{s}.{s}")), PAYLOAD);
    add(
        "five segments (JWE shape)",
        jwt(&format!("{h}.{p}.{s}.{p}.{s}")),
        PAYLOAD,
    );
    add("empty segments", jwt(".."), PAYLOAD);
    add("trailing dot", jwt(&format!("{good}.")), PAYLOAD);
    add("leading dot", jwt(&format!(".{good}")), PAYLOAD);
    add(
        "padded base64 header",
        jwt(&format!("{h}==.{p}.{s}")),
        PAYLOAD,
    );
    add(
        "standard base64 alphabet",
        jwt(&format!(
            "{}.{p}.{s}",
            h.replace('-', "+").replace('_', "/") + "+/"
        )),
        PAYLOAD,
    );
    add(
        "space inside (encoded)",
        jwt(&format!("{h}%20.{p}.{s}")),
        PAYLOAD,
    );
    // The signature is checked before the payload is read: unsigned bytes are never parsed.
    add("payload not base64", jwt(&format!("{h}.!!!.{s}")), SIG);

    // Signatures.
    // An HS256 signature is 43 base64url characters; any other length is a
    // malformed token (decided by length, never by the last character's bits).
    add("signature stripped", jwt(&format!("{h}.{p}.")), PAYLOAD);
    add(
        "signature first char flipped",
        jwt(&format!("{h}.{p}.{}", flip(s, 0))),
        SIG,
    );
    add(
        "signature middle char flipped",
        jwt(&format!("{h}.{p}.{}", flip(s, 20))),
        SIG,
    );
    add(
        "signature one char short",
        jwt(&format!("{h}.{p}.{}", &s[..s.len() - 1])),
        PAYLOAD,
    );
    add(
        "signature one char long",
        jwt(&format!("{h}.{p}.{s}A")),
        PAYLOAD,
    );
    add(
        "signature of another token",
        jwt(&format!(
            "{h}.{p}.{}",
            hs(claims(json!("/"), t)).rsplit('.').next().unwrap()
        )),
        SIG,
    );
    add(
        "payload bit flipped",
        jwt(&format!("{h}.{}.{s}", flip(p, 10))),
        SIG,
    );
    add(
        "header bit flipped",
        jwt(&format!("{}.{p}.{s}", flip(h, 5))),
        PAYLOAD,
    );
    add(
        "wrong key",
        jwt(&hs256(claims(json!(FILE), t), "wrong-secret")),
        SIG,
    );
    add("empty key", jwt(&hs256(claims(json!(FILE), t), "")), SIG);
    add(
        "signed with the MD5 key",
        jwt(&hs256(claims(json!(FILE), t), "jwsecret")),
        SIG,
    );

    // exp, nbf, iat.
    add("exp missing", jwt(&without("exp")), PAYLOAD);
    add(
        "exp a string",
        jwt(&with(json!({"exp": exp.to_string()}))),
        PAYLOAD,
    );
    add("exp null", jwt(&with(json!({"exp": null}))), PAYLOAD);
    add("exp a bool", jwt(&with(json!({"exp": true}))), PAYLOAD);
    add("exp an array", jwt(&with(json!({"exp": [exp]}))), PAYLOAD);
    add(
        "exp an object",
        jwt(&with(json!({"exp": {"at": exp}}))),
        PAYLOAD,
    );
    add(
        "exp a float in the past",
        jwt(&with(json!({"exp": (t - 10) as f64 + 0.5}))),
        "expired key",
    );
    add(
        "exp a huge float",
        jwt(&with(json!({"exp": 1e300}))),
        PAYLOAD,
    );
    add(
        "exp past i64",
        jwt(&with(json!({"exp": u64::MAX}))),
        PAYLOAD,
    );
    add(
        "exp huge text number",
        jwt(&signed_text(
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"aud":"{FILE}","exp":1{}}}"#, "0".repeat(40)),
        )),
        PAYLOAD,
    );
    add(
        "exp negative",
        jwt(&with(json!({"exp": -1}))),
        "expired key",
    );
    add("exp zero", jwt(&with(json!({"exp": 0}))), "expired key");
    add(
        "exp i64 min",
        jwt(&with(json!({"exp": i64::MIN}))),
        "expired key",
    );
    add(
        "exp now (dead from its exp on)",
        jwt(&with(json!({"exp": t}))),
        "expired key",
    );
    add(
        "exp repeated (past then future)",
        jwt(&signed_text(
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"aud":"{FILE}","exp":1,"exp":{exp}}}"#),
        )),
        PAYLOAD,
    );
    add(
        "nbf in the future",
        jwt(&with(json!({"nbf": t + 600}))),
        "not yet valid",
    );
    add("nbf a string", jwt(&with(json!({"nbf": "now"}))), PAYLOAD);
    add(
        "iat in the future",
        jwt(&with(json!({"iat": t + 600}))),
        "not yet valid",
    );
    add("iat a string", jwt(&with(json!({"iat": "then"}))), PAYLOAD);

    // aud.
    add("aud missing", jwt(&without("aud")), PAYLOAD);
    // Audiences, signed with the right key.
    for (name, aud, reason) in [
        ("aud empty string", json!(""), PAYLOAD),
        ("aud empty array", json!([]), PAYLOAD),
        ("aud array with a number", json!([FILE, 5]), PAYLOAD),
        ("aud array with an empty string", json!([FILE, ""]), PAYLOAD),
        ("aud a number", json!(5), PAYLOAD),
        ("aud null", json!(null), PAYLOAD),
        ("aud an object", json!({"path": FILE}), PAYLOAD),
        ("aud ..", json!(".."), AUD),
        ("aud /private/../", json!("/private/../"), AUD),
        ("aud /public/../private/", json!("/public/../private/"), AUD),
        ("aud ./ (dot segment)", json!("/private/./"), AUD),
        ("aud encoded slash", json!("/private%2Fa.jpg"), AUD),
        ("aud encoded dots", json!("/private/%2e%2e/"), AUD),
        ("aud backslashes", json!("\\private\\"), AUD),
        ("aud with NUL", json!("/private/\u{0}"), AUD),
        ("aud another file", json!("/private/b.jpg"), AUD),
        ("aud case differs", json!("/PRIVATE/a.jpg"), AUD),
    ] {
        add(name, jwt(&payload(aud)), reason);
    }
    add(
        "aud file mask, path with suffix",
        format!("{FILE}.bak?jwt={}", payload(json!(FILE))),
        AUD,
    );
    add(
        "aud NFC, path NFD",
        format!(
            "/private/cafe%CC%81.jpg?jwt={}",
            payload(json!("/private/café.jpg"))
        ),
        AUD,
    );
    add(
        "aud NFD, path NFC",
        format!(
            "/private/caf%C3%A9.jpg?jwt={}",
            payload(json!("/private/cafe\u{301}.jpg"))
        ),
        AUD,
    );
    add(
        "aud repeated (file then root)",
        jwt(&signed_text(
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"aud":"/private/b.jpg","aud":"/","exp":{exp}}}"#),
        )),
        PAYLOAD,
    );

    // args.
    add("args a string", jwt(&args(json!("w=100"))), PAYLOAD);
    add("args an array", jwt(&args(json!([["w", 100]]))), PAYLOAD);
    add("args a number", jwt(&args(json!(5))), PAYLOAD);
    add("args null", jwt(&args(json!(null))), PAYLOAD);
    add(
        "args with a null value",
        jwt(&args(json!({"text": null}))),
        PAYLOAD,
    );
    add(
        "args with an array value",
        jwt(&args(json!({"text": ["a", "b"]}))),
        PAYLOAD,
    );
    add("args nested 40 deep", jwt(&args(deep)), PAYLOAD);
    add(
        "args a name twice (dotted and nested)",
        jwt(&args(
            json!({"text.color": "red", "text": {"color": "blue"}}),
        )),
        PAYLOAD,
    );
    add(
        "args repeated key",
        jwt(&signed_text(
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"aud":"{FILE}","exp":{exp},"args":{{"text":"A","text":"B"}}}}"#),
        )),
        PAYLOAD,
    );
    add("args empty name", jwt(&args(json!({"": "x"}))), PAYLOAD);

    // Size and shape of the request.
    let big_header = signed(
        json!({"alg": "HS256", "pad": "x".repeat(9000)}),
        &claims_text,
    );
    add("token over 8 KiB (header)", jwt(&big_header), PAYLOAD);
    let big_payload = with(json!({"pad": "y".repeat(9000)}));
    add("token over 8 KiB (payload)", jwt(&big_payload), PAYLOAD);
    add(
        "jwt twice",
        format!("{FILE}?jwt={good}&jwt={good}"),
        PAYLOAD,
    );
    add("empty jwt", format!("{FILE}?jwt="), MISSING);
    add(
        "payload not JSON",
        jwt(&signed_text(r#"{"alg":"HS256"}"#, "aud=/")),
        PAYLOAD,
    );
    add(
        "payload a JSON array",
        jwt(&signed_text(r#"{"alg":"HS256"}"#, &format!("[{exp}]"))),
        PAYLOAD,
    );

    // MD5 signatures.
    add(
        "md5 sig 31 hex chars",
        md5(FILE, &good_sig[..31], &exp.to_string()),
        PAYLOAD,
    );
    add(
        "md5 sig 33 hex chars",
        md5(FILE, &format!("{good_sig}0"), &exp.to_string()),
        PAYLOAD,
    );
    add("md5 sig empty", md5(FILE, "", &exp.to_string()), PAYLOAD);
    add(
        "md5 sig not hex",
        md5(FILE, &"zz".repeat(16), &exp.to_string()),
        PAYLOAD,
    );
    add(
        "md5 sig a bit off",
        md5(
            FILE,
            &format!(
                "{}{}",
                &good_sig[..31],
                if good_sig.ends_with('0') { '1' } else { '0' }
            ),
            &exp.to_string(),
        ),
        SIG,
    );
    add(
        "md5 exp not a number",
        md5(FILE, &good_sig, "tomorrow"),
        PAYLOAD,
    );
    add(
        "md5 exp a float",
        md5(FILE, &good_sig, &format!("{exp}.5")),
        PAYLOAD,
    );
    add(
        "md5 exp with a plus sign",
        md5(FILE, &good_sig, &format!("%2B{exp}")),
        PAYLOAD,
    );
    add("md5 exp empty", md5(FILE, &good_sig, ""), PAYLOAD);
    add(
        "md5 exp overflows i64",
        md5(FILE, &good_sig, "99999999999999999999999"),
        PAYLOAD,
    );
    add(
        "md5 exp negative (signed)",
        md5(FILE, &md5_sig("private/a.jpg", -5, "jwsecret"), "-5"),
        PAYLOAD, // `exp` is digits only: a sign is malformed
    );
    add(
        "md5 exp changed after signing",
        md5(FILE, &good_sig, &(exp + 1).to_string()),
        SIG,
    );
    add(
        "md5 sig made for another path",
        md5(
            FILE,
            &md5_sig("private/b.jpg", exp, "jwsecret"),
            &exp.to_string(),
        ),
        SIG,
    );
    add(
        "md5 sig made for the folder",
        md5(
            FILE,
            &md5_sig("private/", exp, "jwsecret"),
            &exp.to_string(),
        ),
        SIG,
    );
    add(
        "md5 sig with the wrong secret",
        md5(
            FILE,
            &md5_sig("private/a.jpg", exp, SECRET),
            &exp.to_string(),
        ),
        SIG,
    );
    add(
        "md5 sig twice",
        format!("{FILE}?exp={exp}&sig={good_sig}&sig={good_sig}"),
        PAYLOAD,
    );
    add(
        "md5 sig without exp",
        format!("{FILE}?sig={good_sig}"),
        PAYLOAD,
    );

    let total = cases.len();
    assert!(total >= 80, "only {total} cases");
    let mut failures = Vec::new();
    for (name, target, reason) in &cases {
        let r = server.get(target);
        let leaked = r.body == b"private jpeg bytes";
        if r.status != 403 || r.auth() != Some(reason) || leaked {
            failures.push(format!(
                "{name}: got {} {:?}{}, want 403 {reason:?}",
                r.status,
                r.auth(),
                if leaked { " WITH THE FILE" } else { "" }
            ));
        }
    }
    // The good token works, so the refusals above are the cases' doing.
    assert_eq!(server.get(&jwt(&good)).status, 200);
    assert_eq!(
        server.get(&md5(FILE, &good_sig, &exp.to_string())).status,
        200
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
