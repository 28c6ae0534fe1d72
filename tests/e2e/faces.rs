//! `crop.type=face` through the real server, on public-domain portraits
//! (NASA's Eileen Collins and the "cameraman", in three-quarter view, as
//! Debian's python3-skimage ships them; `make test-deps` takes them out of
//! the package) placed off-centre on flat blue scenes by ImageMagick at test
//! time. A crop that holds a face has no blue; a crop that missed it would
//! be the whole scene or a part of the background.

use std::path::{Path, PathBuf};

use image::{DynamicImage, GenericImageView};

use crate::harness::{config, on_path, run_tool, Media, Server};

/// Where `make test-deps` puts the portraits.
fn photos() -> Option<PathBuf> {
    let dir = std::env::var_os("SIGNET_FACE_PHOTOS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/signet-tools/faces"))
        })?;
    let ready = on_path(&["convert"])
        && dir.join("astronaut.png").exists()
        && dir.join("camera.png").exists();
    signet_testkit::require_peer(
        "the face-crop portraits (python3-skimage's astronaut.png, camera.png) and ImageMagick",
        ready,
        "run `make test-deps`",
    )
    .then_some(dir)
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("a decodable image")
}

/// Pixels that are the scene's blue (the background, not a photo).
fn blue(img: &DynamicImage) -> usize {
    img.pixels()
        .filter(|(_, _, p)| p.0[2] > 200 && p.0[0] < 40 && p.0[1] < 40)
        .count()
}

/// `convert` in `dir`, each argument as given.
fn convert(dir: &Path, args: &[&str]) {
    run_tool(dir, "convert", args);
}

#[test]
fn face_crops_find_faces_placed_off_centre() {
    let Some(photos) = photos() else { return };
    let media = Media::new();
    let root = media.root();
    for f in ["astronaut.png", "camera.png"] {
        std::fs::copy(photos.join(f), root.join(f)).unwrap();
    }
    // One frontal face, right of and below the centre of a 1600×900 scene.
    convert(
        &root,
        &[
            "-size",
            "1600x900",
            "xc:#0000ff",
            "astronaut.png",
            "-geometry",
            "+1000+300",
            "-composite",
            "one.jpg",
        ],
    );
    // Two faces in opposite corners, one mirrored and smaller.
    convert(
        &root,
        &[
            "-size",
            "1600x900",
            "xc:#0000ff",
            "(",
            "astronaut.png",
            "-resize",
            "300x300",
            ")",
            "-geometry",
            "+60+60",
            "-composite",
            "(",
            "astronaut.png",
            "-flop",
            "-resize",
            "360x360",
            ")",
            "-geometry",
            "+1180+480",
            "-composite",
            "two.jpg",
        ],
    );
    // A face in three-quarter view (grey), left of the centre.
    convert(
        &root,
        &[
            "-size",
            "1400x1000",
            "xc:#0000ff",
            "camera.png",
            "-geometry",
            "+120+400",
            "-composite",
            "side.jpg",
        ],
    );
    // No face at all.
    convert(
        &root,
        &[
            "-size",
            "800x600",
            "xc:#0000ff",
            "-fill",
            "#ffcc00",
            "-draw",
            "circle 400,300 400,150",
            "none.jpg",
        ],
    );
    let s = Server::start(&config(&root, ""));
    let get = |q: &str| {
        let r = s.get(&format!("/{q}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        decode(&r.body)
    };

    // The face, tightly: about the astronaut's face box (≈ 96 px of 512).
    let face = get("one.jpg?crop.type=face");
    let (w, h) = face.dimensions();
    assert!(
        (70..=160).contains(&w) && (70..=160).contains(&h),
        "{w}×{h}"
    );
    assert_eq!(blue(&face), 0, "the crop lies on the photo");
    // Padded by 100 % of the box left and right and 50 % above and below:
    // still inside the photo (the face is ~180 px from its left edge, ~70
    // from its top).
    let padded = get("one.jpg?crop.type=face&crop.pad.width=100%&crop.pad.height=50%");
    let (pw, ph) = padded.dimensions();
    assert!(
        pw * 10 >= 28 * w && ph * 10 >= 18 * h,
        "{pw}×{ph} from {w}×{h}"
    );
    assert_eq!(blue(&padded), 0);
    // Sirv's spelling of the padding is the same option.
    let spelled = get("one.jpg?crop.type=face&crop.pad.x=100%&crop.pad.y=50%");
    assert_eq!(spelled.dimensions(), padded.dimensions());
    // Then resized as asked.
    assert_eq!(get("one.jpg?crop.type=face&w=300").width(), 300);

    // Two faces: the box holds both (it spans most of the scene).
    let both = get("two.jpg?crop.type=face");
    let (bw, bh) = both.dimensions();
    assert!(bw > 1100 && bh > 450, "{bw}×{bh}");
    // A square that cannot hold both is centred on the more confident,
    // larger one (bottom right; the square then kept inside the scene),
    // filled to 400×400: that photo is in it, the other one is not.
    let square = get("two.jpg?crop.type=face&w=400&h=400&scale.option=fill");
    assert_eq!(square.dimensions(), (400, 400));
    assert!(blue(&square) < 400 * 400 * 9 / 10, "the larger photo is in");
    let left = square.crop_imm(0, 0, 150, 400);
    assert_eq!(blue(&left), 150 * 400, "the smaller photo is not");

    // The three-quarter view is found too.
    let side = get("side.jpg?crop.type=face");
    let (sw, sh) = side.dimensions();
    assert!(sw < 200 && sh < 200, "{sw}×{sh}");
    assert_eq!(blue(&side), 0);

    // No face, or none as confident as asked: the whole image (Sirv's
    // fallback), resized as asked.
    assert_eq!(get("none.jpg?crop.type=face").dimensions(), (800, 600));
    assert_eq!(
        get("one.jpg?crop.type=face&crop.confidence=100&w=400").dimensions(),
        (400, 225)
    );
    // Bad values are 400s.
    for bad in [
        "crop.type=face&crop.confidence=101",
        "crop.type=face&crop.pad.width=-5",
        "crop.type=faces",
    ] {
        let r = s.get(&format!("/one.jpg?{bad}"));
        assert_eq!(r.status, 400, "{bad}");
    }
}
