//! Posters from videos (`?poster=`): clips made by Debian's ffmpeg at test
//! time, one colour per second, in every container signet reads (fast-start
//! MP4, MP4 indexed at its end, MOV, WebM, MKV), on a folder and on S3. The
//! frame at each time comes back through the whole pipeline (size, format,
//! the token's locked text); hostile videos get a fast 4xx.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use image::RgbImage;
use serde_json::json;
use signet_storage::testing::S3Server;

use crate::harness::{config, now, put_object, s3_config, Media, Server};
use crate::tokens::{claims, hs256};

/// The colour of each second of every clip, and how long the clips are.
const SECONDS: [(&str, [u8; 3]); 4] = [
    ("red", [255, 0, 0]),
    ("lime", [0, 255, 0]),
    ("blue", [0, 0, 255]),
    ("white", [255, 255, 255]),
];

/// Each clip: file name and the encoder arguments that make it.
const CLIPS: [(&str, &[&str]); 5] = [
    ("fast.mp4", &["-c:v", "libx264", "-movflags", "+faststart"]),
    ("late.mp4", &["-c:v", "libx264"]),
    ("clip.mov", &["-c:v", "libx264"]),
    (
        "clip.webm",
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
    ),
    ("clip.mkv", &["-c:v", "libx264"]),
];

fn ffmpeg_ready() -> bool {
    let ready = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    signet_testkit::require_peer("Debian's ffmpeg", ready, "run `make test-deps`")
}

/// Runs ffmpeg with `args`, asserting that it succeeds.
fn ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg made {}", out.display());
}

/// The clips (under `v/`), a clip that starts with a dark second (`dark.mp4`)
/// and hostile files (under `bad/`), made once for the whole test binary.
fn corpus() -> Option<&'static Media> {
    static CORPUS: OnceLock<Option<Media>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            if !ffmpeg_ready() {
                return None;
            }
            let media = Media::new();
            let root = media.root();
            let dir = root.join("public/v");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::create_dir_all(root.join("private/v")).unwrap();
            std::fs::create_dir_all(root.join("public/bad")).unwrap();
            let colours: String = SECONDS
                .iter()
                .enumerate()
                .map(|(i, (c, _))| format!("color=c={c}:s=320x240:r=25:d=1[s{i}];"))
                .collect();
            let graph = format!("{colours}[s0][s1][s2][s3]concat=n=4");
            for (name, codec) in CLIPS {
                let mut args = vec!["-f", "lavfi", "-i", &graph, "-pix_fmt", "yuv420p"];
                args.extend(["-g", "25"]);
                args.extend(codec);
                ffmpeg(&args, &dir.join(name));
            }
            std::fs::copy(dir.join("fast.mp4"), root.join("private/v/fast.mp4")).unwrap();
            ffmpeg(
                &[
                    "-f",
                    "lavfi",
                    "-i",
                    "color=c=black:s=320x240:r=25:d=1[a];testsrc2=s=320x240:r=25:d=2[b];[a][b]concat",
                    "-pix_fmt",
                    "yuv420p",
                    "-c:v",
                    "libx264",
                    "-movflags",
                    "+faststart",
                ],
                &dir.join("dark.mp4"),
            );
            make_hostile(&root.join("public/bad"), &dir.join("fast.mp4"));
            Some(media)
        })
        .as_ref()
}

