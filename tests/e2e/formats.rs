//! Every still source format, made at test time by Debian's own tools
//! (ImageMagick, libavif's avifenc, libheif's heif-enc, libjxl's cjxl) from
//! a real photo (MATE's LadyBird wallpaper), through the real server: each
//! renders `?w=400` at the right size within a PSNR floor of the pristine
//! picture resized by ImageMagick. Colour profiles are really applied (the
//! Adobe RGB file is far closer than the same file with its profile
//! ignored), CMYK matches ImageMagick's conversion, orientation boxes and
//! tags are honoured, `format=original` gives a web format, and a truncated
//! copy of every file is a fast 422.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{config, on_path, run_tool, Media, Server};

const PHOTO: &str = "/usr/share/backgrounds/mate/nature/LadyBird.jpg";
const ICC: &str = "/usr/share/color/icc/colord";
/// Ghostscript's default CMYK profile (Debian's `libgs-common`), test data.
const CMYK_ICC: &str = "/usr/share/color/icc/ghostscript/default_cmyk.icc";
/// PNGs without gAMA/cHRM/sRGB chunks: every tool reads them as sRGB.
const PLAIN_PNG: &str = "png:exclude-chunks=gAMA,cHRM,sRGB,bKGD,date,tIME";

fn tools_ready() -> bool {
    let ready = on_path(&["convert", "avifenc", "heif-enc", "cjxl", "compare"])
        && Path::new(PHOTO).exists()
        && Path::new(ICC).join("AdobeRGB1998.icc").exists()
        && Path::new(CMYK_ICC).exists();
    signet_testkit::require_peer(
        "ImageMagick, avifenc, heif-enc, cjxl, MATE's wallpapers, colord's and Ghostscript's profiles",
        ready,
        "run `make test-deps`",
    )
}

/// One source file: the commands that make it from `pristine.png` in its
/// folder (`;` between commands; `@avif` stands for avifenc's quality and
/// speed flags, `@srgb`/`@adobe`/`@prophoto` for colord's profiles), the
/// reference it is compared with, and the PSNR floor (a few dB under the
/// measured value: a colour, orientation or bit-depth mistake costs 10+).
struct Case {
    file: &'static str,
    make: &'static str,
    reference: &'static str,
    min_psnr: f64,
}

#[rustfmt::skip]
const CASES: [Case; 30] = [
    case("cmyk.jpg", "convert pristine.png -colorspace CMYK cmyk.jpg", "ref.png", 45.0),
    // A CMYK JPEG with its print profile (Ghostscript's default CMYK),
    // against lcms' relative-colorimetric conversion by ImageMagick.
    case("cmyk-icc.jpg", "convert pristine.png -profile @srgb -profile @cmyk -quality 92 cmyk-icc.jpg", "ref-cmyk-icc.png", 44.0),
    case("adobe.jpg", "convert pristine.png -profile @srgb -profile @adobe -quality 92 adobe.jpg", "ref.png", 44.0),
    case("rgb8-lzw.tif", "convert pristine.png -compress LZW rgb8-lzw.tif", "ref.png", 48.0),
    case("rgb16-zip.tif", "convert rgb16.png -compress Zip rgb16-zip.tif", "ref.png", 45.0),
    case("gray-packbits.tif", "convert pristine.png -colorspace Gray -compress RLE gray-packbits.tif", "ref-gray.png", 48.0),
    case("cmyk.tif", "convert pristine.png -colorspace CMYK -compress LZW cmyk.tif", "ref.png", 50.0),
    case("prophoto16.tif", "convert pristine.png -profile @srgb -profile @prophoto -depth 16 prophoto16.tif", "ref.png", 48.0),
    case("pages.tif", "convert pristine.png ( pristine.png -negate ) pages.tif", "ref.png", 48.0),
    case("rgba.tif", "convert alpha.png -compress LZW rgba.tif", "ref-alpha.png", 45.0),
    case("rotated.tif", "convert pristine.png -rotate 90 -orient LeftBottom rotated.tif", "ref.png", 48.0),
    case("rgb.bmp", "convert pristine.png bmp3:rgb.bmp", "ref.png", 48.0),
    case("rgba.bmp", "convert alpha.png bmp:rgba.bmp", "ref-alpha.png", 45.0),
    case("icon.ico", "convert pristine.png -resize 256x160 icon.ico", "ref.png", 38.0),
    case("rgb16.png", "", "ref.png", 45.0),
    case("gray-alpha.png", "convert alpha.png -colorspace Gray @plain PNG32:gray-alpha.png", "ref-gray-alpha.png", 45.0),
    // An 8-bit palette with a tRNS chunk, against ImageMagick's reading.
    case("palette.png", "convert alpha.png -colors 255 @plain PNG8:palette.png", "ref-palette.png", 40.0),
    case("photo8.avif", "avifenc @avif pristine.png photo8.avif", "ref.png", 41.0),
    case("photo10.avif", "avifenc @avif -d 10 rgb16.png photo10.avif", "ref.png", 41.0),
    case("photo12.avif", "avifenc @avif -d 12 rgb16.png photo12.avif", "ref.png", 40.0),
    case("alpha.avif", "avifenc @avif alpha.png alpha.avif", "ref-alpha.png", 43.0),
    case("adobe.avif", "convert adobe.jpg adobe.png; avifenc @avif adobe.png adobe.avif", "ref.png", 40.0),
    case("irot.avif", "avifenc @avif --irot 1 pristine.png irot.avif", "ref-ccw.png", 40.0),
    case("imir.avif", "avifenc @avif --imir 1 pristine.png imir.avif", "ref-flop.png", 41.0),
    case("grid.avif", "avifenc @avif --grid 2x2 even.png grid.avif", "ref-even.png", 41.0),
    case("photo.heic", "heif-enc -q 85 pristine.png -o photo.heic", "ref.png", 47.0),
    case("lossy.jxl", "cjxl pristine.png lossy.jxl -d 1", "ref.png", 40.0),
    case("lossless16.jxl", "cjxl rgb16.png lossless16.jxl -d 0", "ref.png", 45.0),
    case("adobe.jxl", "convert adobe.jpg adobe.png; cjxl adobe.png adobe.jxl -d 1", "ref.png", 40.0),
    // Lossless keeps the pixels in Adobe RGB, described by the ICC profile.
    case("adobe-lossless.jxl", "cjxl adobe.png adobe-lossless.jxl -d 0", "ref.png", 44.0),
];

