//! Pipeline tests on real encoded images.

use super::*;
use crate::parse_options;

/// Encoder settings at quality `q`, as the plan reads them from `q=`.
fn encoding(q: u8) -> crate::plan::Encode {
    Plan::new(&opts(&[("q", &q.to_string())])).encode
}

const LIMITS: Limits = Limits {
    max_source_pixels: 100_000_000,
    max_output_pixels: 40_000_000,
    max_metadata_bytes: 8 << 20,
    max_animation_frames: 1000,
};

fn opts(q: &[(&str, &str)]) -> Options {
    parse_options(q.iter().copied()).unwrap()
}

/// Runs the pipeline as the server does for a client without `Accept`.
fn run_with(src: &[u8], options: &Options) -> Result<Output, TransformError> {
    let target = negotiate(options, Accepts::default(), false).target;
    let job = Job {
        options,
        target,
        watermarks: &[],
        fonts: Default::default(),
        encoders: Encoders::default(),
        deadline: None,
    };
    process(src, &job, &LIMITS)
}

fn run(src: &[u8], q: &[(&str, &str)]) -> Result<Output, TransformError> {
    run_with(src, &opts(q))
}

/// A smooth gradient: red grows to the right, green downwards, blue fixed.
fn gradient(w: u32, h: u32, channels: u8) -> Pixels {
    let mut data = Vec::with_capacity((w * h) as usize * usize::from(channels));
    for y in 0..h {
        for x in 0..w {
            data.extend_from_slice(&[
                (x * 255 / w.max(2).saturating_sub(1).max(1)) as u8,
                (y * 255 / h.max(2).saturating_sub(1).max(1)) as u8,
                128,
            ]);
            if channels == 4 {
                data.push(if x < w / 2 { 255 } else { 0 });
            }
        }
    }
    Pixels {
        width: w,
        height: h,
        channels,
        data,
    }
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    codec::encode(
        &gradient(w, h, 3),
        Format::Jpeg,
        &encoding(95),
        &Encoders::default(),
    )
    .unwrap()
    .bytes
}

fn png(w: u32, h: u32, channels: u8) -> Vec<u8> {
    codec::encode(
        &gradient(w, h, channels),
        Format::Png,
        &encoding(80),
        &Encoders::default(),
    )
    .unwrap()
    .bytes
}

fn decode_any(bytes: &[u8]) -> image::DynamicImage {
    let fmt = match sniff(bytes).unwrap() {
        Format::Png => image::ImageFormat::Png,
        Format::Gif => image::ImageFormat::Gif,
        Format::WebP => image::ImageFormat::WebP,
        Format::Jpeg => {
            let img = turbojpeg::decompress(bytes, turbojpeg::PixelFormat::RGB).unwrap();
            let buf =
                image::RgbImage::from_raw(img.width as u32, img.height as u32, img.pixels).unwrap();
            return image::DynamicImage::ImageRgb8(buf);
        }
        other => panic!("{other:?}: decode it with the pipeline's own decoder"),
    };
    image::load_from_memory_with_format(bytes, fmt).unwrap()
}

fn close(a: u8, b: u8, tol: u8) -> bool {
    a.abs_diff(b) <= tol
}

#[test]
fn jpeg_to_smaller_jpeg_keeps_content() {
    let out = run(&jpeg(1600, 1200), &[("w", "400")]).unwrap();
    assert_eq!(
        (out.format, out.width, out.height),
        (Format::Jpeg, 400, 300)
    );
    let img = decode_any(&out.bytes).to_rgb8();
    assert_eq!(img.dimensions(), (400, 300));
    // Top-left is dark red/green, bottom-right is full red and green.
    let tl = img.get_pixel(2, 2).0;
    let br = img.get_pixel(397, 297).0;
    assert!(tl[0] < 20 && tl[1] < 20 && close(tl[2], 128, 12), "{tl:?}");
    assert!(
        br[0] > 235 && br[1] > 235 && close(br[2], 128, 12),
        "{br:?}"
    );
}