/// Truncated clips, a PNG-coded MOV whose frames claim 100 000 × 100 000
/// pixels, and files that only look like videos by name.
fn make_hostile(dir: &Path, fast: &Path) {
    let clip = std::fs::read(fast).unwrap();
    std::fs::write(dir.join("head.mp4"), &clip[..200]).unwrap();
    std::fs::write(dir.join("half.mp4"), &clip[..clip.len() / 2]).unwrap();
    std::fs::write(dir.join("text.mp4"), b"not a video at all, only words").unwrap();
    std::fs::write(dir.join("empty.webm"), b"").unwrap();
    // A box that says it is 4 bytes long (shorter than its own header).
    let mut lying = 24u32.to_be_bytes().to_vec();
    lying.extend_from_slice(b"ftypisom\0\0\x02\0isommp41");
    lying.extend_from_slice(&4u32.to_be_bytes());
    lying.extend_from_slice(b"moov");
    std::fs::write(dir.join("lying.mp4"), lying).unwrap();
    let webm = std::fs::read(fast.with_file_name("clip.webm")).unwrap();
    std::fs::write(dir.join("cut.webm"), &webm[..webm.len() / 3]).unwrap();

    let png = dir.join("small.mov");
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=64x64:r=5:d=1",
            "-c:v",
            "png",
        ],
        &png,
    );
    let mut bytes = std::fs::read(&png).unwrap();
    std::fs::remove_file(&png).unwrap();
    // Every IHDR says 100 000 × 100 000, with a correct CRC.
    let mut at = 0;
    while let Some(i) = find(&bytes[at..], b"IHDR").map(|i| i + at) {
        bytes[i + 4..i + 12]
            .copy_from_slice(&[100_000u32.to_be_bytes(), 100_000u32.to_be_bytes()].concat());
        let crc = crc32(&bytes[i..i + 17]);
        bytes[i + 17..i + 21].copy_from_slice(&crc.to_be_bytes());
        at = i + 1;
    }
    std::fs::write(dir.join("huge.mov"), bytes).unwrap();
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// PNG's CRC-32 (IEEE, reflected).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn near(px: [u8; 3], want: [u8; 3], tolerance: u8) -> bool {
    px.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= tolerance)
}

fn decode(body: &[u8]) -> RgbImage {
    image::load_from_memory(body).unwrap().to_rgb8()
}

fn centre(img: &RgbImage) -> [u8; 3] {
    img.get_pixel(img.width() / 2, img.height() / 2).0
}

#[test]
fn posters_are_the_frame_at_their_time_in_every_container() {
    let Some(media) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    for (name, _) in CLIPS {
        for (second, (colour, rgb)) in SECONDS.iter().enumerate() {
            let target = format!("/public/v/{name}?poster={second}.5&w=160");
            let r = s.get(&target);
            assert_eq!(r.status, 200, "{target}: {}", r.text());
            assert_eq!(r.header("content-type"), Some("image/jpeg"), "{target}");
            let img = decode(&r.body);
            assert_eq!((img.width(), img.height()), (160, 120), "{target}");
            let got = centre(&img);
            assert!(near(got, *rgb, 40), "{target}: {got:?}, not {colour}");
        }
    }
    // Formats and crops as for any image; a repeat is a cache hit.
    let target = "/public/v/clip.webm?poster=1.5&format=png&cw=100&ch=50";
    let r = s.get(target);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("image/png"));
    let img = decode(&r.body);
    assert_eq!((img.width(), img.height()), (100, 50));
    assert!(near(centre(&img), [0, 255, 0], 40));
    let hits = s.metric("signet_cache_hits_total");
    assert_eq!(s.get(target).status, 200);
    assert_eq!(s.metric("signet_cache_hits_total"), hits + 1);
    // Plain requests still get the video as stored.
    let r = s.get("/public/v/fast.mp4");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        std::fs::read(media.root().join("public/v/fast.mp4")).unwrap()
    );
}

#[test]
fn auto_posters_skip_dark_frames() {
    let Some(media) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    let r = s.get("/public/v/dark.mp4?poster=auto&format=png");
    assert_eq!(r.status, 200, "{}", r.text());
    let img = decode(&r.body);
    let sum: u64 = img.pixels().flat_map(|p| p.0).map(u64::from).sum();
    let mean = sum / u64::from(img.width() * img.height() * 3);
    assert!(mean > 50, "auto chose a dark frame (mean {mean})");
    // Frame 0 of the same clip is black.
    let r = s.get("/public/v/dark.mp4?poster=0&format=png");
    assert!(near(centre(&decode(&r.body)), [0, 0, 0], 20));
}