const fn case(
    file: &'static str,
    make: &'static str,
    reference: &'static str,
    min_psnr: f64,
) -> Case {
    Case {
        file,
        make,
        reference,
        min_psnr,
    }
}

/// A case's command line with its `@` words expanded.
fn expand(step: &str) -> Vec<String> {
    step.split_whitespace()
        .flat_map(|word| match word {
            "@avif" => vec!["--min", "10", "--max", "30", "-s", "8"]
                .into_iter()
                .map(String::from)
                .collect(),
            "@plain" => vec!["-define".to_string(), PLAIN_PNG.to_string()],
            "@photo" => vec![PHOTO.to_string()],
            "@srgb" => vec![format!("{ICC}/sRGB.icc")],
            "@adobe" => vec![format!("{ICC}/AdobeRGB1998.icc")],
            "@prophoto" => vec![format!("{ICC}/ProPhotoRGB.icc")],
            "@cmyk" => vec![CMYK_ICC.to_string()],
            other => vec![other.to_string()],
        })
        .collect()
}

/// Commands run before the cases: the pristine picture, a 16-bit and an
/// alpha version, an even-sized crop for the AVIF grid (its cells must be
/// even), and the references.
const BEFORE: [&str; 11] = [
    "convert @photo -resize 1200x @plain pristine.png",
    "convert @photo -resize 1200x -depth 16 @plain rgb16.png",
    "convert pristine.png -alpha set -channel A -fx 0.3+0.7*i/w +channel @plain alpha.png",
    "convert pristine.png -crop 1200x748+0+0 +repage @plain even.png",
    "convert pristine.png -resize 400x @plain ref.png",
    "convert pristine.png -colorspace Gray -resize 400x -type TrueColor @plain ref-gray.png",
    "convert alpha.png -resize 400x @plain ref-alpha.png",
    "convert alpha.png -colorspace Gray -resize 400x -type TrueColorAlpha @plain ref-gray-alpha.png",
    "convert pristine.png -rotate -90 -resize 400x @plain ref-ccw.png",
    "convert pristine.png -flop -resize 400x @plain ref-flop.png",
    "convert even.png -resize 400x @plain ref-even.png",
];

/// References made from the cases' own files: ImageMagick's CMYK
/// conversions (with and without a profile), the Adobe RGB file with its profile ignored, and
/// ImageMagick's reading of the palette PNG.
const AFTER: [&str; 4] = [
    "convert cmyk-icc.jpg -intent Relative -profile @srgb -resize 400x @plain ref-cmyk-icc.png",
    "convert cmyk.jpg -colorspace sRGB -resize 400x @plain ref-cmyk.png",
    "convert adobe.jpg +profile * -resize 400x @plain ref-ignored.png",
    "convert palette.png -resize 400x @plain ref-palette.png",
];

