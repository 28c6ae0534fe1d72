//! Animations through the real server, made at test time by real tools:
//! ImageMagick's `-layers Optimize` GIF (frames that are deltas on a
//! transparent background), libwebp's `img2webp` (its own delay per frame,
//! a long last one), ffmpeg's APNG, and a 50-frame photo pan by ffmpeg.
//! Each stays animated through `w=`, in its own format and converted, with
//! its frame count, delays, loop count and the right pixels; locked JWT
//! overlays are on every frame; the frame limit refuses fast; the CLI
//! keeps animations too.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use image::RgbaImage;
use serde_json::json;
use signet_testkit::animation_frames as frames;

use crate::harness::{config, now, on_path, run_tool, Media, Server, BIN};
use crate::tokens::{claims, hs256};

const PHOTO: &str = "/usr/share/backgrounds/mate/nature/LadyBird.jpg";

/// The square's colour in frame `i` of the made animations.
const COLOURS: [[u8; 3]; 4] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]];
const NAMES: [&str; 4] = ["red", "lime", "blue", "yellow"];

fn tools_ready() -> bool {
    let ready = on_path(&["convert", "img2webp", "ffmpeg"]) && Path::new(PHOTO).exists();
    signet_testkit::require_peer(
        "ImageMagick, img2webp (webp), ffmpeg and MATE's wallpapers",
        ready,
        "run `make test-deps`",
    )
}

/// Four 80×40 frames on transparency, a 20×20 square stepping right by 20
/// px in a new colour each time: `f0.png` … `f3.png`, then the animations.
fn make_corpus(dir: &Path) {
    for (i, name) in NAMES.iter().enumerate() {
        let x = i * 20;
        run_tool(
            dir,
            "convert",
            &[
                "-size",
                "80x40",
                "xc:none",
                "-fill",
                name,
                "-draw",
                &format!("rectangle {x},10 {},29", x + 19),
                &format!("PNG32:f{i}.png"),
            ],
        );
    }
    let frames = ["f0.png", "f1.png", "f2.png", "f3.png"];
    // Deltas: ImageMagick stores only what changed, with disposal methods.
    let mut args = vec!["-delay", "10", "-dispose", "Background", "-loop", "3"];
    args.extend(frames);
    args.extend(["-layers", "Optimize", "deltas.gif"]);
    run_tool(dir, "convert", &args);
    // Delays 40, 40, 40 and a long last one of 500 ms, played twice.
    run_tool(
        dir,
        "img2webp",
        &[
            "-loop",
            "2",
            "-lossy",
            "-q",
            "90",
            "-d",
            "40",
            "f0.png",
            "f1.png",
            "f2.png",
            "-d",
            "500",
            "f3.png",
            "-o",
            "squares.webp",
        ],
    );
    run_tool(
        dir,
        "ffmpeg",
        &[
            "-loglevel",
            "error",
            "-y",
            "-framerate",
            "5",
            "-i",
            "f%d.png",
            "-plays",
            "0",
            "-f",
            "apng",
            "squares.png",
        ],
    );
    // 50 frames of 480×270: a pan across a real photo.
    run_tool(
        dir,
        "ffmpeg",
        &[
            "-loglevel", "error", "-y", "-loop", "1", "-t", "2", "-i", PHOTO, "-vf",
            "scale=960:-1,crop=480:270:'t*200':'t*60',fps=25,split[a][b];[a]palettegen[p];[b][p]paletteuse",
            "pan.gif",
        ],
    );
}

/// The corpus, made once for the tests of this file.
fn corpus() -> Option<&'static Media> {
    static CORPUS: OnceLock<Option<Media>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            if !tools_ready() {
                return None;
            }
            let media = Media::new();
            for folder in ["public/anim", "private/anim"] {
                let dir = media.root().join(folder);
                std::fs::create_dir_all(&dir).unwrap();
                make_corpus(&dir);
            }
            let marks = media.root().join("marks");
            std::fs::create_dir_all(&marks).unwrap();
            run_tool(
                &marks,
                "convert",
                &["-size", "40x40", "xc:#00ff00", "PNG32:green.png"],
            );
            Some(media)
        })
        .as_ref()
}