#[test]
fn a_posters_locked_text_comes_from_its_token() {
    let Some(media) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    let path = "/private/v/fast.mp4";
    let mut c = claims(json!(path), now());
    c["args"] =
        json!({"poster": "2.5", "text": "LOCKED", "text.size": "80px", "text.color": "ff00ff"});
    let token = hs256(c, "topsecret");
    // The query tries to move the time and drop the text.
    let r = s.get(&format!("{path}?poster=0.5&text=&w=320&jwt={token}"));
    assert_eq!(r.status, 200, "{}", r.text());
    let img = decode(&r.body);
    let magenta = img
        .pixels()
        .filter(|p| near(p.0, [255, 0, 255], 60))
        .count();
    assert!(magenta > 100, "the locked text is missing ({magenta} px)");
    assert!(
        near(img.get_pixel(2, 2).0, [0, 0, 255], 40),
        "the token's time (blue)"
    );
    // Without a token, nothing.
    assert_eq!(s.get(&format!("{path}?poster=1")).status, 403);
}

#[test]
fn bad_posters_and_hostile_videos_are_fast_client_errors() {
    let Some(media) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    let cases: &[(&str, u16, &str)] = &[
        (
            "/public/v/fast.mp4?poster=9",
            400,
            "past the end of the video (4 seconds long)",
        ),
        (
            "/public/v/clip.webm?poster=60",
            400,
            "past the end of the video (4 seconds long)",
        ),
        ("/public/v/fast.mp4?poster=-1", 400, "poster=-1"),
        ("/public/v/fast.mp4?poster=soon", 400, "poster=soon"),
        (
            "/public/v/fast.mp4?w=100",
            400,
            "add poster=SECONDS or poster=auto",
        ),
        ("/public/a.jpg?poster=1", 400, "applies only to videos"),
        ("/public/notes.txt?poster=1", 400, "applies only to videos"),
        ("/public/v/missing.mp4?poster=1", 404, "not found"),
        (
            "/public/bad/text.mp4?poster=0",
            422,
            "not a video signet can read",
        ),
        (
            "/public/bad/empty.webm?poster=0",
            422,
            "not a video signet can read",
        ),
        (
            "/public/bad/lying.mp4?poster=0",
            422,
            "a box shorter than its header",
        ),
        ("/public/bad/head.mp4?poster=0", 422, "cannot be decoded"),
        ("/public/bad/huge.mov?poster=0", 422, "cannot be decoded"),
    ];
    for (target, status, text) in cases {
        let started = Instant::now();
        let r = s.get(target);
        assert_eq!(r.status, *status, "{target}: {}", r.text());
        assert!(r.text().contains(text), "{target}: {}", r.text());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{target} was slow"
        );
    }
    // Cut videos give what frames they have, or a 4xx; never a 5xx.
    for target in [
        "/public/bad/half.mp4?poster=0.5",
        "/public/bad/half.mp4?poster=3.5",
        "/public/bad/cut.webm?poster=0.5",
        "/public/bad/cut.webm?poster=3.5",
        "/public/bad/cut.webm?poster=auto",
    ] {
        let r = s.get(target);
        assert!(
            r.status == 200 || (400..500).contains(&r.status),
            "{target}: {} {}",
            r.status,
            r.text()
        );
    }
    // Without ffmpeg, posters are a clear 501 and everything else works.
    let s = Server::start(&config(
        &media.root(),
        "[video]\nffmpeg = \"/nonexistent/ffmpeg\"\n",
    ));
    let r = s.get("/public/v/fast.mp4?poster=1");
    assert_eq!(
        (r.status, r.text().trim()),
        (501, "posters need ffmpeg, which this server does not have")
    );
    assert_eq!(s.get("/public/v/fast.mp4").status, 200);
}

#[test]
fn posters_stream_from_s3() {
    let Some(media) = corpus() else { return };
    let Some(s3) = S3Server::start(&["media"]) else {
        return;
    };
    for name in ["fast.mp4", "late.mp4", "clip.webm"] {
        let bytes = std::fs::read(media.root().join("public/v").join(name)).unwrap();
        put_object(&s3, &format!("public/v/{name}"), &bytes, Some("video/mp4"));
    }
    let s = Server::start(&s3_config(&s3, ""));
    for name in ["fast.mp4", "late.mp4", "clip.webm"] {
        let target = format!("/public/v/{name}?poster=3.5&w=64");
        let r = s.get(&target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        assert!(
            near(centre(&decode(&r.body)), [255, 255, 255], 40),
            "{target}"
        );
    }
}