/// Makes the pristine picture, the references and every case's file in
/// `dir`.
fn make_corpus(dir: &Path) {
    let steps = CASES.iter().flat_map(|c| c.make.split(';'));
    for step in BEFORE.into_iter().chain(steps).chain(AFTER) {
        let words = expand(step);
        if let Some((program, args)) = words.split_first() {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_tool(dir, program, &args);
        }
    }
    for case in &CASES {
        assert!(dir.join(case.file).exists(), "{} was made", case.file);
    }
}

/// RGBA pixels of a PNG or JPEG.
fn pixels(bytes: &[u8]) -> image::RgbaImage {
    image::load_from_memory(bytes).unwrap().to_rgba8()
}

/// PSNR of two same-sized images over premultiplied RGBA (the colour
/// under a transparent pixel does not count).
fn psnr(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let premultiplied = |px: &image::Rgba<u8>| {
        let alpha = f64::from(px[3]) / 255.0;
        [
            f64::from(px[0]) * alpha,
            f64::from(px[1]) * alpha,
            f64::from(px[2]) * alpha,
            f64::from(px[3]),
        ]
    };
    let (sum, n) = a
        .pixels()
        .zip(b.pixels())
        .fold((0f64, 0f64), |(s, n), (x, y)| {
            let (x, y) = (premultiplied(x), premultiplied(y));
            let d: f64 = x.iter().zip(&y).map(|(p, q)| (p - q) * (p - q)).sum();
            (s + d, n + 4.0)
        });
    let mse = sum / n;
    if mse == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

fn reference(dir: &Path, name: &str) -> image::RgbaImage {
    pixels(&std::fs::read(dir.join(name)).unwrap())
}

/// The corpus, made once for the tests of this file.
fn corpus() -> Option<&'static (Media, PathBuf)> {
    static CORPUS: OnceLock<Option<(Media, PathBuf)>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            if !tools_ready() {
                return None;
            }
            let media = Media::new();
            let dir = media.root().join("public/formats");
            std::fs::create_dir_all(&dir).unwrap();
            make_corpus(&dir);
            Some((media, dir))
        })
        .as_ref()
}

#[test]
fn every_source_format_renders_close_to_the_pristine_picture() {
    let Some((media, dir)) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    let mut table = Vec::new();
    for case in &CASES {
        let target = format!("/public/formats/{}?w=400&format=png", case.file);
        let r = s.get(&target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("image/png"), "{target}");
        let got = pixels(&r.body);
        let want = reference(dir, case.reference);
        assert_eq!(got.dimensions(), want.dimensions(), "{target}");
        let db = psnr(&got, &want);
        table.push(format!(
            "{:<18} {:>7.2} dB (floor {})",
            case.file, db, case.min_psnr
        ));
        assert!(
            db >= case.min_psnr,
            "{target}: {db:.2} dB < {}",
            case.min_psnr
        );
    }
    eprintln!("{}", table.join("\n"));

    // The Adobe RGB profile is really applied: ignoring it costs dBs.
    let adobe = pixels(&s.get("/public/formats/adobe.jpg?w=400&format=png").body);
    let applied = psnr(&adobe, &reference(dir, "ref.png"));
    let ignored = psnr(
        &reference(dir, "ref-ignored.png"),
        &reference(dir, "ref.png"),
    );
    eprintln!("adobe.jpg: {applied:.2} dB with its profile, {ignored:.2} dB without");
    assert!(applied > ignored + 8.0, "{applied:.2} vs {ignored:.2}");
    // CMYK as ImageMagick converts it.
    let cmyk = pixels(&s.get("/public/formats/cmyk.jpg?w=400&format=png").body);
    let db = psnr(&cmyk, &reference(dir, "ref-cmyk.png"));
    assert!(db >= 40.0, "cmyk.jpg against ImageMagick: {db:.2} dB");
}