fn near(px: &image::Rgba<u8>, want: [u8; 3], tolerance: u8) -> bool {
    px[3] > 200
        && px.0[..3]
            .iter()
            .zip(want)
            .all(|(a, b)| a.abs_diff(b) <= tolerance)
}

/// Checks the square animation at `w=40` (40×20, the square 10 px): frame
/// `i` shows square `i` in its colour, and the squares before it are gone.
fn assert_squares(what: &str, frames: &[(RgbaImage, u32)]) {
    assert_eq!(frames.len(), 4, "{what}: frames");
    for (i, (img, _)) in frames.iter().enumerate() {
        assert_eq!(img.dimensions(), (40, 20), "{what}");
        let x = i as u32 * 10 + 5;
        let got = img.get_pixel(x, 10);
        assert!(near(got, COLOURS[i], 48), "{what} frame {i}: {got:?}");
        for before in 0..i as u32 {
            let got = img.get_pixel(before * 10 + 5, 10);
            assert!(
                got[3] < 60,
                "{what} frame {i}: square {before} stayed: {got:?}"
            );
        }
    }
}

#[test]
fn animations_stay_animated_with_their_delays_loops_and_pixels() {
    let Some(media) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    // (source, its delays, its loop count)
    let sources: [(&str, [u32; 4], u32); 3] = [
        ("deltas.gif", [100; 4], 3),
        ("squares.webp", [40, 40, 40, 500], 2),
        ("squares.png", [200; 4], 0),
    ];
    for (file, delays, loops) in sources {
        for (format, mime) in [
            ("original", None),
            ("gif", Some("image/gif")),
            ("webp", Some("image/webp")),
        ] {
            let target = format!("/public/anim/{file}?w=40&format={format}");
            let r = s.get(&target);
            assert_eq!(r.status, 200, "{target}: {}", r.text());
            if let Some(mime) = mime {
                assert_eq!(r.header("content-type"), Some(mime), "{target}");
            }
            let (got, got_loops) = frames(&r.body);
            assert_squares(&target, &got);
            let got_delays: Vec<u32> = got.iter().map(|(_, d)| *d).collect();
            assert_eq!(got_delays, delays, "{target}: delays");
            assert_eq!(got_loops, loops, "{target}: loops");
        }
    }
    // `format=original` keeps an APNG an APNG.
    let r = s.get("/public/anim/squares.png?w=40");
    assert_eq!(r.header("content-type"), Some("image/png"));
    // `optimal`: animated WebP for a browser, GIF for a client without WebP.
    let chrome = [("accept", "image/avif,image/webp,*/*")];
    let r = s.send(
        "GET",
        "/public/anim/deltas.gif?w=40&format=optimal",
        &chrome,
    );
    assert_eq!(r.header("content-type"), Some("image/webp"));
    assert_squares("optimal, Chrome", &frames(&r.body).0);
    let r = s.get("/public/anim/deltas.gif?w=40&format=optimal");
    assert_eq!(r.header("content-type"), Some("image/gif"));
    assert_squares("optimal, no Accept", &frames(&r.body).0);
    // A still format gives the first frame.
    let r = s.get("/public/anim/deltas.gif?w=40&format=jpg");
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    // The 50-frame photo pan, resized.
    let r = s.get("/public/anim/pan.gif?w=240&format=webp");
    assert_eq!(r.status, 200, "{}", r.text());
    let (pan, _) = frames(&r.body);
    assert_eq!(pan.len(), 50);
    assert!(pan
        .iter()
        .all(|(img, d)| img.dimensions() == (240, 135) && *d == 40));
}

