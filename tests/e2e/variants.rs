//! Transformed images through the real server: sizes, formats, validators,
//! tokens' secure args, and hostile sources.

use serde_json::json;

use crate::harness::{config, now, Media, Server};
use crate::tokens::{claims, hs256};

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800
const LOGO: &[u8] = include_bytes!("../../examples/media/logo.png"); // 200×80, alpha

/// Width and height from a JPEG's SOF or a PNG's IHDR.
fn dims(bytes: &[u8]) -> (u32, u32) {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        let be =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        return (be(16), be(20));
    }
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    let mut i = 2;
    loop {
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if (0xC0..=0xC2).contains(&marker) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return (w.into(), h.into());
        }
        i += 2 + len;
    }
}

fn setup() -> (Media, Server) {
    let media = Media::new();
    let root = media.root();
    std::fs::write(root.join("public/photo.jpg"), PHOTO).unwrap();
    std::fs::write(root.join("public/logo.png"), LOGO).unwrap();
    std::fs::write(root.join("private/photo.jpg"), PHOTO).unwrap();
    let server = Server::start(&config(&root, ""));
    (media, server)
}

#[test]
fn size_and_format_options_transform_the_image() {
    let (_m, s) = setup();
    let cases: &[(&str, &str, (u32, u32))] = &[
        ("/public/photo.jpg?w=300", "image/jpeg", (300, 200)),
        ("/public/photo.jpg?h=100", "image/jpeg", (150, 100)),
        (
            "/public/photo.jpg?scale.width=25%",
            "image/jpeg",
            (300, 200),
        ),
        ("/public/photo.jpg?s=240", "image/jpeg", (240, 160)),
        ("/public/photo.jpg?thumbnail=90", "image/jpeg", (90, 60)),
        ("/public/photo.jpg?w=200&dpr=2", "image/jpeg", (400, 267)),
        (
            "/public/photo.jpg?w=100&h=100&scale.option=fill",
            "image/jpeg",
            (100, 100),
        ),
        (
            "/public/photo.jpg?w=100&h=100&scale.option=ignore",
            "image/jpeg",
            (100, 100),
        ),
        (
            "/public/photo.jpg?w=5000&scale.option=noup",
            "image/jpeg",
            (1200, 800),
        ),
        ("/public/photo.jpg?w=120&format=png", "image/png", (120, 80)),
        (
            "/public/photo.jpg?w=120&q=30&subsampling=4:4:4&progressive=true",
            "image/jpeg",
            (120, 80),
        ),
        ("/public/logo.png?w=100", "image/png", (100, 40)),
        ("/public/logo.png?w=100&format=jpg", "image/jpeg", (100, 40)),
    ];
    for (target, mime, size) in cases {
        let r = s.get(target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(*mime), "{target}");
        assert_eq!(dims(&r.body), *size, "{target}");
        assert_eq!(
            r.header("content-length").unwrap(),
            r.body.len().to_string()
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    let small = s.get("/public/photo.jpg?w=300&q=20").body.len();
    let large = s.get("/public/photo.jpg?w=300&q=95").body.len();
    assert!(
        small < large,
        "quality changes the bytes: {small} vs {large}"
    );
}

#[test]
fn variants_have_their_own_validators() {
    let (_m, s) = setup();
    let a = s.get("/public/photo.jpg?w=300");
    let etag = a.header("etag").unwrap().to_owned();
    assert_ne!(
        Some(etag.as_str()),
        s.get("/public/photo.jpg").header("etag")
    );
    assert_ne!(
        Some(etag.as_str()),
        s.get("/public/photo.jpg?w=301").header("etag")
    );
    let same = s.get("/public/photo.jpg?scale.width=300px&v=9");
    assert_eq!(
        same.header("etag"),
        Some(etag.as_str()),
        "aliases and ignored params: same variant"
    );
    let r = s.send(
        "GET",
        "/public/photo.jpg?w=300",
        &[("If-None-Match", &etag)],
    );
    assert_eq!((r.status, r.body.len()), (304, 0));
    let head = s.send("HEAD", "/public/photo.jpg?w=300", &[]);
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(head.header("content-length"), a.header("content-length"));
}

#[test]
fn secure_args_size_the_image_and_win_over_the_query() {
    let (_m, s) = setup();
    let t = now();
    let token = hs256(
        json!({"aud": "/private/", "exp": t + 300, "args": {"w": 50}}),
        "topsecret",
    );
    let r = s.get(&format!("/private/photo.jpg?w=400&jwt={token}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(dims(&r.body), (50, 33));
    let plain = hs256(claims(json!("/private/"), t), "topsecret");
    assert_eq!(
        dims(&s.get(&format!("/private/photo.jpg?w=400&jwt={plain}")).body),
        (400, 267)
    );
    assert_eq!(
        s.get("/private/photo.jpg?w=400").auth(),
        Some("missing token")
    );
}

/// Hostile source files are `hostile_images.rs`; these are limits on what a
/// URL may ask of a good one.
#[test]
fn oversized_or_outside_requests_are_400() {
    let (_m, s) = setup();
    let r = s.get("/public/photo.jpg?w=100000&h=100000&scale.option=ignore");
    assert_eq!(r.status, 400, "output pixel cap: {}", r.text());
    assert_eq!(s.get("/public/photo.jpg?w=64&blur=10").status, 200);
    assert_eq!(
        s.get("/public/photo.jpg?w=64&cx=5000").status,
        400,
        "a crop outside the image"
    );
    assert_eq!(s.get("/public/missing.jpg?w=10").status, 404);
}

#[test]
fn source_byte_cap_is_422() {
    let media = Media::new();
    std::fs::write(media.root().join("public/photo.jpg"), PHOTO).unwrap();
    let s = Server::start(&config(
        &media.root(),
        "[limits]\nmax_source_bytes = \"100KB\"",
    ));
    let r = s.get("/public/photo.jpg?w=10");
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("over the limit"));
    assert_eq!(
        s.get("/public/photo.jpg").status,
        200,
        "originals are not capped"
    );
}

#[test]
fn strict_profile_prefixes_never_serve_unprocessed_images() {
    let media = Media::new();
    let root = media.root();
    std::fs::create_dir_all(root.join("marked")).unwrap();
    std::fs::write(root.join("marked/photo.jpg"), PHOTO).unwrap();
    std::fs::write(root.join("marked/readme.txt"), b"plain").unwrap();
    let extra =
        "[[protect]]\nprefix = \"/marked/\"\naccept = [\"md5\"]\nprofile = \"watermarked\"\n";
    let s = Server::start(&config(&root, extra));
    let exp = now() + 60;
    let signed = |path: &str| {
        let sig = crate::tokens::md5_sig(&path[1..], exp, "jwsecret");
        format!("{path}?exp={exp}&sig={sig}")
    };
    let r = s.get(&signed("/marked/photo.jpg"));
    assert_eq!(r.status, 404, "the strict profile is missing: {}", r.text());
    std::fs::create_dir_all(root.join("Profiles")).unwrap();
    std::fs::write(
        root.join("Profiles/watermarked.json"),
        r#"{"scale": {"width": 300}, "format": "png"}"#,
    )
    .unwrap();
    let r = s.get(&signed("/marked/photo.jpg"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(dims(&r.body), (300, 200), "the strict profile applied");
    let r = s.get(&format!("{}&w=50&format=jpg", signed("/marked/photo.jpg")));
    assert_eq!(
        dims(&r.body),
        (300, 200),
        "the query cannot override a strict profile"
    );
    let r = s.get(&signed("/marked/readme.txt"));
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"plain"[..]),
        "profiles apply to images only"
    );
    assert_eq!(s.get("/marked/photo.jpg").auth(), Some("missing token"));
}

#[test]
fn a_transform_over_its_time_budget_is_503_with_retry_after() {
    let media = Media::new();
    std::fs::write(media.root().join("public/photo.jpg"), PHOTO).unwrap();
    let s = Server::start(&config(
        &media.root(),
        "[limits]\ntransform_timeout = \"1ns\"",
    ));
    // The deadline is checked between the pipeline's stages, so the answer
    // does not depend on how fast this machine decodes the photo.
    let r = s.get("/public/photo.jpg?w=600");
    assert_eq!(r.status, 503, "{:?}", r.header("content-type"));
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(
        s.get("/public/photo.jpg").status,
        200,
        "originals unaffected"
    );
}
