//! Animations through the pipeline: frames, delays, loop counts, disposal,
//! overlays on every frame, limits and the still fallbacks.

use std::borrow::Cow;
use std::io::Cursor;

use ::gif::{DisposalMethod, Repeat};
use image::RgbaImage;

use crate::pipeline::{negotiate, process, Accepts, Encoders, Format, Job, Limits, Output, Target};
use crate::{parse_options, Options, TransformError};

const LIMITS: Limits = Limits {
    max_source_pixels: 100_000_000,
    max_output_pixels: 40_000_000,
    max_metadata_bytes: 8 << 20,
    max_animation_frames: 1000,
};

const RED: [u8; 4] = [255, 0, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const CLEAR: [u8; 4] = [0, 0, 0, 0];

fn opts(q: &[(&str, &str)]) -> Options {
    parse_options(q.iter().copied()).unwrap()
}

fn job<'a>(options: &'a Options, target: Target) -> Job<'a> {
    Job {
        options,
        target,
        watermarks: &[],
        fonts: Default::default(),
        encoders: Encoders::default(),
        deadline: None,
    }
}

fn run(src: &[u8], q: &[(&str, &str)], target: Target) -> Result<Output, TransformError> {
    let options = opts(q);
    process(src, &job(&options, target), &LIMITS)
}

/// A 40×20 GIF on a transparent screen: a 10×10 square stepping right,
/// red and blue in turn, each frame only the square (a delta) disposed to
/// the background after it shows. Delays 10, 20, 30, 40 cs; plays 4 times
/// (the loop block counts 3 more after the first).
fn stepping_square() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [255, 0, 0, 0, 0, 255];
        let mut enc = ::gif::Encoder::new(&mut out, 40, 20, &palette).unwrap();
        enc.set_repeat(Repeat::Finite(3)).unwrap();
        for i in 0..4u16 {
            let frame = ::gif::Frame {
                left: i * 10,
                top: 5,
                width: 10,
                height: 10,
                delay: (i + 1) * 10,
                dispose: DisposalMethod::Background,
                buffer: Cow::Owned(vec![(i % 2) as u8; 100]),
                ..::gif::Frame::default()
            };
            enc.write_frame(&frame).unwrap();
        }
    }
    out
}

/// Frames and their delays in ms, and the plays, read back by `image`
/// (as a viewer would).
fn frames_of(out: &Output) -> (Vec<(RgbaImage, u32)>, u32) {
    signet_testkit::animation_frames(&out.bytes)
}

fn px(img: &RgbaImage, x: u32, y: u32) -> [u8; 4] {
    img.get_pixel(x, y).0
}

fn near(a: [u8; 4], b: [u8; 4], tolerance: u8) -> bool {
    a.iter().zip(&b).all(|(x, y)| x.abs_diff(*y) <= tolerance)
}

#[test]
fn a_gif_stays_an_animated_gif_with_its_delays_loops_and_disposal() {
    let out = run(&stepping_square(), &[], Target::Source).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Gif, 40, 20));
    let (frames, loops) = frames_of(&out);
    let delays: Vec<u32> = frames.iter().map(|(_, d)| *d).collect();
    assert_eq!(delays, [100, 200, 300, 400]);
    assert_eq!(loops, 4);
    for (i, (img, _)) in frames.iter().enumerate() {
        let x = i as u32 * 10 + 5;
        let colour = if i % 2 == 0 { RED } else { BLUE };
        assert_eq!(px(img, x, 10), colour, "frame {i}: the square");
        if i > 0 {
            assert_eq!(px(img, x - 10, 10), CLEAR, "frame {i}: disposed");
        }
        assert_eq!(px(img, 39, 0), CLEAR, "frame {i}: background");
    }
}

