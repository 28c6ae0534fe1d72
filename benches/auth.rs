//! Micro benchmarks of token verification, the per-request cost of the auth
//! gate (it runs on every request, cache hit or miss). `make bench`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map};
use signet_auth::{sign_jwt, sign_md5, verify_jwt, verify_md5, JwtOptions, Key, KeyKind, KeyRing};

const NOW: i64 = 1_700_000_000;

fn ring(jwt_keys: usize) -> KeyRing {
    let mut keys: Vec<Key> = (0..jwt_keys)
        .map(|i| {
            Key::new(
                format!("k{i}"),
                KeyKind::Jwt,
                format!("secret-number-{i}-0123456789abcdef").into_bytes(),
                "/",
            )
            .unwrap()
        })
        .collect();
    keys.push(
        Key::new(
            "m",
            KeyKind::Md5,
            b"md5-secret-0123456789abcdef012345".to_vec(),
            "/",
        )
        .unwrap(),
    );
    KeyRing::new(keys).unwrap()
}

fn bench(c: &mut Criterion) {
    let one = ring(1);
    let key = one.signing_key(KeyKind::Jwt, None).unwrap();
    let mut args = Map::new();
    args.insert("text".into(), json!({"size": 20, "color": "ffffff"}));
    args.insert("w".into(), json!(400));
    let token = sign_jwt(key, &["/photos/".to_owned()], NOW, 300, &args).unwrap();
    c.bench_function("jwt verify (kid, nested args)", |b| {
        b.iter(|| {
            verify_jwt(
                &one,
                black_box(&token),
                "/photos/a.jpg",
                NOW,
                JwtOptions::default(),
            )
            .unwrap()
        })
    });

    // Without a kid every key is tried: the cost grows with the ring.
    let five = ring(5);
    let last = &five.keys()[4];
    let claims = format!(r#"{{"aud":"/","exp":{}}}"#, NOW + 300);
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let no_kid = jsonwebtoken::encode(
        &header,
        &serde_json::from_str::<serde_json::Value>(&claims).unwrap(),
        &jsonwebtoken::EncodingKey::from_secret(b"secret-number-4-0123456789abcdef"),
    )
    .unwrap();
    assert_eq!(last.id(), "k4");
    c.bench_function("jwt verify (no kid, 5th of 5 keys)", |b| {
        b.iter(|| {
            verify_jwt(
                &five,
                black_box(&no_kid),
                "/a.jpg",
                NOW,
                JwtOptions::default(),
            )
            .unwrap()
        })
    });

    let md5_key = one.signing_key(KeyKind::Md5, None).unwrap();
    let sig = sign_md5(md5_key, "/videos/clip.mp4", NOW + 300).unwrap();
    let exp = (NOW + 300).to_string();
    c.bench_function("md5 verify", |b| {
        b.iter(|| {
            verify_md5(
                &one,
                black_box("/videos/clip.mp4"),
                Some(&exp),
                Some(&sig),
                NOW,
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
