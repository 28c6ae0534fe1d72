//! The whole pipeline through the real server: overlays a URL cannot remove,
//! the variant cache (hits, coalesced misses, byte budget, auth on hits),
//! format negotiation, profiles and watermarks from storage.

use std::path::Path;
use std::time::Duration;

use image::{DynamicImage, GenericImageView, Rgba};
use serde_json::{json, Value};

use crate::harness::{config, now, wait_until, Media, Server};
use crate::tokens::{claims, hs256};

const PHOTO: &[u8] = include_bytes!("../../examples/media/example-image.jpg"); // 1200×800

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("a decodable image")
}

/// A solid-colour PNG.
fn solid_png(w: u32, h: u32, rgba: [u8; 4]) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, Rgba(rgba));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn write(root: &Path, name: &str, bytes: &[u8]) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn near(p: Rgba<u8>, want: [u8; 3], tol: u8) -> bool {
    p.0[..3].iter().zip(want).all(|(a, b)| a.abs_diff(b) <= tol)
}

/// How many pixels are close to `want`.
fn count(img: &DynamicImage, want: [u8; 3]) -> usize {
    img.pixels().filter(|(_, _, p)| near(*p, want, 12)).count()
}

fn jwt_url(path: &str, args: Value, extra_query: &str) -> String {
    let mut c = claims(json!(path), now());
    c["args"] = args;
    let token = hs256(c, "topsecret");
    format!("{path}?{extra_query}jwt={token}")
}

fn setup(extra: &str) -> (Media, Server) {
    let media = Media::new();
    let root = media.root();
    write(&root, "public/photo.jpg", PHOTO);
    write(&root, "private/photo.jpg", PHOTO);
    write(
        &root,
        "marks/green.png",
        &solid_png(40, 40, [0, 255, 0, 255]),
    );
    write(&root, "marks/clear.png", &solid_png(40, 40, [0, 0, 0, 0]));
    write(
        &root,
        "Profiles/sneaky.json",
        br#"{"text": {"opacity": 0}, "watermark": {"opacity": 0, "image": "/marks/clear.png"}}"#,
    );
    let server = Server::start(&config(&root, extra));
    (media, server)
}

/// Secure args that put a red-on-blue text box in the centre and a green
/// watermark in the top-left corner.
fn overlay_args() -> Value {
    json!({
        "w": "300",
        "format": "png",
        "text": "SIGNET",
        "text.size": "40px",
        "text.color": "ff0000",
        "text.background.color": "0000ff",
        "watermark": "/marks/green.png",
        "watermark.position": "northwest",
        "watermark.scale.width": "40",
    })
}

fn assert_overlays(r: &crate::harness::Resp, what: &str) {
    assert_eq!(r.status, 200, "{what}: {}", r.text());
    let img = decode(&r.body);
    assert!(
        near(img.get_pixel(3, 3), [0, 255, 0], 4),
        "{what}: watermark gone from the corner: {:?}",
        img.get_pixel(3, 3)
    );
    let area = (img.width() * img.height()) as usize;
    let (blue, red) = (count(&img, [0, 0, 255]), count(&img, [255, 0, 0]));
    if area < 10_000 {
        // Shrunk by a query canvas: the overlays now cover nearly all of it.
        let covered = blue + red + count(&img, [0, 255, 0]);
        assert!(
            covered * 10 >= area * 9,
            "{what}: overlays cover {covered}/{area}"
        );
        return;
    }
    assert!(blue > 300, "{what}: text box gone ({blue} px)");
    assert!(red > 100, "{what}: text gone ({red} px)");
}