#[test]
fn shrink_on_load_picks_the_smallest_scale_that_covers_the_target() {
    let data = jpeg(1600, 1200);
    let header = codec::probe(&data, Format::Jpeg).unwrap();
    let cases = [
        ((400, 300), 400),
        ((401, 300), 800),
        ((200, 150), 200),
        ((100, 10), 200),
        ((900, 10), 1600),
    ];
    for ((w, h), decoded_width) in cases {
        let p = codec::decode(&data, Format::Jpeg, &header, (w, h), u64::MAX).unwrap();
        assert_eq!(p.width, decoded_width, "target {w}x{h}");
    }
}

#[test]
fn a_passed_deadline_stops_a_still_between_stages() {
    let src = jpeg(64, 48);
    let options = opts(&[("w", "32")]);
    let job = |deadline| Job {
        options: &options,
        target: Target::Exact(Format::Jpeg),
        watermarks: &[],
        fonts: Default::default(),
        encoders: Encoders::default(),
        deadline,
    };
    assert!(process(&src, &job(None), &LIMITS).is_ok());
    let passed = Some(std::time::Instant::now());
    assert!(matches!(
        process(&src, &job(passed), &LIMITS),
        Err(TransformError::TimedOut)
    ));
}

#[test]
fn png_alpha_survives_png_and_flattens_on_white_in_jpeg() {
    let src = png(200, 100, 4);
    let out = run(&src, &[("w", "100")]).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Png, 100, 50));
    let img = decode_any(&out.bytes).to_rgba8();
    assert_eq!(img.get_pixel(5, 25).0[3], 255);
    assert_eq!(img.get_pixel(95, 25).0[3], 0);
    let out = run(&src, &[("w", "100"), ("format", "jpg")]).unwrap();
    assert_eq!(out.format, Format::Jpeg);
    let img = decode_any(&out.bytes).to_rgb8();
    let right = img.get_pixel(95, 25).0;
    assert!(
        right.iter().all(|c| *c > 240),
        "transparent became white: {right:?}"
    );
}

#[test]
fn fill_gives_the_exact_box_and_ignore_stretches() {
    let src = jpeg(800, 400);
    let out = run(
        &src,
        &[("w", "100"), ("h", "100"), ("scale.option", "fill")],
    )
    .unwrap();
    assert_eq!((out.width, out.height), (100, 100));
    // Resized to 200×100, then columns 50..150 kept: the left edge is 25 % red.
    let px = decode_any(&out.bytes).to_rgb8().get_pixel(0, 50).0;
    assert!(close(px[0], 64, 12), "{px:?}");
    let out = run(
        &src,
        &[("w", "100"), ("h", "100"), ("scale.option", "ignore")],
    )
    .unwrap();
    assert_eq!((out.width, out.height), (100, 100));
    let out = run(&src, &[("w", "2000"), ("scale.option", "noup")]).unwrap();
    assert_eq!((out.width, out.height), (800, 400));
}

