//! Golden-image tests: every pipeline stage and every overlay placement,
//! rendered from synthetic PNG sources to PNG (lossless, so only the
//! pipeline's own arithmetic is compared) and checked against
//! `tests/golden/*.png` within a small tolerance.
//!
//! Re-record after an intended change with
//! `SIGNET_RECORD_GOLDEN=1 cargo test -p signet-transform --test golden`,
//! then look at the images before committing them.

use std::path::PathBuf;

use image::{Rgba, RgbaImage};
use signet_transform::parse_options;
use signet_transform::pipeline::{negotiate, process, Accepts, Encoders, Job, Limits};

const LIMITS: Limits = Limits {
    max_source_pixels: 100_000_000,
    max_output_pixels: 40_000_000,
    max_metadata_bytes: 8 << 20,
    max_animation_frames: 1000,
};

/// Largest per-channel difference allowed, and the largest mean difference.
const MAX_DIFF: u8 = 6;
const MAX_MEAN: f64 = 0.5;

fn png(img: &RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A 160×120 gradient (red across, green down, blue 128) with a dark
/// diagonal band so that orientation and crops are visible.
fn source() -> Vec<u8> {
    png(&RgbaImage::from_fn(160, 120, |x, y| {
        if (x as i32 - y as i32 * 4 / 3).abs() < 6 {
            Rgba([20, 20, 20, 255])
        } else {
            Rgba([(x * 255 / 159) as u8, (y * 255 / 119) as u8, 128, 255])
        }
    }))
}

/// The gradient inside a 10 px white border, for trim.
fn bordered() -> Vec<u8> {
    png(&RgbaImage::from_fn(180, 140, |x, y| {
        if !(10..170).contains(&x) || !(10..130).contains(&y) {
            Rgba([255, 255, 255, 255])
        } else {
            Rgba([
                ((x - 10) * 255 / 159) as u8,
                ((y - 10) * 255 / 119) as u8,
                128,
                255,
            ])
        }
    }))
}

/// A 24×24 watermark: a cyan square with a transparent margin.
fn mark() -> Vec<u8> {
    png(&RgbaImage::from_fn(24, 24, |x, y| {
        if (4..20).contains(&x) && (4..20).contains(&y) {
            Rgba([0, 255, 255, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    }))
}

fn render(src: &[u8], query: &str) -> RgbaImage {
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let mut pairs = pairs;
    if !pairs.iter().any(|(k, _)| *k == "format") {
        pairs.push(("format", "png")); // lossless, so goldens compare pixels
    }
    let options = parse_options(pairs).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    let mark = mark();
    // The one test watermark for every watermark the query names.
    let marks = vec![&mark[..]; signet_transform::plan::watermark_paths(&options).len()];
    let job = Job {
        options: &options,
        target: negotiate(&options, Accepts::default(), false).target,
        watermarks: &marks,
        fonts: Default::default(),
        encoders: Encoders::default(),
        deadline: None,
    };
    let out = process(src, &job, &LIMITS).unwrap_or_else(|e| panic!("{query}: {e}"));
    image::load_from_memory(&out.bytes).unwrap().to_rgba8()
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares with (or records) `tests/golden/{name}.png`.
fn check(name: &str, img: &RgbaImage) {
    let path = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("SIGNET_RECORD_GOLDEN").is_some() {
        std::fs::write(&path, png(img)).unwrap();
        return;
    }
    let want = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (record with SIGNET_RECORD_GOLDEN=1)",
                path.display()
            )
        })
        .to_rgba8();
    assert_eq!(want.dimensions(), img.dimensions(), "{name}: size");
    let (mut worst, mut total) = (0u8, 0u64);
    for (a, b) in want.as_raw().iter().zip(img.as_raw()) {
        let d = a.abs_diff(*b);
        worst = worst.max(d);
        total += u64::from(d);
    }
    let mean = total as f64 / want.as_raw().len() as f64;
    assert!(
        worst <= MAX_DIFF && mean <= MAX_MEAN,
        "{name}: differs from its golden image (max {worst}, mean {mean:.3})"
    );
}

const STAGES: &[(&str, &str)] = &[
    (
        "canvas-opacity",
        "canvas.width=200&canvas.height=150&canvas.color=0000ff&canvas.opacity=40",
    ),
    (
        "text-offset-opacity",
        "text=Ab&text.size=24px&text.color=000000&text.opacity=40&text.position=northeast\
         &text.position.x=30&text.position.y=20",
    ),
    ("scale-fit", "w=80"),
    ("scale-fill", "w=60&h=60&scale.option=fill"),
    ("scale-ignore", "w=60&h=90&scale.option=ignore"),
    ("trim", "crop.type=trim"),
    ("crop", "cx=20&cy=10&cw=50%&ch=50%"),
    (
        "canvas",
        "canvas.width=200&canvas.height=150&canvas.color=ff0000&canvas.position=northwest",
    ),
    (
        "canvas-crop",
        "canvas.width=50%&canvas.height=50%&canvas.position=southeast",
    ),
    // Looked at once: a centred square of the gradient; the gradient on a
    // red square canvas; the gradient in a 10 px blue band (a 6 px band
    // above and below, from the height).
    ("crop-aspect", "crop.aspectratio=1:1"),
    (
        "canvas-aspect",
        "canvas.aspectratio=1:1&canvas.color=ff0000",
    ),
    (
        "canvas-border",
        "canvas.border.width=10&canvas.border.height=5%25&canvas.border.color=0000ff",
    ),
    // Frames, looked at once: a white band with a black rim; the image
    // mirrored into the band (the diagonal continues as a reflection); its
    // edge pixels stretched out; a noisy grey band.
    (
        "frame-solid",
        "frame.style=solid&frame.width=12&frame.rim.width=3",
    ),
    ("frame-mirror", "frame.style=mirror&frame.width=20%25"),
    ("frame-edge", "frame.style=edge&frame.width=15"),
    (
        "frame-dither",
        "frame.style=dither&frame.color=808080&frame.width=10",
    ),
    ("rotate-90", "rotate=90"),
    ("rotate-30", "rotate=-30"),
    ("flip", "flip=true"),
    ("flop", "flop=true"),
    ("brightness", "brightness=40"),
    ("contrast", "contrast=60"),
    ("saturation", "saturation=-80"),
    ("lightness", "lightness=-30"),
    ("hue", "hue=50"),
    // Sirv's light options. Sirv publishes no reference renders for them;
    // each golden was looked at once beside its source: exposure=50 is one
    // stop brighter with highlights clipping, exposure=-50 one stop darker;
    // shadows=80 opens the dark corner and band while the bright corner
    // stays; highlights=-80 pulls the bright corner down while the dark
    // band stays; the levels stretch 60–200 to the full range (more
    // contrast, clipped ends).
    ("exposure", "exposure=50"),
    ("exposure-down", "exposure=-50"),
    ("shadows", "shadows=80"),
    ("highlights", "highlights=-80"),
    ("colorlevel", "colorlevel.black=60&colorlevel.white=200"),
    // Colour tones, looked at once: sepia browns, texas a faded orange
    // duotone, cold a blue cast that keeps the gradient's colours, a custom
    // green tint at 70 %.
    ("colortone-sepia", "colortone=sepia"),
    ("colortone-texas", "colortone=texas"),
    ("colortone-cold", "colortone=cold"),
    // Looked at once: blue in the bright parts only, dark parts as they
    // were; then red in the dark parts only.
    // The chart of the gradient's levels at 160×120, looked at once.
    ("histogram", "histogram=rgb"),
    (
        "colortone-highlights",
        "colortone.color=0000ff&colortone.level=100&colortone.mode=highlights",
    ),
    (
        "colortone-shadows",
        "colortone.color=ff0000&colortone.level=100&colortone.mode=shadows",
    ),
    (
        "colortone-custom",
        "colortone.color=00ff00&colortone.level=70&colortone.mode=tint",
    ),
    // Looked at once: the centre untouched, the corners shaded to black
    // (and to red, at 60 %) along an ellipse of the image's shape.
    ("vignette", "vignette.value=100"),
    ("vignette-red", "vignette.value=60&vignette.color=ff0000"),
    ("grayscale", "grayscale=true"),
    ("blur", "blur=20"),
    ("sharpen", "sharpen=80"),
    ("colorize", "colorize.color=ff0000&colorize.opacity=60"),
    ("opacity", "opacity=50"),
    (
        "text-styled",
        "text=Signet%0Atwo%20lines&text.size=20px&text.color=ffffff&text.align=left\
         &text.background.color=000000&text.background.opacity=60\
         &text.outline.color=ff0000&text.outline.width=2&text.font.family=DejaVu%20Serif",
    ),
    (
        "text-accents",
        "text=Ça%20déjà&text.font.size=29&text.color=yellow",
    ),
    // Weights and styles, looked at once: extra light, regular, bold
    // oblique, serif bold italic.
    (
        "text-light",
        "text=Light&text.font.weight=light&text.font.size=34&text.color=ffffff",
    ),
    (
        "text-bold-italic",
        "text=Bold&text.font.weight=700&text.font.style=italic&text.font.size=34&text.color=ffffff",
    ),
    (
        "text-serif-bold-italic",
        "text=Serif&text.font.family=serif&text.font.weight=extra-bold&text.font.style=italic\
         &text.font.size=34&text.color=ffffff",
    ),
    // A soft, half-opaque outline, looked at once: a blurred red glow.
    (
        "text-outline-soft",
        "text=Glow&text.font.size=34&text.color=ffffff&text.outline.color=ff0000\
         &text.outline.width=4&text.outline.blur=3&text.outline.opacity=50",
    ),
    // Sirv's text.size=N%: the widest line spans N % of the image width
    // (80 % of 160 px: 128 px), the font fitted to it.
    (
        "text-size-percent",
        "text=Wide%0Aand%20wider&text.size=80%25&text.color=ffffff&text.background.color=000000",
    ),
    // Sirv's numbered layers: two texts (the second in base64, sized as
    // Sirv sizes a bare number: 60 % of the width) and two watermarks,
    // looked at once: white "Top" in the north, a red "Bottom" block in the
    // south, the cyan mark in the north-west and south-east corners.
    (
        "layers",
        "text.0.text=Top&text.0.position=north&text.0.color=ffffff&text.0.font.size=24\
         &text.1.text64=Qm90dG9t&text.1.position.gravity=south&text.1.size=60&text.1.color=ff0000\
         &watermark=/m.png&watermark.position=northwest\
         &watermark.1.image=/m.png&watermark.1.position=southeast",
    ),
    (
        "order",
        "w=100&rotate=90&blur=5&text=Top&text.position=north&text.color=white",
    ),
];

fn decode_query(q: &str) -> String {
    // The table spells a few characters as in a URL.
    q.replace("%0A", "\n")
        .replace("%20", " ")
        .replace("%25", "%")
}

#[test]
fn every_stage_matches_its_golden_image() {
    let (src, framed) = (source(), bordered());
    for (name, query) in STAGES {
        let input = if *name == "trim" { &framed } else { &src };
        check(name, &render(input, &decode_query(query)));
    }
}

const GRAVITIES: [&str; 9] = [
    "northwest",
    "north",
    "northeast",
    "west",
    "center",
    "east",
    "southwest",
    "south",
    "southeast",
];

/// The centroid of pixels near `rgb`, as a fraction of the image size.
fn centroid(img: &RgbaImage, rgb: [u8; 3]) -> (f64, f64) {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for (x, y, p) in img.enumerate_pixels() {
        if p.0[..3].iter().zip(rgb).all(|(a, b)| a.abs_diff(b) < 40) {
            sx += f64::from(x);
            sy += f64::from(y);
            n += 1.0;
        }
    }
    assert!(n > 20.0, "overlay colour not found");
    (
        sx / n / f64::from(img.width()),
        sy / n / f64::from(img.height()),
    )
}

/// Which third (0, 1, 2) a fraction falls in, for each axis of a gravity.
fn thirds(gravity: &str) -> (u32, u32) {
    let col = if gravity.ends_with("west") {
        0
    } else if gravity.ends_with("east") {
        2
    } else {
        1
    };
    let row = if gravity.starts_with("north") {
        0
    } else if gravity.starts_with("south") {
        2
    } else {
        1
    };
    (col, row)
}

fn third(f: f64) -> u32 {
    (f * 3.0).floor().clamp(0.0, 2.0) as u32
}

#[test]
fn text_and_watermark_land_where_their_gravity_says() {
    let src = source();
    for g in GRAVITIES {
        let text = render(
            &src,
            &format!("text=Ab&text.size=24px&text.color=ff00ff&text.position={g}"),
        );
        let (x, y) = centroid(&text, [255, 0, 255]);
        assert_eq!(
            (third(x), third(y)),
            thirds(g),
            "text at {g}: ({x:.2}, {y:.2})"
        );
        check(&format!("text-{g}"), &text);

        let mark = render(
            &src,
            &format!("watermark=/m.png&watermark.position={g}&watermark.scale.width=24"),
        );
        let (x, y) = centroid(&mark, [0, 255, 255]);
        assert_eq!(
            (third(x), third(y)),
            thirds(g),
            "watermark at {g}: ({x:.2}, {y:.2})"
        );
        check(&format!("watermark-{g}"), &mark);
    }
    // Offsets move inward from the named edges.
    let moved = render(
        &src,
        "watermark=/m.png&watermark.position=southeast&watermark.position.x=50%&watermark.position.y=10",
    );
    let (x, _) = centroid(&moved, [0, 255, 255]);
    assert!(x < 0.6, "offset moved it left: {x:.2}");
    // A negative offset is measured from the opposite edge (Sirv's
    // `position.x=-35%`): north-west at x=-10 is north-east at x=10; from
    // the centre it moves the other way.
    assert_eq!(
        render(&src, "watermark=/m.png&watermark.position=northwest&watermark.position.x=-10&watermark.position.y=-5"),
        render(&src, "watermark=/m.png&watermark.position=southeast&watermark.position.x=10&watermark.position.y=5"),
    );
    let left = render(
        &src,
        "text=Ab&text.font.size=20&text.color=ff00ff&text.position.x=-25%",
    );
    let (x, _) = centroid(&left, [255, 0, 255]);
    assert!(x < 0.35, "from the centre, -25 % moves left: {x:.2}");
    let tiled = render(
        &src,
        "watermark=/m.png&watermark.position=tile&watermark.scale.width=12&watermark.opacity=50",
    );
    check("watermark-tile", &tiled);
    // Sirv's scale options and rotation, looked at once: the 24 px mark
    // kept at 24 px in a 48 px box (noup, the default), grown to 48 (fit),
    // stretched to 48×16 (ignore), covering 48×16 and cut to it (fill);
    // turned 45° (its transparent corners stay clear).
    for (name, extra) in [
        (
            "watermark-noup",
            "watermark.scale.width=48&watermark.scale.height=48",
        ),
        (
            "watermark-fit",
            "watermark.scale.width=48&watermark.scale.height=48&watermark.scale.option=fit",
        ),
        (
            "watermark-ignore",
            "watermark.scale.width=48&watermark.scale.height=16&watermark.scale.option=ignore",
        ),
        (
            "watermark-fill",
            "watermark.scale.width=48&watermark.scale.height=16&watermark.scale.option=fill",
        ),
        ("watermark-rotate", "watermark.rotate=45"),
        // Sirv's watermark sub-options, looked at once: the mark's left half
        // (cyan and its transparent margin), on a half-opaque red sheet
        // twice its width and 1.5× its height, in the south-east corner.
        (
            "watermark-crop-canvas",
            "watermark.crop.width=50%&watermark.canvas.color=ff0000&watermark.canvas.opacity=50\
             &watermark.canvas.width=200%&watermark.canvas.height=150%&watermark.position=southeast",
        ),
    ] {
        let out = render(&src, &format!("watermark=/m.png&{extra}"));
        check(name, &out);
    }
    // Behind an opaque image a mark is hidden; behind a see-through one
    // (opacity=0 makes the whole image clear) it shows.
    assert_eq!(
        render(&src, "watermark=/m.png&watermark.layer=back"),
        render(&src, "")
    );
    let clear = render(&src, "opacity=0&watermark=/m.png&watermark.layer=back");
    assert!(
        clear.pixels().any(|p| p.0 == [0, 255, 255, 255]),
        "the mark shows through"
    );
    // A watermark crop starting outside the mark is the client's error.
    let outside = parse_options([("watermark", "/m.png"), ("watermark.crop.x", "30")]).unwrap();
    let mark = mark();
    let job = Job {
        options: &outside,
        target: negotiate(&outside, Accepts::default(), false).target,
        watermarks: &[&mark[..]],
        fonts: Default::default(),
        encoders: Encoders::default(),
        deadline: None,
    };
    let err = process(&src, &job, &LIMITS).unwrap_err();
    assert!(err.to_string().contains("watermark.crop"), "{err}");
}

#[test]
fn opacities_and_offsets_do_what_they_say() {
    let src = source();
    // canvas.opacity=40 on an opaque colour: the margin is 40 % opaque blue.
    let canvas = render(
        &src,
        "canvas.width=200&canvas.height=150&canvas.color=0000ff&canvas.opacity=40",
    );
    let margin = canvas.get_pixel(2, 2).0;
    assert_eq!((margin[2], margin[3]), (255, 102), "{margin:?}");
    assert_eq!(
        canvas.get_pixel(100, 75).0[3],
        255,
        "the image stays opaque"
    );

    // text.opacity=40: black text darkens pixels by at most ~40 %.
    let plain = render(&src, "");
    let faint = render(
        &src,
        "text=Ab&text.size=30px&text.color=000000&text.opacity=40",
    );
    let darkest = plain
        .pixels()
        .zip(faint.pixels())
        .filter(|(a, _)| a.0[0] > 100)
        .map(|(a, b)| f64::from(b.0[0]) / f64::from(a.0[0]))
        .fold(1.0, f64::min);
    assert!((0.55..0.7).contains(&darkest), "darkest ratio {darkest:.2}");

    // text.position.x/y move the block inward from the northeast corner.
    let corner = render(
        &src,
        "text=Ab&text.size=24px&text.color=ff00ff&text.position=northeast",
    );
    let moved = render(
        &src,
        "text=Ab&text.size=24px&text.color=ff00ff&text.position=northeast&text.position.x=30&text.position.y=20",
    );
    let (cx, cy) = centroid(&corner, [255, 0, 255]);
    let (mx, my) = centroid(&moved, [255, 0, 255]);
    assert!(
        (cx - mx - 30.0 / 160.0).abs() < 0.02,
        "x: {cx:.3} → {mx:.3}"
    );
    assert!(
        (my - cy - 20.0 / 120.0).abs() < 0.02,
        "y: {cy:.3} → {my:.3}"
    );
}