#[test]
fn a_gif_plays_as_its_loop_block_says() {
    let plays = |repeat: Option<Repeat>| {
        let mut out = Vec::new();
        {
            let mut enc = ::gif::Encoder::new(&mut out, 1, 1, &[0, 0, 0]).unwrap();
            if let Some(repeat) = repeat {
                enc.set_repeat(repeat).unwrap();
            }
            enc.write_frame(&::gif::Frame::default()).unwrap();
        }
        super::gif::plays(&out)
    };
    assert_eq!(plays(None), 1, "no block: once");
    assert_eq!(plays(Some(Repeat::Infinite)), 0);
    assert_eq!(plays(Some(Repeat::Finite(2))), 3);
    assert_eq!(super::gif::plays(b"GIF89a"), 1);
    // Each count comes back out as it went in.
    for (plays_in, target) in [(4, Target::Exact(Format::WebP)), (4, Target::Source)] {
        let out = run(&stepping_square(), &[], target).unwrap();
        assert_eq!(frames_of(&out).1, plays_in, "{target:?}");
    }
}

#[test]
fn every_frame_is_resized_and_converted() {
    for (target, format) in [
        (Target::Exact(Format::WebP), Format::WebP),
        (Target::Exact(Format::Gif), Format::Gif),
        (Target::Family, Format::Gif),
        (
            Target::Optimal {
                still: Format::Avif,
                animation: Format::WebP,
            },
            Format::WebP,
        ),
    ] {
        let out = run(&stepping_square(), &[("w", "20")], target).unwrap();
        assert_eq!((out.format, out.width, out.height), (format, 20, 10));
        let (frames, _) = frames_of(&out);
        let delays: Vec<u32> = frames.iter().map(|(_, d)| *d).collect();
        assert_eq!(delays, [100, 200, 300, 400], "{format:?}");
        for (i, (img, _)) in frames.iter().enumerate() {
            let colour = if i % 2 == 0 { RED } else { BLUE };
            let got = px(img, i as u32 * 5 + 2, 5);
            assert!(near(got, colour, 40), "{format:?} frame {i}: {got:?}");
        }
    }
}

#[test]
fn an_apng_stays_an_apng_under_format_original() {
    // The same animation, as an APNG (made from the GIF's frames by the
    // APNG writer, read back by `image`'s APNG decoder).
    let gif = run(&stepping_square(), &[], Target::Source).unwrap();
    let (frames, _) = frames_of(&gif);
    let mut kept = super::Kept::default();
    for (img, delay) in &frames {
        let p = crate::pipeline::Pixels {
            width: img.width(),
            height: img.height(),
            channels: 4,
            data: img.as_raw().clone(),
        };
        kept.push(p, *delay).unwrap();
    }
    let apng = super::apng::encode(&kept, 2, false).unwrap();
    let out = run(&apng, &[("w", "20")], Target::Source).unwrap();
    assert_eq!((out.format, out.width, out.height), (Format::Png, 20, 10));
    let (frames, loops) = frames_of(&out);
    assert_eq!(frames.len(), 4);
    assert_eq!(loops, 2);
    assert_eq!(frames[3].1, 400);
}

#[test]
fn still_targets_get_the_first_frame() {
    for format in [Format::Jpeg, Format::Png, Format::Avif] {
        let out = run(&stepping_square(), &[], Target::Exact(format)).unwrap();
        assert_eq!(out.format, format);
        assert_eq!(crate::pipeline::sniff(&out.bytes), Some(format));
    }
    let png = run(&stepping_square(), &[], Target::Exact(Format::Png)).unwrap();
    let img = image::load_from_memory(&png.bytes).unwrap().to_rgba8();
    assert_eq!(px(&img, 5, 10), RED, "the first frame's square");
    assert_eq!(px(&img, 15, 10), CLEAR);
    // `optimal` for a client that takes AVIF and WebP: animated WebP.
    let options = opts(&[("format", "optimal")]);
    let both = Accepts {
        avif: true,
        webp: true,
    };
    let target = negotiate(&options, both, false).target;
    let out = process(&stepping_square(), &job(&options, target), &LIMITS).unwrap();
    assert_eq!(out.format, Format::WebP);
    assert_eq!(frames_of(&out).0.len(), 4);
}