#[test]
fn exif_orientation_is_applied_before_sizing() {
    let plain = jpeg(400, 200);
    // Insert an APP1 Exif segment with orientation 6 (rotate 90° clockwise).
    let tiff: &[u8] = &[
        b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut seg = b"Exif\0\0".to_vec();
    seg.extend_from_slice(tiff);
    let mut data = vec![0xFF, 0xD8, 0xFF, 0xE1];
    data.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
    data.extend_from_slice(&seg);
    data.extend_from_slice(&plain[2..]);
    let out = run(&data, &[("w", "100")]).unwrap();
    assert_eq!(
        (out.width, out.height),
        (100, 200),
        "portrait after rotation"
    );
    // Metadata is stripped: the output has no EXIF (and so no second rotation).
    assert!(!out.bytes.windows(4).any(|w| w == b"Exif"));
    assert_eq!(
        orient::jpeg_orientation(&out.bytes),
        orient::Orientation::NORMAL
    );
    // Stored top-left (dark) is displayed top-right after a clockwise turn.
    let img = decode_any(&out.bytes).to_rgb8();
    let top_right = img.get_pixel(97, 2).0;
    assert!(top_right[0] < 30 && top_right[1] < 30, "{top_right:?}");
}

#[test]
fn gif_sources_decode_their_first_frame_and_stay_gif() {
    let mut gif = Vec::new();
    image::codecs::gif::GifEncoder::new(&mut gif)
        .encode(
            &gradient(40, 20, 4).data,
            40,
            20,
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    let out = run(&gif, &[("w", "20"), ("format", "png")]).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Png, 20, 10));
    let out = run(&gif, &[("w", "20")]).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Gif, 20, 10));
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
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

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG that claims `w`×`h` but holds a few bytes of (bogus) pixel data.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00]);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn hostile_sources_fail_cleanly() {
    let started = std::time::Instant::now();
    let bomb = run(&png_header_only(50_000, 50_000), &[("w", "10")]);
    assert!(
        matches!(
            bomb,
            Err(TransformError::SourceTooLarge {
                width: 50_000,
                height: 50_000,
                ..
            })
        ),
        "{bomb:?}"
    );
    assert!(
        started.elapsed().as_millis() < 500,
        "refused from the header, without decoding"
    );

    let w = opts(&[("w", "10")]);
    for (name, data) in [
        ("zero bytes", Vec::new()),
        ("text named .jpg", b"hello, I am not a jpeg".to_vec()),
        ("truncated jpeg", jpeg(64, 64)[..40].to_vec()),
        ("truncated png", png(64, 64, 3)[..60].to_vec()),
        ("png header only", png_header_only(10, 10)),
        (
            "jpeg signature then garbage",
            vec![0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3],
        ),
    ] {
        let err = run_with(&data, &w).unwrap_err();
        assert!(err.is_bad_source(), "{name}: {err:?}");
    }
    let big = run(
        &jpeg(64, 64),
        &[("w", "100000"), ("h", "100000"), ("scale.option", "ignore")],
    );
    assert!(
        matches!(big, Err(TransformError::OutputTooLarge { .. })),
        "{big:?}"
    );
}

/// A minimal ICC v2 RGB matrix/TRC profile whose red and green colorants
/// are swapped relative to sRGB (so its red is sRGB's green).
fn swapped_icc() -> Vec<u8> {
    fn s15(v: f64) -> [u8; 4] {
        ((v * 65536.0).round() as i32).to_be_bytes()
    }
    fn xyz(x: f64, y: f64, z: f64) -> Vec<u8> {
        [&b"XYZ \0\0\0\0"[..], &s15(x), &s15(y), &s15(z)].concat()
    }
    let curve = [&b"curv\0\0\0\0"[..], &1u32.to_be_bytes(), &[2, 0x33, 0, 0]].concat(); // γ≈2.2
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)), // sRGB's green
        (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)), // sRGB's red
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve.clone()),
        (b"gTRC", curve.clone()),
        (b"bTRC", curve),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut data = Vec::new();
    let mut table = (tags.len() as u32).to_be_bytes().to_vec();
    for (sig, body) in &tags {
        let offset = 128 + table_len + data.len();
        table.extend_from_slice(*sig);
        table.extend_from_slice(&(offset as u32).to_be_bytes());
        table.extend_from_slice(&(body.len() as u32).to_be_bytes());
        data.extend_from_slice(body);
        while data.len() % 4 != 0 {
            data.push(0);
        }
    }
    let total = 128 + table_len + data.len();
    let mut header = vec![0u8; 128];
    header[0..4].copy_from_slice(&(total as u32).to_be_bytes());
    header[8..12].copy_from_slice(&[2, 0x10, 0, 0]);
    header[12..16].copy_from_slice(b"mntr");
    header[16..20].copy_from_slice(b"RGB ");
    header[20..24].copy_from_slice(b"XYZ ");
    header[36..40].copy_from_slice(b"acsp");
    header[68..72].copy_from_slice(&s15(0.9642));
    header[72..76].copy_from_slice(&s15(1.0));
    header[76..80].copy_from_slice(&s15(0.8249));
    [header, table, data].concat()
}