#[test]
fn query_options_cannot_remove_or_alter_jwt_overlays() {
    let (_m, s) = setup("");
    let base = jwt_url("/private/photo.jpg", overlay_args(), "");
    let reference = s.get(&base);
    assert_overlays(&reference, "reference");
    let attacks = [
        "text=",
        "text=%20",
        "text.opacity=0",
        "text.color=0000ff",
        "text.size=1",
        "text.size=1px",
        "text.0.text=",
        "text.0.opacity=0",
        "text.text64=IA==",
        "text.position.gravity=northeast&text.position.x=5000",
        "watermark.0.opacity=0",
        "watermark.0.image=/marks/clear.png",
        "watermark.1.image=/marks/clear.png&watermark.1.layer=front&watermark.1.scale.width=100%&watermark.1.scale.option=ignore",
        "text.position=northeast&text.position.x=5000",
        "watermark.opacity=0",
        "watermark=/marks/clear.png",
        "watermark.scale.width=1",
        "profile=sneaky",
        "crop.x=0&crop.y=0&crop.width=200&crop.height=150",
        "blur=100",
        "canvas.width=10&canvas.height=10",
        "opacity=0",
        "w=20&format=jpg",
    ];
    for attack in attacks {
        let url = jwt_url("/private/photo.jpg", overlay_args(), &format!("{attack}&"));
        assert_overlays(&s.get(&url), attack);
    }
    // Query overlays on a JWT URL whose args set none are dropped silently.
    let plain = s.get(&jwt_url("/private/photo.jpg", json!({"w": "300"}), ""));
    let tried = s.get(&jwt_url(
        "/private/photo.jpg",
        json!({"w": "300"}),
        "text=HACKED&text.size=80&",
    ));
    assert_eq!(tried.status, 200);
    assert_eq!(plain.body, tried.body, "query text ignored on a JWT URL");
    // On a public URL the query may set text.
    let public = s.get("/public/photo.jpg?w=300");
    let texted = s.get("/public/photo.jpg?w=300&text=HELLO&text.color=red&text.size=40px");
    assert_ne!(
        public.body, texted.body,
        "query text applies on public URLs"
    );
}

#[test]
fn several_text_layers_and_watermarks_render_and_stay_locked() {
    let (m, s) = setup("");
    write(
        &m.root(),
        "marks/red.png",
        &solid_png(30, 30, [255, 0, 0, 255]),
    );
    // Public URL: two text layers (Sirv's numbered syntax, one in base64)
    // and two watermarks, each where it was put.
    let url = "/public/photo.jpg?w=300&format=png\
        &text.0.text=TOP&text.0.position=north&text.0.size=40px&text.0.color=ff0000&text.0.background.color=0000ff\
        &text.1.text64=Qk9UVE9N&text.1.position.gravity=south&text.1.size=50&text.1.color=ffff00&text.1.background.color=ff00ff\
        &watermark=/marks/green.png&watermark.position=northwest\
        &watermark.1.image=/marks/red.png&watermark.1.position=southeast";
    let r = s.get(url);
    assert_eq!(r.status, 200, "{}", r.text());
    let img = decode(&r.body);
    let (w, h) = img.dimensions();
    assert!(near(img.get_pixel(2, 2), [0, 255, 0], 4), "first watermark");
    assert!(
        near(img.get_pixel(w - 3, h - 3), [255, 0, 0], 4),
        "second watermark"
    );
    let rows = |from: u32, to: u32, rgb: [u8; 3]| {
        (from..to)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|(x, y)| near(img.get_pixel(*x, *y), rgb, 12))
            .count()
    };
    assert!(
        rows(0, h / 3, [0, 0, 255]) > 300,
        "layer 0's box at the top"
    );
    assert_eq!(rows(h / 3, h, [0, 0, 255]), 0, "and only there");
    let magenta = rows(2 * h / 3, h, [255, 0, 255]);
    assert!(magenta > 300, "layer 1's box at the bottom ({magenta} px)");
    // Layer 1's text.size=50 is Sirv's: the block is half the width.
    let widest = (2 * h / 3..h)
        .map(|y| {
            (0..w)
                .filter(|x| near(img.get_pixel(*x, y), [255, 0, 255], 12))
                .count()
        })
        .max()
        .unwrap();
    assert!((140..=170).contains(&widest), "block {widest} px of 300");

    // JWT URL: every layer of the token's args is locked; the query can
    // neither change nor remove nor add one.
    let args = json!({
        "w": "300", "format": "png",
        "text.0.text": "ONE", "text.0.color": "ff0000", "text.0.background.color": "0000ff",
        "text.1.text": "TWO", "text.1.position": "south", "text.1.background.color": "ff00ff",
        "watermark": "/marks/green.png", "watermark.position": "northwest",
        "watermark.1.image": "/marks/red.png", "watermark.1.position": "southeast",
    });
    let reference = s.get(&jwt_url("/private/photo.jpg", args.clone(), ""));
    assert_eq!(reference.status, 200, "{}", reference.text());
    for attack in [
        "text.1.text=",
        "text.1=%20",
        "text.1.opacity=0",
        "text.1.text64=IA==",
        "text.1.position.gravity=north",
        "text.2.text=MORE",
        "watermark.1.opacity=0",
        "watermark.1=/marks/clear.png",
        "watermark.1.image=/marks/clear.png",
        "watermark.2.image=/marks/clear.png&watermark.2.scale.width=100%",
    ] {
        let r = s.get(&jwt_url(
            "/private/photo.jpg",
            args.clone(),
            &format!("{attack}&"),
        ));
        assert_eq!(r.status, 200, "{attack}: {}", r.text());
        assert!(
            r.body == reference.body,
            "{attack} changed a locked overlay"
        );
    }
    // Negative offsets as Sirv's own URLs write them: from the opposite
    // edge; a west-anchored block at x=-10 % is the east-anchored one at 10 %.
    let neg = s.get("/public/photo.jpg?w=300&format=png&text.0.text=Hi&text.0.position=west&text.0.position.x=-10%25&text.0.position.y=-45%25");
    assert_eq!(neg.status, 200, "{}", neg.text());
    let pos = s.get("/public/photo.jpg?w=300&format=png&text.0.text=Hi&text.0.position=east&text.0.position.x=10%25&text.0.position.y=-45%25");
    assert_eq!(neg.body, pos.body);
    // Past the documented cap: a clear 400.
    let r = s.get("/public/photo.jpg?text.10.text=x");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("numbered 0 to 9"), "{}", r.text());
}