#[test]
fn text_and_watermark_are_on_every_frame() {
    let plain = run(&stepping_square(), &[("w", "200")], Target::Source).unwrap();
    let (plain, _) = frames_of(&plain);
    let texted = run(
        &stepping_square(),
        &[("w", "200"), ("text", "LOCKED"), ("text.color", "00ff00")],
        Target::Source,
    )
    .unwrap();
    let (texted, _) = frames_of(&texted);
    let green = |img: &RgbaImage| {
        img.pixels()
            .filter(|p| near(p.0, [0, 255, 0, 255], 60))
            .count()
    };
    for (i, ((a, _), (b, _))) in plain.iter().zip(&texted).enumerate() {
        assert_eq!(green(a), 0, "frame {i} without text");
        assert!(green(b) > 50, "frame {i}: the text is missing");
    }
    // A green watermark, on every frame too.
    let mut mark = Vec::new();
    image::RgbaImage::from_pixel(8, 8, image::Rgba([0, 255, 0, 255]))
        .write_to(&mut Cursor::new(&mut mark), image::ImageFormat::Png)
        .unwrap();
    let options = opts(&[("w", "200"), ("watermark", "/mark.png")]);
    let job = Job {
        watermarks: &[&mark],
        fonts: Default::default(),
        ..job(&options, Target::Source)
    };
    let out = process(&stepping_square(), &job, &LIMITS).unwrap();
    let (marked, _) = frames_of(&out);
    assert_eq!(marked.len(), 4);
    for (i, (img, _)) in marked.iter().enumerate() {
        assert!(green(img) > 50, "frame {i}: the watermark is missing");
    }
}

/// A GIF of `frames` 1×1 frames of `w`×`h` screen.
fn many_frames(frames: u32, w: u16, h: u16) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = ::gif::Encoder::new(&mut out, w, h, &[0, 0, 0, 255, 255, 255]).unwrap();
        for i in 0..frames {
            let frame = ::gif::Frame {
                width: 1,
                height: 1,
                buffer: Cow::Owned(vec![(i % 2) as u8]),
                ..::gif::Frame::default()
            };
            enc.write_frame(&frame).unwrap();
        }
    }
    out
}

#[test]
fn limits_refuse_long_and_large_animations() {
    let long = many_frames(1001, 1, 1);
    assert!(matches!(
        run(&long, &[], Target::Source),
        Err(TransformError::TooManyFrames {
            frames: 1001,
            limit: 1000
        })
    ));
    // 900 frames of 100×100 are 9 MP in; 900 frames of 400×400 out would
    // be 144 MP, over the 100 MP budget.
    let src = many_frames(900, 100, 100);
    assert!(run(&src, &[("w", "50")], Target::Source).is_ok());
    assert!(matches!(
        run(&src, &[("w", "400")], Target::Source),
        Err(TransformError::AnimationOutputTooLarge { frames: 900, .. })
    ));
    // A deadline that has passed stops the work between frames.
    let options = opts(&[]);
    let late = Job {
        deadline: Some(std::time::Instant::now()),
        ..job(&options, Target::Source)
    };
    assert!(matches!(
        process(&src, &late, &LIMITS),
        Err(TransformError::TimedOut)
    ));
}

#[test]
fn hostile_animations_answer_or_refuse_without_panicking() {
    // Zero delays are kept (a browser applies its own minimum).
    let zero = many_frames(3, 4, 4);
    let out = run(&zero, &[], Target::Exact(Format::WebP)).unwrap();
    assert!(frames_of(&out).0.iter().all(|(_, d)| *d == 0));
    // A frame larger than the screen is clipped to it.
    let mut big = Vec::new();
    {
        let mut enc = ::gif::Encoder::new(&mut big, 4, 4, &[0, 0, 0, 255, 255, 255]).unwrap();
        for _ in 0..2 {
            let frame = ::gif::Frame {
                width: 300,
                height: 300,
                buffer: Cow::Owned(vec![1; 90_000]),
                ..::gif::Frame::default()
            };
            enc.write_frame(&frame).unwrap();
        }
    }
    let out = run(&big, &[], Target::Source).unwrap();
    assert_eq!((out.width, out.height), (4, 4));
    // A truncated last frame: the frames before it.
    let whole = stepping_square();
    let cut = &whole[..whole.len() - 20];
    let out = run(cut, &[], Target::Source).unwrap();
    let n = frames_of(&out).0.len();
    assert!((1..4).contains(&n), "{n} frames");
    // 65535 frames of 1×1: refused by the frame limit before decoding.
    let storm = many_frames(65_535, 1, 1);
    assert!(matches!(
        run(&storm, &[], Target::Source),
        Err(TransformError::TooManyFrames { .. })
    ));
}