#[test]
fn embedded_icc_profiles_are_converted_to_srgb() {
    let red = Pixels::filled(32, 32, [255, 0, 0, 255]);
    let plain = codec::encode(&red, Format::Jpeg, &encoding(95), &Encoders::default())
        .unwrap()
        .bytes;
    let icc = swapped_icc();
    let mut seg = b"ICC_PROFILE\0\x01\x01".to_vec();
    seg.extend_from_slice(&icc);
    let mut tagged = vec![0xFF, 0xD8, 0xFF, 0xE2];
    tagged.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
    tagged.extend_from_slice(&seg);
    tagged.extend_from_slice(&plain[2..]);
    assert_eq!(markers::jpeg_icc(&tagged).as_deref(), Some(&icc[..]));

    let untagged = decode_any(
        &run(&plain, &[("w", "16"), ("format", "png")])
            .unwrap()
            .bytes,
    );
    let p = untagged.to_rgb8().get_pixel(8, 8).0;
    assert!(
        p[0] > 240 && p[1] < 20,
        "no profile: read as sRGB red {p:?}"
    );
    let converted = decode_any(
        &run(&tagged, &[("w", "16"), ("format", "png")])
            .unwrap()
            .bytes,
    );
    let p = converted.to_rgb8().get_pixel(8, 8).0;
    assert!(
        p[1] > 200 && p[0] < 60,
        "the profile's red is sRGB green: {p:?}"
    );
    // A broken profile is ignored rather than failing the image.
    let mut broken = tagged.clone();
    broken[40] ^= 0xFF; // inside the profile's size field
    assert!(run(&broken, &[("w", "16")]).is_ok());
}

#[test]
fn accept_negotiation() {
    let o = |q: &[(&str, &str)]| opts(q);
    let t = |q: &[(&str, &str)], accepts: Accepts| negotiate(&o(q), accepts, false);
    let (none, webp, both) = (
        Accepts::default(),
        Accepts {
            avif: false,
            webp: true,
        },
        Accepts {
            avif: true,
            webp: true,
        },
    );
    let optimal = [("format", "optimal")];
    let best = |still, animation| Target::Optimal { still, animation };
    assert_eq!(t(&optimal, both).target, best(Format::Avif, Format::WebP));
    assert_eq!(t(&optimal, webp).target, best(Format::WebP, Format::WebP));
    let avif_only = Accepts {
        avif: true,
        webp: false,
    };
    assert_eq!(
        t(&optimal, avif_only).target,
        best(Format::Avif, Format::Gif)
    );
    assert_eq!(t(&optimal, none).target, Target::Family);
    assert!(t(&optimal, none).vary_accept);
    assert_eq!(t(&[], both).target, Target::Source);
    assert!(!t(&[("format", "png")], both).vary_accept);
    let fallback = [("format", "webp"), ("webp-fallback", "png")];
    assert_eq!(t(&fallback, webp).target, Target::Exact(Format::WebP));
    assert_eq!(t(&fallback, none).target, Target::Exact(Format::Png));
    assert!(t(&fallback, none).vary_accept);
    assert_eq!(
        negotiate(&o(&[]), webp, true).target,
        best(Format::WebP, Format::WebP)
    );
    assert_eq!(
        negotiate(&o(&[("format", "original")]), webp, true).target,
        Target::Source
    );
}

#[test]
fn geometry_errors_are_client_errors() {
    let src = png(100, 50, 3);
    assert!(matches!(
        run(&src, &[("cx", "100")]),
        Err(TransformError::Invalid(_))
    ));
    assert!(matches!(
        run(&src, &[("cy", "200%")]),
        Err(TransformError::Invalid(_))
    ));
    let out = run(&src, &[("cx", "90"), ("cw", "50")]).unwrap();
    assert_eq!((out.width, out.height), (10, 50), "clipped to the image");
    let big = run(
        &src,
        &[("canvas.width", "100000"), ("canvas.height", "100000")],
    );
    assert!(
        matches!(big, Err(TransformError::OutputTooLarge { .. })),
        "{big:?}"
    );
    let wm = Job {
        options: &opts(&[("watermark", "/w.png")]),
        target: Target::Source,
        watermarks: &[b"not an image"],
        fonts: Default::default(),
        encoders: Encoders::default(),
        deadline: None,
    };
    assert!(matches!(
        process(&src, &wm, &LIMITS),
        Err(TransformError::BadWatermark(_))
    ));
}