/// URLs built by Sirv's URL SDK (PyPI `sirv-image`) for every group of
/// options (tests/e2e/sdk/sirv_image_urls.py) render: 200, an image, the
/// size asked for where the URL fixes it.
#[test]
fn urls_built_by_sirvs_url_sdk_render() {
    let Some(venv) = crate::api::python_with("sirv_image") else {
        return;
    };
    let (_m, s) = setup("");
    let out = std::process::Command::new(&venv)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/sdk/sirv_image_urls.py"))
        .arg(&s.media)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let urls: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: &[(&str, Option<(u32, u32)>)] = &[
        ("size", Some((300, 200))),
        ("headline", None),
        ("text", Some((400, 267))),
        ("text64", Some((400, 267))),
        ("layers", Some((400, 267))),
        ("light", Some((300, 200))),
        ("color", Some((300, 200))),
        ("frame", Some((328, 228))),
        ("crop", None),
        ("aspect", Some((320, 180))),
        ("canvas", Some((320, 320))),
        ("watermark", Some((400, 267))),
        ("format", Some((300, 200))),
        ("png", Some((200, 133))),
    ];
    assert_eq!(
        urls.as_object().unwrap().len(),
        want.len() + 1,
        "every case is checked"
    );
    let plain = s.get("/public/photo.jpg?w=400&q=80");
    for (name, size) in want {
        let url = urls[*name].as_str().unwrap();
        let r = s.get(url);
        assert_eq!(r.status, 200, "{name}: {url}: {}", r.text());
        let img = decode(&r.body);
        if let Some(size) = size {
            assert_eq!(img.dimensions(), *size, "{name}: {url}");
        }
        if url.contains("w=400") {
            assert_ne!(r.body, plain.body, "{name} changed nothing: {url}");
        }
    }
    for url in urls["srcset"].as_array().unwrap() {
        assert_eq!(s.get(url.as_str().unwrap()).status, 200, "{url}");
    }
}