#[test]
fn an_animated_webp_source_is_composited_as_its_frames_say() {
    // libwebp stores the stepping square as sub-rectangles disposed to the
    // background: read back, each frame shows only its own square.
    let webp = run(&stepping_square(), &[], Target::Exact(Format::WebP)).unwrap();
    let out = run(&webp.bytes, &[], Target::Exact(Format::Gif)).unwrap();
    let (frames, plays) = frames_of(&out);
    assert_eq!(plays, 4);
    assert_eq!(frames.len(), 4);
    for (i, (img, delay)) in frames.iter().enumerate() {
        assert_eq!(*delay, (i as u32 + 1) * 100);
        let colour = if i % 2 == 0 { RED } else { BLUE };
        assert!(
            near(px(img, i as u32 * 10 + 5, 10), colour, 40),
            "frame {i}"
        );
        if i > 0 {
            assert_eq!(px(img, i as u32 * 10 - 5, 10)[3], 0, "frame {i}: disposed");
        }
    }
    // A frame outside the canvas is refused, not drawn out of bounds.
    let mut broken = webp.bytes.clone();
    let anmf = broken.windows(4).position(|w| w == b"ANMF").unwrap();
    broken[anmf + 8..anmf + 11].copy_from_slice(&[0xFF, 0xFF, 0x00]);
    assert!(matches!(
        run(&broken, &[], Target::Exact(Format::Gif)),
        Err(TransformError::NotAnImage(_))
    ));
}

/// Whether every frame of an animated WebP is VP8L.
fn all_lossless(webp: &[u8]) -> bool {
    let frames: Vec<&[u8]> = crate::pipeline::markers::webp_chunks(webp)
        .filter(|(kind, _, _)| *kind == b"ANMF")
        .map(|(_, _, payload)| &payload[16..])
        .collect();
    !frames.is_empty() && frames.iter().all(|f| f.starts_with(b"VP8L"))
}

#[test]
fn a_lossless_webp_stays_lossless_unless_q_is_given() {
    let mut kept = super::Kept::default();
    for i in 0..3u8 {
        let p = crate::pipeline::Pixels::filled(16, 16, [i * 80, 0, 255 - i * 80, 255]).into_rgba();
        kept.push(p, 100).unwrap();
    }
    let lossless = super::webp::encode(&kept, 0, 80, true).unwrap();
    assert!(all_lossless(&lossless));
    let kept = run(&lossless, &[("w", "8")], Target::Source).unwrap();
    assert!(all_lossless(&kept.bytes), "format=original");
    let kept = run(&lossless, &[("w", "8")], Target::Exact(Format::WebP)).unwrap();
    assert!(all_lossless(&kept.bytes), "format=webp");
    let lossy = run(&lossless, &[("w", "8"), ("q", "70")], Target::Source).unwrap();
    assert!(!all_lossless(&lossy.bytes), "q=70 asks for lossy");
    // A lossy source (or a GIF) gives lossy WebP.
    let from_gif = run(&stepping_square(), &[], Target::Exact(Format::WebP)).unwrap();
    assert!(!all_lossless(&from_gif.bytes));
}

#[test]
fn a_region_cut_before_sizing_cuts_every_frame_alike() {
    // crop.area (what crop.type=poi becomes): the right half of the
    // 40×20 screen, on every frame; frames 2 and 3 have their square there.
    let out = run(
        &stepping_square(),
        &[("crop.area", "0.5,0,0.5,1")],
        Target::Source,
    )
    .unwrap();
    // Frames 0 and 1 are then both empty: written as one (their delays
    // added), then frame 2's red and frame 3's blue square.
    let (frames, _) = frames_of(&out);
    assert_eq!(frames.len(), 3);
    for (img, _) in &frames {
        assert_eq!(img.dimensions(), (20, 20));
    }
    assert_eq!(frames[0].1, 300, "10 + 20 cs");
    assert_eq!(
        px(&frames[0].0, 5, 10)[3],
        0,
        "frame 0's square was cut away"
    );
    assert_eq!(
        px(&frames[1].0, 5, 10),
        [255, 0, 0, 255],
        "frame 2's square, 20 px left"
    );
    assert_eq!(
        px(&frames[2].0, 15, 10),
        [0, 0, 255, 255],
        "frame 3's square"
    );
}