/// `image`'s pure-Rust decoder: the reference the libwebp path must match.
fn webp_by_image(bytes: &[u8]) -> image::RgbaImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::WebP)
        .unwrap()
        .to_rgba8()
}

/// Decodes a still WebP, checking it took the libwebp path.
fn decode_whole(bytes: &[u8]) -> Pixels {
    let format = sniff(bytes).unwrap();
    let header = codec::probe(bytes, format).unwrap();
    assert!(
        codec::decode_still_webp(bytes, &header).is_some(),
        "libwebp declined"
    );
    codec::decode(bytes, format, &header, (1, 1), u64::MAX).unwrap()
}

/// A still WebP rewrapped as VP8X with an `ICCP` chunk before its bitstream.
fn webp_with_icc(simple: &[u8], w: u32, h: u32, icc: &[u8]) -> Vec<u8> {
    let le24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let mut body = b"WEBP".to_vec();
    body.extend_from_slice(b"VP8X");
    body.extend_from_slice(&10u32.to_le_bytes());
    body.extend_from_slice(&[0x20, 0, 0, 0]); // flags: ICC profile present
    body.extend_from_slice(&le24(w - 1));
    body.extend_from_slice(&le24(h - 1));
    body.extend_from_slice(b"ICCP");
    body.extend_from_slice(&(icc.len() as u32).to_le_bytes());
    body.extend_from_slice(icc);
    if icc.len() % 2 == 1 {
        body.push(0);
    }
    body.extend_from_slice(&simple[12..]); // the VP8 chunk
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

#[test]
fn webp_sources_decode_with_libwebp_like_the_reference() {
    // Lossy, no alpha: the same pixels as the pure-Rust decoder, give or
    // take rounding in chroma upsampling.
    let lossy = codec::encode(
        &gradient(96, 64, 3),
        Format::WebP,
        &encoding(90),
        &Encoders::default(),
    )
    .unwrap()
    .bytes;
    let p = decode_whole(&lossy);
    assert_eq!((p.width, p.height, p.channels), (96, 64, 3));
    let reference = webp_by_image(&lossy);
    let worst = p
        .data
        .chunks(3)
        .zip(reference.pixels())
        .flat_map(|(a, b)| (0..3).map(move |i| a[i].abs_diff(b.0[i])))
        .max()
        .unwrap();
    assert!(worst <= 3, "libwebp and image differ by {worst}");

    // Lossless with alpha: four channels, exactly the reference's pixels
    // (libwebp's encoder may rewrite colours under transparent pixels, so
    // the source itself is not the reference).
    let rgba = gradient(40, 30, 4);
    let lossless = webp::Encoder::from_rgba(&rgba.data, 40, 30)
        .encode_lossless()
        .to_vec();
    let p = decode_whole(&lossless);
    assert_eq!(p.channels, 4);
    assert!(
        p.data == webp_by_image(&lossless).into_raw(),
        "lossless differs"
    );

    // An embedded profile is applied, as for JPEG.
    let red = Pixels::filled(32, 32, [255, 0, 0, 255]);
    let plain = codec::encode(&red, Format::WebP, &encoding(95), &Encoders::default())
        .unwrap()
        .bytes;
    assert_eq!(&plain[12..16], b"VP8 ", "a simple lossy file");
    let tagged = webp_with_icc(&plain, 32, 32, &swapped_icc());
    let p = decode_whole(&plain);
    assert!(
        p.data[0] > 240 && p.data[1] < 20,
        "untagged: {:?}",
        &p.data[..3]
    );
    let p = decode_whole(&tagged);
    assert!(
        p.data[1] > 200 && p.data[0] < 60,
        "the profile's red is sRGB green: {:?}",
        &p.data[..3]
    );
    let reference = webp_by_image(&tagged);
    assert_eq!(reference.width(), 32, "the rewrapped file is valid WebP");
}

#[test]
fn sources_are_typed_by_their_first_bytes() {
    let ftyp = |brands: &[u8]| {
        let mut b = ((8 + brands.len()) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(brands);
        b
    };
    let cases: [(&[u8], Option<Format>); 12] = [
        (b"II*\0\x08\0\0\0", Some(Format::Tiff)),
        (b"MM\0*\0\0\0\x08", Some(Format::Tiff)),
        (b"BM\x36\0\0\0\0\0\0\0\x36\0", Some(Format::Bmp)),
        (b"BMP is a word", None),
        (b"\0\0\x01\0\x01\0\x10\x10", Some(Format::Ico)),
        (b"\0\0\x01\0\0\0", None),
        (b"\xff\x0a\xfa", Some(Format::Jxl)),
        (b"\0\0\0\x0cJXL \r\n\x87\n", Some(Format::Jxl)),
        (
            b"\xef\xbb\xbf  <?xml version=\"1.0\"?>\n<svg xmlns=\"a\"/>",
            Some(Format::Svg),
        ),
        (b"<html><body>no svg here</body></html>", None),
        (b"text that mentions <svg later", None),
        (b"", None),
    ];
    for (bytes, want) in cases {
        assert_eq!(sniff(bytes), want, "{:?}", String::from_utf8_lossy(bytes));
    }
    // libavif writes mif1 first; any AV1 brand makes it AVIF.
    assert_eq!(
        sniff(&ftyp(b"mif1\0\0\0\0mif1avifmiaf")),
        Some(Format::Avif)
    );
    assert_eq!(sniff(&ftyp(b"avis\0\0\0\0")), Some(Format::Avif));
    assert_eq!(sniff(&ftyp(b"heic\0\0\0\0mif1heic")), Some(Format::Heic));
    assert_eq!(sniff(&ftyp(b"mif1\0\0\0\0mif1")), Some(Format::Heic));
    // An MP4 video is not an image.
    assert_eq!(sniff(&ftyp(b"isom\0\0\x02\0isomiso2mp41")), None);
}

#[test]
fn avif_output_decodes_as_a_source() {
    let avif = run(&jpeg(320, 240), &[("w", "160"), ("format", "avif")])
        .unwrap()
        .bytes;
    assert_eq!(sniff(&avif), Some(Format::Avif));
    let out = run(&avif, &[("w", "80"), ("format", "png")]).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Png, 80, 60));
    // format=original for a source signet cannot write: AVIF it can.
    let same = run(&avif, &[("w", "40")]).unwrap();
    assert_eq!(same.format, Format::Avif);
}