/// EXIF and IPTC written by exiftool at test time: `?info` reports them
/// with the orientation and colour; `${EXIF.…}` and `${IPTC.…}` in any
/// text layer draw what they hold, a missing one nothing.
#[test]
fn exif_and_iptc_fill_text_and_show_in_info() {
    let ready = crate::harness::on_path(&["exiftool"]);
    if !signet_testkit::require_peer("exiftool", ready, "run `make test-deps`") {
        return;
    }
    let (m, s) = setup("");
    let root = m.root();
    crate::harness::run_tool(
        &root.join("public"),
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-EXIF:Model=Signet Cam 9",
            "-EXIF:Copyright=(c) Ann Lee",
            "-IPTC:By-line=Ann Lee",
            "-IPTC:Keywords=lake",
            "-IPTC:Keywords=winter",
            "-XMP-dc:Title=Lake",
            "photo.jpg",
        ],
    );
    let r = s.get("/public/photo.jpg?info");
    assert_eq!(r.status, 200, "{}", r.text());
    let info: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(info["format"], "jpeg");
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(1200), Some(800))
    );
    assert_eq!(info["orientation"], 1);
    assert_eq!(info["colorSpace"], "rgb");
    assert_eq!(info["frames"], 1);
    assert_eq!(info["xmp"], true);
    assert_eq!(info["exif"]["Model"], "Signet Cam 9");
    assert_eq!(info["exif"]["Copyright"], "(c) Ann Lee");
    assert_eq!(info["iptc"]["By-line"], "Ann Lee");
    assert_eq!(info["iptc"]["Keywords"], "lake, winter");

    let body = |q: &str| {
        let r = s.get(&format!("/public/photo.jpg?w=300&format=png&{q}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        r.body
    };
    assert_eq!(
        body("text=%24%7BEXIF.Model%7D&text.color=red"),
        body("text=Signet%20Cam%209&text.color=red")
    );
    assert_eq!(
        body("text.1.text=by%20%24%7BIPTC.By-line%7D&text.1.color=red"),
        body("text.1.text=by%20Ann%20Lee&text.1.color=red")
    );
    assert_eq!(
        body("text=%24%7BEXIF.LensModel%7D%24%7BIPTC.City%7D"),
        body(""),
        "missing fields are empty: nothing to draw"
    );
}

/// Fonts: CJK through the fallback font (Debian's fonts-droid-fallback,
/// `fallback_font`'s default), families from `/Fonts/` in storage, and
/// files there that are not fonts refused with a clear 422.
#[test]
fn fonts_from_storage_and_the_cjk_fallback() {
    const FALLBACK: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";
    let ready = Path::new(FALLBACK).exists();
    if !signet_testkit::require_peer("fonts-droid-fallback", ready, "run `make system-deps`") {
        return;
    }
    let (m, s) = setup("");
    let root = m.root();
    let serif = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/transform/fonts/DejaVuSerif.ttf"),
    )
    .unwrap();
    write(&root, "Fonts/Brand Serif.ttf", &serif);
    write(&root, "Fonts/Broken.ttf", b"this is not a font at all");
    let body = |s: &Server, q: &str| {
        let r = s.get(&format!(
            "/public/photo.jpg?w=300&format=png&text.font.size=40&{q}"
        ));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        r.body
    };
    // Two CJK characters draw differently with the fallback…
    assert_ne!(
        body(&s, "text=%E4%BD%A0"),
        body(&s, "text=%E5%A5%BD"),
        "你 and 好"
    );
    // …and as the same missing-glyph box without it.
    let (_m2, bare) = setup("fallback_font = \"\"");
    assert_eq!(body(&bare, "text=%E4%BD%A0"), body(&bare, "text=%E5%A5%BD"));
    // Latin text is the font's own either way.
    assert_eq!(body(&s, "text=Hi"), body(&bare, "text=Hi"));

    // A family from storage draws with that file (the same glyphs as the
    // bundled serif it is a copy of), in any text layer.
    let stored = body(&s, "text=Hi&text.font.family=Brand%20Serif");
    assert_eq!(stored, body(&s, "text=Hi&text.font.family=DejaVu%20Serif"));
    assert_ne!(stored, body(&s, "text=Hi"));
    assert_eq!(
        body(&s, "text.1.text=Hi&text.1.font.family=Brand%20Serif"),
        body(&s, "text.1.text=Hi&text.1.font.family=serif")
    );
    // A face has its own file (`{family}-Bold`, `-Italic`, `-BoldItalic`,
    // `-Light`), else the family's file is drawn as it is.
    let bold_serif = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/transform/fonts/DejaVuSerif-Bold.ttf"),
    )
    .unwrap();
    write(&root, "Fonts/Brand Serif-Bold.ttf", &bold_serif);
    assert_eq!(
        body(
            &s,
            "text=Hi&text.font.family=Brand%20Serif&text.font.weight=700"
        ),
        body(&s, "text=Hi&text.font.family=serif&text.font.weight=bold")
    );
    assert_eq!(
        body(
            &s,
            "text=Hi&text.font.family=Brand%20Serif&text.font.style=italic"
        ),
        stored,
        "no italic file: the family's own face"
    );
    // A family without a file falls back to DejaVu Sans.
    assert_eq!(
        body(&s, "text=Hi&text.font.family=Nowhere"),
        body(&s, "text=Hi")
    );
    // Not a font: 422 naming the file.
    let r = s.get("/public/photo.jpg?w=300&text=Hi&text.font.family=Broken");
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("/Fonts/Broken.ttf"), "{}", r.text());
    // A family name cannot leave /Fonts/.
    let r = s.get("/public/photo.jpg?w=300&text=Hi&text.font.family=..%2Fpublic%2Fphoto");
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn cache_hits_coalesced_misses_and_auth_on_every_hit() {
    let (m, s) = setup("");
    let root = m.root();
    let mut flipped = decode(PHOTO).fliph().to_rgb8();
    flipped.put_pixel(0, 0, image::Rgb([1, 2, 3]));
    let mut other = std::io::Cursor::new(Vec::new());
    flipped
        .write_to(&mut other, image::ImageFormat::Jpeg)
        .unwrap();
    write(&root, "private/other.jpg", &other.into_inner());

    // Miss, then hit with the same bytes.
    let before = s.metric("signet_transforms_total");
    let a = s.get("/public/photo.jpg?w=222");
    let b = s.get("/public/photo.jpg?width=222&v=7");
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.body, b.body);
    assert_eq!(
        a.header("etag"),
        b.header("etag"),
        "aliases and ignored params share a key"
    );
    assert_eq!(s.metric("signet_transforms_total"), before + 1);
    assert!(s.metric("signet_cache_hits_total") >= 1);

    // Free text cannot forge another option set's cache key.
    let forged = s.get("/public/photo.jpg?text=a%26w%3D50");
    let real = s.get("/public/photo.jpg?text=a&w=50");
    assert_ne!(forged.header("etag"), real.header("etag"));
    assert_eq!(decode(&real.body).width(), 50);
    assert_eq!(
        decode(&s.get("/public/photo.jpg?text=a&w=50").body).width(),
        50
    );

    // 50 concurrent identical misses: one transform.
    let before = s.metric("signet_transforms_total");
    let reads = s.metric("signet_storage_reads_total");
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| scope.spawn(|| s.get("/public/photo.jpg?w=640&q=90").status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|st| *st == 200), "{statuses:?}");
    assert_eq!(s.metric("signet_transforms_total"), before + 1);
    assert_eq!(s.metric("signet_storage_reads_total"), reads + 1);

    // Auth runs on hits: the cached variant needs a valid token every time.
    let args = json!({"w": "150"});
    let good = jwt_url("/private/photo.jpg", args.clone(), "");
    let r = s.get(&good);
    assert_eq!(r.status, 200);
    let max_age: u64 = r
        .header("cache-control")
        .and_then(|v| v.strip_prefix("public, max-age="))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(max_age <= 300, "capped at the token's lifetime: {max_age}");
    let mut expired = claims(json!("/private/photo.jpg"), now() - 1000);
    expired["exp"] = json!(now() - 10);
    expired["args"] = args.clone();
    let r = s.get(&format!(
        "/private/photo.jpg?jwt={}",
        hs256(expired, "topsecret")
    ));
    assert_eq!(r.status, 403);
    assert_eq!(r.auth(), Some("expired key"));
    assert_eq!(s.get("/private/photo.jpg?w=150").status, 403, "no token");

    // A token for one file never yields another file's variant.
    let for_photo = jwt_url("/private/photo.jpg", args.clone(), "");
    let token = for_photo.split("jwt=").nth(1).unwrap();
    let r = s.get(&format!("/private/other.jpg?jwt={token}"));
    assert_eq!(r.status, 403);
    let other_variant = s.get(&jwt_url("/private/other.jpg", args, ""));
    assert_eq!(other_variant.status, 200);
    assert_ne!(other_variant.body, s.get(&good).body);
}