#[test]
fn sources_signet_cannot_write_are_served_in_a_web_format() {
    let Some((media, dir)) = corpus() else { return };
    let s = Server::start(&config(&media.root(), ""));
    for (file, query, want) in [
        ("photo.heic", "w=300", "image/jpeg"),
        ("photo.heic", "w=300&format=original", "image/jpeg"),
        ("rgba.tif", "w=300", "image/png"),
        ("rgb.bmp", "w=300", "image/jpeg"),
        ("lossy.jxl", "w=300", "image/jpeg"),
        ("photo8.avif", "w=300", "image/avif"),
        ("photo.heic", "w=300&format=webp", "image/webp"),
        // ICO carries alpha.
        ("icon.ico", "w=64", "image/png"),
    ] {
        let target = format!("/public/formats/{file}?{query}");
        let r = s.get(&target);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(want), "{target}");
    }
    let optimal = s.send(
        "GET",
        "/public/formats/photo.heic?w=300&format=optimal",
        &[("Accept", "image/avif,image/webp,*/*")],
    );
    assert_eq!(optimal.header("content-type"), Some("image/avif"));
    // No options: the original bytes, under their own type.
    let heic = s.get("/public/formats/photo.heic");
    assert_eq!(heic.status, 200);
    assert_eq!(heic.body, std::fs::read(dir.join("photo.heic")).unwrap());

    // The CLI reads them too.
    let out = dir.join("cli-out.png");
    let status = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args([
            "transform",
            "--param",
            "w=200",
            "--param",
            "format=png",
            "-o",
        ])
        .arg(&out)
        .arg(dir.join("photo.heic"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        pixels(&std::fs::read(&out).unwrap()).dimensions(),
        (200, 125)
    );
}

#[test]
fn truncated_copies_of_every_format_are_a_fast_422() {
    let Some((media, dir)) = corpus() else { return };
    let cut = dir.join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    for case in &CASES {
        let bytes = std::fs::read(dir.join(case.file)).unwrap();
        std::fs::write(cut.join(case.file), &bytes[..bytes.len() / 2]).unwrap();
    }
    let s = Server::start(&config(&media.root(), ""));
    for case in &CASES {
        let target = format!("/public/formats/cut/{}?w=100", case.file);
        let started = Instant::now();
        let r = s.get(&target);
        let took = started.elapsed();
        // Half of a two-page TIFF is still its whole first page.
        let want = if case.file == "pages.tif" { 200 } else { 422 };
        assert_eq!(r.status, want, "{target}: {}", r.text());
        assert!(took < Duration::from_secs(2), "{target} took {took:?}");
        eprintln!("{:<18} {} in {} ms", case.file, r.status, took.as_millis());
        assert_eq!(
            s.get("/public/formats/rgb.bmp?w=50").status,
            200,
            "after {target}"
        );
    }
}

#[test]
fn svg_stays_a_vector_and_avif_speed_reaches_the_encoder() {
    let Some((media, dir)) = corpus() else { return };
    std::fs::write(
        dir.join("shape.svg"),
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="60" height="60" fill="#c00"/></svg>"##,
    )
    .unwrap();
    let optimal = Server::start(&config(&media.root(), "default_format = \"optimal\""));
    let accept = [("Accept", "image/avif,image/webp,*/*")];
    // No options: the vector file itself, even where rasters are negotiated.
    let r = optimal.send("GET", "/public/formats/shape.svg", &accept);
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    assert_eq!(r.body, std::fs::read(dir.join("shape.svg")).unwrap());
    let raster = optimal.send("GET", "/public/formats/photo.heic", &accept);
    assert_eq!(raster.header("content-type"), Some("image/avif"));
    // With options: rasterised at the size asked for.
    // Drawn at 240 px, not scaled up from a 120 px bitmap: the edge stays
    // one pixel sharp.
    let big = pixels(
        &optimal
            .get("/public/formats/shape.svg?w=240&format=png")
            .body,
    );
    assert_eq!(big.dimensions(), (240, 120));
    assert_eq!(big.get_pixel(119, 60).0, [204, 0, 0, 255]);
    assert_eq!(big.get_pixel(120, 60).0[3], 0);
    let r = optimal.get("/public/formats/shape.svg?w=60&format=png");
    let png = pixels(&r.body);
    assert_eq!(png.dimensions(), (60, 30));
    assert_eq!(png.get_pixel(10, 10).0, [204, 0, 0, 255]);
    assert_eq!(png.get_pixel(50, 10).0[3], 0);
    drop(optimal);

    // avif_speed from the config is the encoder's: another speed, other bytes.
    let target = "/public/formats/rgb.bmp?w=300&format=avif";
    let fast = Server::start(&config(&media.root(), "")).get(target);
    let slow = Server::start(&config(&media.root(), "avif_speed = 3")).get(target);
    assert_eq!(fast.header("content-type"), Some("image/avif"));
    assert_eq!(slow.header("content-type"), Some("image/avif"));
    assert_ne!(fast.body, slow.body);
}