#[test]
fn avif_output_keeps_alpha_and_follows_the_speed() {
    let mut rgba = gradient(64, 48, 4);
    for (i, px) in rgba.data.chunks_exact_mut(4).enumerate() {
        px[3] = if i % 64 < 32 { 255 } else { 60 };
    }
    let plan = crate::plan::Plan::new(&opts(&[("q", "70")]));
    let [fast, slow] = [9, 4].map(|avif_speed| {
        codec::encode(&rgba, Format::Avif, &plan.encode, &Encoders { avif_speed })
            .unwrap()
            .bytes
    });
    assert_ne!(fast, slow, "the speed reaches libaom");
    let back = run(&fast, &[("format", "png")]).unwrap();
    let px = decode_any(&back.bytes).to_rgba8();
    assert!(close(px.get_pixel(10, 10).0[3], 255, 2));
    assert!(
        close(px.get_pixel(50, 10).0[3], 60, 6),
        "{:?}",
        px.get_pixel(50, 10)
    );
}

#[test]
fn sources_signet_cannot_write_come_out_as_jpeg_or_png() {
    let mut tiff = Vec::new();
    image::RgbImage::from_pixel(40, 30, image::Rgb([200, 30, 30]))
        .write_to(
            &mut std::io::Cursor::new(&mut tiff),
            image::ImageFormat::Tiff,
        )
        .unwrap();
    assert_eq!(sniff(&tiff), Some(Format::Tiff));
    let out = run(&tiff, &[("w", "20")]).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Jpeg, 20, 15));
    let mut bmp = Vec::new();
    image::RgbaImage::from_pixel(40, 30, image::Rgba([0, 0, 255, 100]))
        .write_to(&mut std::io::Cursor::new(&mut bmp), image::ImageFormat::Bmp)
        .unwrap();
    let out = run(&bmp, &[("w", "20"), ("format", "original")]).unwrap();
    assert_eq!(out.format, Format::Png);
    let px = decode_any(&out.bytes).to_rgba8();
    let p = px.get_pixel(10, 7).0;
    assert!(close(p[2], 255, 2) && close(p[3], 100, 2), "{p:?}");
}