#[test]
fn the_cache_stays_within_its_byte_budget() {
    let (_m, s) = setup("[cache]\nmax_bytes = \"300KB\"");
    for w in 0..40 {
        let r = s.get(&format!("/public/photo.jpg?w={}&q=95", 300 + w));
        assert_eq!(r.status, 200);
    }
    let held = s.metric("signet_cache_bytes");
    assert!(held > 0 && held <= 300_000, "cache holds {held} bytes");
}

#[test]
fn format_negotiation_and_every_output_format() {
    let (m, s) = setup("");
    write(
        &m.root(),
        "public/logo.png",
        include_bytes!("../../examples/media/logo.png"),
    );
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        (
            "/public/photo.jpg?w=100&format=optimal",
            "image/avif,image/webp,*/*",
            "image/avif",
            Some("Accept"),
        ),
        (
            "/public/photo.jpg?w=100&format=optimal",
            "image/webp,*/*",
            "image/webp",
            Some("Accept"),
        ),
        (
            "/public/photo.jpg?w=100&format=optimal",
            "image/avif;q=0,image/webp",
            "image/webp",
            Some("Accept"),
        ),
        (
            "/public/photo.jpg?w=100&format=optimal",
            "*/*",
            "image/jpeg",
            Some("Accept"),
        ),
        (
            "/public/logo.png?w=100&format=optimal",
            "*/*",
            "image/png",
            Some("Accept"),
        ),
        (
            "/public/photo.jpg?w=100&format=webp",
            "*/*",
            "image/webp",
            None,
        ),
        (
            "/public/photo.jpg?w=100&format=webp&webp-fallback=png",
            "*/*",
            "image/png",
            Some("Accept"),
        ),
        (
            "/public/photo.jpg?w=100&format=webp&webp-fallback=jpg",
            "image/webp",
            "image/webp",
            Some("Accept"),
        ),
        (
            "/public/photo.jpg?w=100&format=avif",
            "*/*",
            "image/avif",
            None,
        ),
        (
            "/public/photo.jpg?w=100&format=gif",
            "*/*",
            "image/gif",
            None,
        ),
        (
            "/public/logo.png?w=50&format=webp",
            "*/*",
            "image/webp",
            None,
        ),
    ];
    let mut etags = std::collections::HashSet::new();
    for (target, accept, mime, vary) in cases {
        let r = s.send("GET", target, &[("accept", accept)]);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(*mime), "{target} / {accept}");
        assert_eq!(r.header("vary"), *vary, "{target} / {accept}");
        if *mime != "image/avif" {
            let img = decode(&r.body);
            assert!(img.width() == 100 || img.width() == 50, "{target}");
        } else {
            assert_eq!(&r.body[4..12], b"ftypavif", "an AVIF file");
        }
        etags.insert(r.header("etag").unwrap().to_owned());
    }
    assert!(etags.len() >= 9, "formats have their own ETags: {etags:?}");
    // Transparency survives into PNG and WebP.
    let r = s.send(
        "GET",
        "/public/logo.png?w=100&format=optimal",
        &[("accept", "image/webp")],
    );
    let img = decode(&r.body);
    assert!(img.pixels().any(|(_, _, p)| p.0[3] < 128), "alpha kept");
}