#[test]
fn locked_overlays_are_on_every_frame() {
    let Some(media) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    let args = json!({
        "w": "200",
        "text": "LOCKED",
        "text.size": "60px",
        "text.color": "ff00ff",
        "watermark": "/marks/green.png",
        "watermark.position": "northwest",
        "watermark.scale.width": "30",
    });
    for (file, format) in [
        ("deltas.gif", "gif"),
        ("squares.webp", "webp"),
        ("pan.gif", "webp"),
    ] {
        let path = format!("/private/anim/{file}");
        let mut c = claims(json!(path), now());
        c["args"] = args.clone();
        let token = hs256(c, "topsecret");
        // The query tries to drop both overlays.
        let target = format!("{path}?format={format}&text=&watermark.opacity=0&jwt={token}");
        let r = s.get(&target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        let (got, _) = frames(&r.body);
        let last = got.len() - 1;
        for i in [0, last / 2, last] {
            let img = &got[i].0;
            let magenta = img.pixels().filter(|p| near(p, [255, 0, 255], 60)).count();
            assert!(
                magenta > 100,
                "{file} frame {i}: the text is missing ({magenta} px)"
            );
            let corner = img.get_pixel(3, 3);
            assert!(
                near(corner, [0, 255, 0], 40),
                "{file} frame {i}: watermark: {corner:?}"
            );
        }
    }
}

#[test]
fn the_frame_limit_refuses_fast_and_the_cli_keeps_animations() {
    let Some(media) = corpus() else { return };
    let s = Server::start(&config(
        &media.root(),
        "[limits]\nmax_animation_frames = 10\n",
    ));
    let started = Instant::now();
    let r = s.get("/public/anim/pan.gif?w=100");
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("50 frames"), "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(2));
    // Four frames are within it.
    assert_eq!(s.get("/public/anim/deltas.gif?w=40").status, 200);

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("pan-240.webp");
    let src = media.root().join("public/anim/pan.gif");
    let status = Command::new(BIN)
        .args(["transform", src.to_str().unwrap(), "--param", "w=240"])
        .args(["--param", "format=webp", "-o", file.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let (got, _) = frames(&std::fs::read(&file).unwrap());
    assert_eq!(got.len(), 50, "signet transform kept every frame");
}

/// `limits.transform_timeout` covers the whole animation: the pipeline
/// checks the deadline between frames and stops, in the server (after the
/// 503, the work it spent is about the timeout, not the animation's whole
/// time) and in `signet transform`.
#[test]
fn the_transform_timeout_stops_an_animation_between_frames() {
    let Some(media) = corpus() else { return };
    let limits = "[limits]\ntransform_timeout = \"50ms\"\n";
    let s = Server::start(&config(&media.root(), limits));
    let r = s.get("/public/anim/pan.gif?w=400&format=gif");
    assert_eq!(r.status, 503, "{}", r.text());
    let spent = || -> Option<f64> {
        let text = s.admin_get("/metrics").text();
        let value = |name: &str| {
            text.lines()
                .find(|l| l.contains(name) && !l.starts_with('#'))
                .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        };
        (value("transform_duration_seconds_count")? >= 1.0)
            .then(|| value("transform_duration_seconds_sum"))
            .flatten()
    };
    crate::harness::wait_until(Duration::from_secs(20), "the transform to return", || {
        spent().is_some()
    });
    let seconds = spent().unwrap();
    assert!(
        seconds < 0.5,
        "the transform ran on for {seconds} s after its deadline"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signet.toml");
    std::fs::write(&file, config(&media.root(), limits)).unwrap();
    let src = media.root().join("public/anim/pan.gif");
    let out = Command::new(BIN)
        .args([
            "transform",
            "--config",
            file.to_str().unwrap(),
            src.to_str().unwrap(),
        ])
        .args(["--param", "w=400", "--param", "format=gif", "-o"])
        .arg(dir.path().join("out.gif"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "signet transform finished past its deadline"
    );
    assert!(stderr.contains("timed out"), "{stderr}");
}