#[test]
fn cmyk_inks_follow_the_device_formula_without_a_profile() {
    // Adobe-inverted inks: 255 - value. Cyan 100 %, black 0 → (0, 255, 255).
    let inks = Pixels {
        width: 2,
        height: 1,
        channels: 4,
        data: vec![0, 255, 255, 255, 255, 255, 255, 127],
    };
    let rgb = super::colour::cmyk_to_rgb(inks, None, true);
    assert_eq!(rgb.channels, 3);
    assert_eq!(&rgb.data[..3], &[0, 255, 255]);
    // No ink but 50 % black: mid grey.
    assert!(
        rgb.data[3..].iter().all(|&v| close(v, 128, 1)),
        "{:?}",
        rgb.data
    );
}

#[test]
fn cicp_colour_other_than_srgb_is_converted() {
    let red = || Pixels {
        width: 1,
        height: 1,
        channels: 3,
        data: vec![200, 40, 40],
    };
    let mut srgb = red();
    super::colour::cicp_to_srgb(&mut srgb, 1, 13);
    assert_eq!(srgb.data, vec![200, 40, 40]);
    let mut unspecified = red();
    super::colour::cicp_to_srgb(&mut unspecified, 2, 2);
    assert_eq!(unspecified.data, vec![200, 40, 40]);
    // Display P3 (primaries 12) red is more saturated than sRGB's.
    let mut p3 = red();
    super::colour::cicp_to_srgb(&mut p3, 12, 13);
    assert!(p3.data[0] > 200 && p3.data[1] < 40, "{:?}", p3.data);
}

/// The sampling factors of a baseline or progressive JPEG's components,
/// from its frame header (`SOF0`/`SOF2`).
fn sampling_factors(jpeg: &[u8]) -> Vec<u8> {
    let at = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2])
        .unwrap();
    let count = usize::from(jpeg[at + 9]);
    (0..count).map(|i| jpeg[at + 10 + i * 3 + 1]).collect()
}

#[test]
fn jpeg_chroma_subsampling_follows_the_option() {
    let src = png(64, 48, 3);
    for (value, want) in [
        (None, [0x22, 0x11, 0x11]),
        (Some("4:2:0"), [0x22, 0x11, 0x11]),
        (Some("4:2:2"), [0x21, 0x11, 0x11]),
        (Some("4:4:4"), [0x11, 0x11, 0x11]),
    ] {
        let mut q = vec![("format", "jpg")];
        if let Some(v) = value {
            q.push(("subsampling", v));
        }
        let out = run(&src, &q).unwrap();
        assert_eq!(sampling_factors(&out.bytes), want, "{value:?}");
    }
}

#[test]
fn aspect_ratios_crop_and_grow_to_their_ratio() {
    let src = png(160, 120, 3);
    let size = |q: &[(&str, &str)]| {
        let out = run(&src, q).unwrap();
        let img = decode_any(&out.bytes);
        (img.width(), img.height())
    };
    let png_out = ("format", "png");
    assert_eq!(size(&[png_out, ("crop.aspectratio", "1:1")]), (120, 120));
    assert_eq!(size(&[png_out, ("crop.aspectratio", "16:9")]), (160, 90));
    assert_eq!(size(&[png_out, ("canvas.aspectratio", "1:1")]), (160, 160));
    assert_eq!(size(&[png_out, ("canvas.aspectratio", "2:1")]), (240, 120));
    assert_eq!(size(&[png_out, ("canvas.border.width", "10")]), (180, 140));
    assert_eq!(
        size(&[
            png_out,
            ("canvas.border.width", "10"),
            ("canvas.border.height", "5%")
        ]),
        (180, 132)
    );
    assert_eq!(
        size(&[
            png_out,
            ("canvas.aspectratio", "1:1"),
            ("canvas.border.width", "5")
        ]),
        (170, 170)
    );
}

