//! Real-browser tests: Debian's Chromium, headless, driven by playwright-core
//! (`tests/browser/*.mjs`) against the real binary. The scripts report what
//! the browser did; the assertions here check it against signet's access log,
//! its headers and the screenshot's pixels.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use image::{Rgb, RgbImage};
use serde_json::{json, Value};

use crate::api::{api_table, json_of, post_json, token};
use crate::harness::{config, Media, Server};

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Whether Chromium and playwright-core are installed (`make test-deps`);
/// a skip is an error under `SIGNET_REQUIRE_PEERS`.
pub fn browser_ready() -> bool {
    let chromium =
        std::env::var("SIGNET_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let ready = Path::new(&chromium).is_file()
        && browser_dir()
            .join("node_modules/playwright-core/package.json")
            .is_file();
    signet_testkit::require_peer(
        "Chromium with playwright-core",
        ready,
        "run `make test-deps`",
    )
}

/// Runs `node tests/browser/<script>` with `spec` on stdin; its stdout as JSON.
pub fn run_script(script: &str, spec: &Value) -> Value {
    let mut child = Command::new("node")
        .arg(browser_dir().join(script))
        .current_dir(browser_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        spec.to_string().as_bytes(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{script}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A photo-like 2400×1600 JPEG: blue–green gradients, rings and noise, and
/// nothing red (so red in a screenshot can only be the overlay).
fn hero_jpeg() -> Vec<u8> {
    let (w, h) = (2400u32, 1600u32);
    let mut seed = 0x2545_f491_u32;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as i32 - 12;
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let (dx, dy) = (fx - 0.6, fy - 0.4);
        let ring = if (((dx * dx + dy * dy).sqrt() * 40.0) as u32).is_multiple_of(2) {
            30
        } else {
            0
        };
        let c = |v: f32| (v as i32 + noise + ring).clamp(0, 255) as u8;
        Rgb([
            c(20.0 + 40.0 * fy),
            c(80.0 + 120.0 * fx),
            c(120.0 + 110.0 * fy),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88)
        .encode_image(&img)
        .unwrap();
    out.into_inner()
}

fn is_red(p: &Rgb<u8>) -> bool {
    p[0] > 170 && p[1] < 90 && p[2] < 90
}

#[test]
fn chromium_picks_the_srcset_width_and_shows_the_signed_overlay() {
    if !browser_ready() {
        return;
    }
    let media = Media::new();
    let hero = hero_jpeg();
    let source = image::load_from_memory(&hero).unwrap().to_rgb8();
    assert_eq!(source.pixels().filter(|p| is_red(p)).count(), 0);
    std::fs::write(media.root().join("private/hero.jpg"), &hero).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("signet.log");
    let s = Server::start_logged(&config(&media.root(), &api_table("")), &log);

    // The srcset comes from the REST API: JWT URLs whose secure args put a red
    // overlay on every candidate; format=optimal lets the browser's Accept choose.
    let t = token(&s);
    let r = post_json(
        &s,
        "/v2/files/srcset",
        Some(&t),
        &json!({
            "filename": "/private/hero.jpg",
            "widths": [320, 750, 1440, 2000],
            "sign": "jwt",
            "expiresIn": 600,
            "secureParams": {"text": "SIGNET", "text.size": "75%", "text.color": "ff0000"},
            "insecureParams": {"format": "optimal"},
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let srcset = json_of(&r)["srcset"].as_str().unwrap().to_owned();

    let shots = [dir.path().join("phone.png"), dir.path().join("desktop.png")];
    let report = run_script(
        "srcset.mjs",
        &json!({
            "srcset": srcset,
            "sizes": "100vw",
            "viewports": [
                {"width": 375, "height": 700, "dpr": 2, "screenshot": shots[0]},
                {"width": 1440, "height": 1000, "dpr": 1, "screenshot": shots[1]},
            ],
        }),
    );
    // 375 CSS px at 2× needs 750 device px; 1440 at 1× needs 1440.
    let want = [(750u32, 500u32), (1440, 960)];
    let entries = report.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for ((entry, (w, h)), shot) in entries.iter().zip(want).zip(&shots) {
        let what = format!("viewport {}", entry["viewport"]);
        let current = entry["currentSrc"].as_str().unwrap();
        assert!(current.contains(&format!("w={w}&")), "{what}: {current}");
        // naturalWidth is density-corrected: the candidate's width over its density.
        assert_eq!(entry["naturalWidth"], entry["viewport"]["width"], "{what}");
        // One image request, for that candidate: AVIF or WebP, varying on Accept.
        let fetched = entry["fetched"].as_array().unwrap();
        assert_eq!(fetched.len(), 1, "{what}: {fetched:?}");
        let f = &fetched[0];
        assert_eq!(f["status"], 200, "{what}");
        assert_eq!(f["url"].as_str(), Some(current), "{what}");
        let ct = f["contentType"].as_str().unwrap();
        assert!(ct == "image/avif" || ct == "image/webp", "{what}: {ct}");
        assert!(
            f["vary"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept"),
            "{what}: {f}"
        );

        // The screenshot: the image fills the viewport width at the device
        // scale, shows the photo (many colours), and the overlay (red).
        let png = image::open(shot).unwrap().to_rgb8();
        // Screenshots are in device pixels: CSS width × DPR, 3:2 like the source.
        assert_eq!((png.width(), png.height()), (w, h), "{what}");
        let red = png.pixels().filter(|p| is_red(p)).count();
        let share = red as f64 / f64::from(png.width() * png.height());
        assert!(
            share > 0.01,
            "{what}: only {:.3} % red: no overlay?",
            share * 100.0
        );
        let mut colours: Vec<[u8; 3]> = png.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() > 500, "{what}: {} colours", colours.len());
    }

    // signet's own record of what it served: exactly these two variants.
    let text = std::fs::read_to_string(&log).unwrap();
    let served: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("/private/hero.jpg") && l.contains("variant"))
        .collect();
    assert_eq!(served.len(), 2, "{served:#?}");
    for (line, (w, h)) in served.iter().zip(want) {
        assert!(line.contains(&format!("{w}x{h} ")), "{line}");
        assert!(line.contains("auth=\"jwt\""), "{line}");
        assert!(!line.contains("jwt="), "a token in the log: {line}");
    }
}

/// Names a file so that rendering it as HTML would run script.
const HOSTILE_NAME: &str = "<script>window.__xss=2;<img src=x onerror=window.__xss=1>.txt";

#[test]
fn the_console_signs_in_uploads_previews_and_signs_urls() {
    if !browser_ready() {
        return;
    }
    let media = Media::new();
    std::fs::create_dir(media.root().join("many")).unwrap();
    for i in 0..105 {
        std::fs::write(media.root().join(format!("many/f{i:03}.txt")), b"x").unwrap();
    }
    let s = Server::start(&config(&media.root(), &api_table("")));
    let work = tempfile::tempdir().unwrap();
    let photo = work.path().join("hero.jpg");
    std::fs::write(&photo, hero_jpeg()).unwrap();
    // SIGNET_CONSOLE_SHOTS=docs/console keeps the screenshots (for the docs).
    let shots = std::env::var_os("SIGNET_CONSOLE_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.path().to_path_buf());
    std::fs::create_dir_all(&shots).unwrap();

    let facts = run_script(
        "console.mjs",
        &json!({
            "console": format!("http://{}/console", s.admin),
            "clientId": crate::api::CLIENT_ID,
            "clientSecret": crate::api::CLIENT_SECRET,
            "photo": photo,
            "hostileName": HOSTILE_NAME,
            "shots": shots,
        }),
    );
    let f = |k: &str| facts[k].clone();
    assert!(
        f("wrongPassword").as_str().unwrap().contains("Wrong"),
        "{facts}"
    );
    assert_eq!(
        f("storage"),
        json!({"local": 0, "session": 0, "cookie": ""})
    );
    assert_eq!(f("progress"), json!([100, 100]));
    let listed = f("listed");
    for name in ["hero.jpg", HOSTILE_NAME, "private"] {
        assert!(
            listed.as_array().unwrap().contains(&json!(name)),
            "{listed}"
        );
    }
    assert_eq!(
        (f("firstPage"), f("allPages"), f("manyNames")),
        (json!(100), json!(105), json!(105))
    );
    assert_eq!(f("injected"), json!({"xss": null, "imgs": 0, "scripts": 0}));
    assert_eq!(f("pageErrors"), json!([]));
    // Both uploads really reached storage, byte for byte.
    assert_eq!(
        std::fs::read(media.root().join("hero.jpg")).unwrap(),
        std::fs::read(&photo).unwrap()
    );
    assert_eq!(
        std::fs::read(media.root().join(HOSTILE_NAME)).unwrap(),
        b"hostile"
    );

    // The preview followed the options: the source, then 300 px, then text.
    assert_eq!(f("initialWidth"), 2400);
    assert_eq!(f("widthAfter"), 300);
    // A JWT preview carries its options in the token (a JWT URL ignores
    // overlay options in its query).
    let preview_url = f("previewUrl").as_str().unwrap().to_owned();
    assert!(preview_url.contains("?jwt="), "{preview_url}");
    assert_eq!(f("previewOptions"), "w=300&text=HELLO&text.color=ff0000");
    let plain = image::open(shots.join("preview-plain.png"))
        .unwrap()
        .to_rgb8();
    let text = image::open(shots.join("preview-text.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(plain.dimensions(), text.dimensions());
    let red = |img: &RgbImage| img.pixels().filter(|p| is_red(p)).count();
    assert_eq!(red(&plain), 0);
    let share = red(&text) as f64 / f64::from(text.width() * text.height());
    assert!(share > 0.001, "the text overlay is not visible ({share})");

    // The JWT URL it made loads, in the browser and here.
    let jwt_url = f("jwtUrl").as_str().unwrap().to_owned();
    assert!(jwt_url.contains("?jwt="), "{jwt_url}");
    assert_eq!(f("jwtLoad")["status"], 200, "{facts}");
    assert_eq!(f("jwtLoad")["contentType"], "image/jpeg");
    let r = s.get(&jwt_url[jwt_url.find("/hero.jpg").unwrap()..]);
    assert_eq!(r.status, 200);
    assert_eq!(image::load_from_memory(&r.body).unwrap().width(), 300);

    let snippet = f("srcset").as_str().unwrap().to_owned();
    for part in [
        "<img src=\"",
        " 100w, ",
        " 200w, ",
        " 400w\"",
        "sizes=\"100vw\"",
    ] {
        assert!(snippet.contains(part), "{part}: {snippet}");
    }
    assert!(
        f("stats")["hit"].as_str().unwrap().ends_with('%'),
        "{facts}"
    );
    assert!(
        f("expired").as_str().unwrap().contains("expired"),
        "{facts}"
    );

    // The console lives on the admin listener only, with a strict policy.
    let r = s.admin_get("/console");
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    for path in ["/console", "/console/console.js"] {
        let r = s.get(path);
        assert_eq!(r.status, 404, "{path} on the media listener");
    }
}