#[test]
fn default_format_optimal_applies_without_options() {
    let (_m, s) = setup("default_format = \"optimal\"\n");
    let r = s.send("GET", "/public/photo.jpg", &[("accept", "image/webp")]);
    assert_eq!(r.header("content-type"), Some("image/webp"));
    assert_eq!(r.header("vary"), Some("Accept"));
    let r = s.get("/public/photo.jpg?format=original");
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
}

#[test]
fn profiles_named_default_and_changed_without_restart() {
    let media = Media::new();
    let root = media.root();
    write(&root, "public/photo.jpg", PHOTO);
    write(
        &root,
        "Profiles/thumb.json",
        br#"{"image": {"scale": {"width": 100}}}"#,
    );
    write(&root, "Profiles/base.json", br#"{"format": "png"}"#);
    write(&root, "Profiles/broken.json", br#"{"w": "wide"}"#);
    let s = Server::start(&config(
        &root,
        "default_profile = \"base\"\n[cache]\nrevalidate_after = \"1s\"\n",
    ));
    let r = s.get("/public/photo.jpg?profile=thumb");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("image/png"),
        "default profile"
    );
    assert_eq!(decode(&r.body).width(), 100, "named profile");
    let r = s.get("/public/photo.jpg?profile=thumb&w=60");
    assert_eq!(
        decode(&r.body).width(),
        60,
        "the query overrides a named profile"
    );
    let r = s.get("/public/photo.jpg");
    assert_eq!(
        r.header("content-type"),
        Some("image/png"),
        "default profile on a bare URL"
    );
    assert_eq!(
        s.get("/public/notes.txt").status,
        200,
        "profiles skip non-images"
    );

    write(&root, "Profiles/thumb.json", br#"{"w": 50}"#);
    // Seen once revalidate_after (1 s) has passed: the same URL, no restart.
    wait_until(Duration::from_secs(10), "the new profile", || {
        let r = s.get("/public/photo.jpg?profile=thumb");
        r.status == 200 && decode(&r.body).width() == 50
    });

    // A source changed behind the server's back is seen within revalidate_after.
    let before = s.get("/public/photo.jpg?w=80");
    let smaller = decode(PHOTO).resize_exact(600, 400, image::imageops::FilterType::Triangle);
    let mut bytes = std::io::Cursor::new(Vec::new());
    smaller
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    write(&root, "public/photo.jpg", &bytes.into_inner());
    wait_until(Duration::from_secs(10), "the new source version", || {
        s.get("/public/photo.jpg?w=80").header("etag") != before.header("etag")
    });
    let after = s.get("/public/photo.jpg?w=80");
    assert_eq!(decode(&after.body).height(), 53, "600×400 source at w=80");

    assert_eq!(s.get("/public/photo.jpg?profile=missing").status, 404);
    let r = s.get("/public/photo.jpg?profile=broken");
    assert_eq!(r.status, 422);
    assert!(r.text().contains("profile `broken` is invalid") && r.text().contains("w=wide"));
    assert_eq!(s.get("/public/photo.jpg?profile=../x").status, 400);
}

#[test]
fn watermarks_come_from_storage() {
    let (_m, s) = setup("");
    let r = s.get("/public/photo.jpg?w=200&format=png&watermark=/marks/green.png&watermark.position=southeast&watermark.scale.width=10%");
    assert_eq!(r.status, 200, "{}", r.text());
    let img = decode(&r.body);
    assert!(
        near(img.get_pixel(197, 130), [0, 255, 0], 4),
        "bottom-right"
    );
    assert!(!near(img.get_pixel(2, 2), [0, 255, 0], 40), "not top-left");
    let tiled = decode(
        &s.get("/public/photo.jpg?w=200&format=png&watermark=/marks/green.png&watermark.position=tile&watermark.scale.width=20&watermark.opacity=100")
            .body,
    );
    assert!(
        count(&tiled, [0, 255, 0]) > 200 * 133 * 9 / 10,
        "tiled over everything"
    );
    assert_eq!(
        s.get("/public/photo.jpg?w=200&watermark=/marks/none.png")
            .status,
        404
    );
    assert_eq!(
        s.get("/public/photo.jpg?w=200&watermark=/public/notes.txt")
            .status,
        422
    );
}

#[test]
fn past_the_queue_bound_misses_get_a_fast_503() {
    let media = Media::new();
    let root = media.root();
    let big = image::RgbImage::from_fn(3000, 2000, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    big.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    write(&root, "public/big.jpg", &jpeg.into_inner());
    let s = Server::start(&config(
        &root,
        "[limits]\nmax_concurrent_transforms = 1\nmax_queued_transforms = 1\n",
    ));
    let results: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let s = &s;
        let handles: Vec<_> = (0..12)
            .map(|i| {
                scope.spawn(move || {
                    let r = s.get(&format!("/public/big.jpg?w={}&sharpen=50", 2000 + i));
                    (r.status, r.header("retry-after").map(str::to_owned))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let refused: Vec<_> = results.iter().filter(|(st, _)| *st == 503).collect();
    let served = results.iter().filter(|(st, _)| *st == 200).count();
    assert!(served >= 1 && served + refused.len() == 12, "{results:?}");
    assert!(
        !refused.is_empty(),
        "the queue bound refused some: {results:?}"
    );
    assert!(refused
        .iter()
        .all(|(_, retry)| retry.as_deref() == Some("5")));
    assert_eq!(s.metric("signet_overloaded_total"), refused.len() as u64);
    // Once the burst is over the server serves again.
    assert_eq!(s.get("/public/big.jpg?w=100").status, 200);
}

/// Clients that hang up while their miss waits or runs must give back their
/// queue slot (found by `make bench`: oha's aborted requests at each run's
/// end leaked slots until every miss got 503).
#[test]
fn abandoned_misses_give_back_their_queue_slots() {
    use std::io::Write as _;

    let media = Media::new();
    let root = media.root();
    let big = image::RgbImage::from_fn(3000, 2000, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    big.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    write(&root, "public/big.jpg", &jpeg.into_inner());
    let s = Server::start(&config(
        &root,
        "[limits]\nmax_concurrent_transforms = 1\nmax_queued_transforms = 1\n",
    ));
    // Three rounds of two abandoned misses: each round fills the bound (one
    // running, one queued); the clients leave before the answers.
    for round in 0..3 {
        let misses = s.metric("signet_cache_misses_total");
        let clients: Vec<_> = (0..2)
            .map(|i| {
                let mut c = std::net::TcpStream::connect(&s.media).unwrap();
                let target = format!("/public/big.jpg?w={}&sharpen=50", 1000 + round * 10 + i);
                write!(c, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
                c
            })
            .collect();
        // Both misses reached the engine (one running, one queued) …
        wait_until(Duration::from_secs(10), "both misses to arrive", || {
            s.metric("signet_cache_misses_total") >= misses + 2
        });
        drop(clients);
        // … and the transform that started has finished.
        wait_until(
            Duration::from_secs(20),
            "the running transform to end",
            || {
                s.metric("signet_transform_duration_seconds_count")
                    == s.metric("signet_transforms_total")
            },
        );
    }
    for i in 0..3 {
        let r = s.get(&format!("/public/big.jpg?w={}", 100 + i));
        assert_eq!(r.status, 200, "slot leaked: {}", r.text());
    }
}

/// `jpegtran -progressive` keeps every DCT coefficient, so a progressive
/// copy of a photo must give byte-identical variants to the baseline
/// original: at 1/8 scale (where only the DC scans are read, scans.rs) and
/// at any other.
#[test]
fn a_progressive_copy_gives_the_very_variants_of_its_baseline_original() {
    let jpegtran = std::path::Path::new("/usr/bin/jpegtran");
    let ready = jpegtran.is_file();
    if !signet_testkit::require_peer(
        "jpegtran (libjpeg-turbo-progs)",
        ready,
        "run `make test-deps`",
    ) {
        return;
    }
    let (media, s) = setup("");
    let root = media.root();
    let made = std::process::Command::new(jpegtran)
        .args(["-progressive", "-copy", "all", "-outfile"])
        .arg(root.join("public/progressive.jpg"))
        .arg(root.join("public/photo.jpg"))
        .status()
        .unwrap();
    assert!(made.success());
    // 150 px of 1200 is exactly 1/8 (the fast path), 400 px is 1/2 and 1000
    // px the full decode.
    for query in [
        "w=150",
        "w=150&format=png",
        "w=100&h=100&scale.option=fill",
        "w=400",
        "w=1000",
    ] {
        let baseline = s.get(&format!("/public/photo.jpg?{query}"));
        let progressive = s.get(&format!("/public/progressive.jpg?{query}"));
        assert_eq!((baseline.status, progressive.status), (200, 200), "{query}");
        assert!(
            baseline.body == progressive.body,
            "{query}: the variants differ"
        );
    }
}