#[test]
fn frames_grow_the_image_by_band_and_rim() {
    let src = png(160, 120, 3);
    let size = |q: &[(&str, &str)]| {
        let img = decode_any(&run(&src, q).unwrap().bytes);
        (img.width(), img.height())
    };
    let fmt = ("format", "png");
    // Default: 5 % of the shorter side (6 px).
    assert_eq!(size(&[fmt, ("frame.style", "solid")]), (172, 132));
    assert_eq!(
        size(&[fmt, ("frame.width", "10"), ("frame.rim.width", "2")]),
        (184, 144)
    );
    assert_eq!(
        size(&[fmt, ("frame.style", "mirror"), ("frame.width", "200")]),
        (560, 520)
    );
    assert_eq!(
        size(&[fmt, ("frame.style", "none"), ("frame.width", "10")]),
        (160, 120)
    );
    // w applies to the image; the frame comes around it.
    assert_eq!(size(&[fmt, ("w", "80"), ("frame.width", "4")]), (88, 68));
}

/// Sirv's headline example from its dynamic-imaging page renders: 300 px
/// of image in a mirrored frame (5 % of the shorter side), texas-toned, with
/// white text spanning 40 % of the width at the top right.
#[test]
fn sirvs_headline_example_renders() {
    let src = jpeg(1200, 800);
    let q = [
        ("w", "300"),
        ("colortone", "texas"),
        ("frame.style", "mirror"),
        ("text", "Hello"),
        ("text.size", "40%"),
        ("text.color", "white"),
        ("text.position", "northeast"),
    ];
    let img = decode_any(&run(&src, &q).unwrap().bytes).to_rgb8();
    assert_eq!((img.width(), img.height()), (320, 220));
    // Texas leans warm: red over blue across the image.
    let (r, b) = img.pixels().fold((0u64, 0u64), |(r, b), p| {
        (r + u64::from(p[0]), b + u64::from(p[2]))
    });
    assert!(r > b, "{r} {b}");
}

#[test]
fn png_optimize_trades_time_for_smaller_files_with_the_same_pixels() {
    let src = jpeg(400, 300);
    let fast = run(&src, &[("format", "png")]).unwrap().bytes;
    let best = run(&src, &[("format", "png"), ("png.optimize", "true")])
        .unwrap()
        .bytes;
    assert!(best.len() < fast.len(), "{} vs {}", best.len(), fast.len());
    assert_eq!(decode_any(&best).to_rgba8(), decode_any(&fast).to_rgba8());
}

#[test]
fn gif_lossy_trades_exactness_for_bytes() {
    // A photo-like source: the gradient with per-pixel noise, which GIF's
    // LZW compresses badly.
    let mut p = gradient(240, 160, 3);
    let mut seed: u32 = 7;
    for v in &mut p.data {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        *v = v.saturating_add(((seed >> 16) % 9) as u8);
    }
    let src = codec::encode(&p, Format::Png, &encoding(80), &Encoders::default())
        .unwrap()
        .bytes;
    let exact = run(&src, &[("format", "gif")]).unwrap();
    let lossy = run(&src, &[("format", "gif"), ("gif.lossy", "80")]).unwrap();
    assert!(
        lossy.bytes.len() * 10 < exact.bytes.len() * 8,
        "lossy {} B vs exact {} B",
        lossy.bytes.len(),
        exact.bytes.len()
    );
    // Still the same picture: every pixel within the tolerance (38) plus
    // the palette's error.
    let a = image::load_from_memory(&exact.bytes).unwrap().to_rgb8();
    let b = image::load_from_memory(&lossy.bytes).unwrap().to_rgb8();
    let mean = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.as_raw().len() as f64;
    assert!(mean < 12.0, "mean error {mean}");
    assert_eq!(
        run(&src, &[("format", "gif"), ("gif.lossy", "0")])
            .unwrap()
            .bytes,
        exact.bytes
    );
}
