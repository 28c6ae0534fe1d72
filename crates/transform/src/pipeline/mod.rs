//! The image pipeline, in SPEC §4's fixed order: decode (shrink-on-load,
//! ICC → sRGB) → EXIF orient → trim → scale → crop → canvas →
//! rotate/flip/flop → adjustments → text → watermark → encode.
//! Pure: bytes and options in, bytes out.

mod adjust;
mod animation;
mod budget;
mod codec;
mod colour;
mod describe;
mod edit;
mod faces;
mod frame;
mod geometry;
mod heif;
mod histogram;
mod jxl;
mod markers;
mod orient;
mod pixels;
mod resize;
mod scans;
mod svg;
mod text;
mod watermark;

use std::time::Instant;

use crate::plan::{Fallback, FormatChoice, Length, Plan, ScaleOption};
use crate::{Options, TransformError};

pub use codec::{sniff, Format};
pub use describe::{describe, Description};
pub use geometry::{plan_size, SizePlan};
pub(crate) use pixels::Pixels;

/// Safety limits, from the server's `[limits]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Width × height of the source, times its frames for an animation.
    pub max_source_pixels: u64,
    pub max_output_pixels: u64,
    /// EXIF, XMP, ICC, text chunks and comments, inflated where compressed.
    pub max_metadata_bytes: u64,
    /// Frames of an animated source (GIF, WebP, APNG).
    pub max_animation_frames: u64,
}

/// An encoded result.
#[derive(Debug, Clone)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

/// The output format, decided from the options and the client's `Accept`
/// before the source is read, so that it can be part of the cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// This format.
    Exact(Format),
    /// The source's own format (`format=original`, or no `format`).
    Source,
    /// `optimal` for a client without AVIF or WebP: JPEG when the result is
    /// opaque, PNG when it has transparency; animated GIF for an animation.
    Family,
    /// `optimal` for a client that takes AVIF or WebP: `still` for a still
    /// image, `animation` (animated WebP, else GIF) for an animated source.
    Optimal { still: Format, animation: Format },
}

impl Target {
    /// A short stable name, for cache keys.
    pub fn key(self) -> &'static str {
        match self {
            Target::Exact(f) => f.name(),
            Target::Source => "source",
            Target::Family => "family",
            Target::Optimal { still, animation } => match (still, animation) {
                (Format::Avif, Format::WebP) => "optimal-avif-webp",
                (Format::Avif, _) => "optimal-avif-gif",
                (_, Format::WebP) => "optimal-webp-webp",
                _ => "optimal-webp-gif",
            },
        }
    }
}

/// A negotiated target, and whether it depended on `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub target: Target,
    pub vary_accept: bool,
}

/// The image formats a client decodes, as the server read them from its
/// request (the pipeline never parses HTTP).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accepts {
    pub avif: bool,
    pub webp: bool,
}

/// Picks the output format: `format`, `webp-fallback`, and for `optimal`
/// (or no `format` when `default_optimal`) AVIF, then WebP, then the
/// JPEG/PNG family, by what the client `accepts`.
pub fn negotiate(options: &Options, accepts: Accepts, default_optimal: bool) -> Negotiated {
    let fixed = |f| Negotiated {
        target: Target::Exact(f),
        vary_accept: false,
    };
    let format = match FormatChoice::of(options) {
        None if default_optimal => Some(FormatChoice::Optimal),
        format => format,
    };
    match format {
        Some(FormatChoice::Jpeg) => fixed(Format::Jpeg),
        Some(FormatChoice::Png) => fixed(Format::Png),
        Some(FormatChoice::Gif) => fixed(Format::Gif),
        Some(FormatChoice::Avif) => fixed(Format::Avif),
        Some(FormatChoice::WebP) => match Fallback::of(options) {
            None => fixed(Format::WebP),
            Some(fallback) => Negotiated {
                target: if accepts.webp {
                    Target::Exact(Format::WebP)
                } else if fallback == Fallback::Png {
                    Target::Exact(Format::Png)
                } else {
                    Target::Exact(Format::Jpeg)
                },
                vary_accept: true,
            },
        },
        Some(FormatChoice::Optimal) => Negotiated {
            target: if accepts.avif || accepts.webp {
                Target::Optimal {
                    still: if accepts.avif {
                        Format::Avif
                    } else {
                        Format::WebP
                    },
                    // No animated AVIF encoder is exposed safely (docs/animation.md).
                    animation: if accepts.webp {
                        Format::WebP
                    } else {
                        Format::Gif
                    },
                }
            } else {
                Target::Family
            },
            vary_accept: true,
        },
        Some(FormatChoice::Original) | None => Negotiated {
            target: Target::Source,
            vary_accept: false,
        },
    }
}

/// One transform: the effective options, the negotiated target, the bytes
/// of each watermark image (in the order of [`crate::plan::watermark_paths`]),
/// the encoder settings of
/// the server's config, and when the work is no longer wanted
/// (`transform_timeout`: checked between stages, and between the frames of
/// an animation).
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub options: &'a Options,
    pub target: Target,
    pub watermarks: &'a [&'a [u8]],
    /// Fonts beside the bundled ones.
    pub fonts: Fonts<'a>,
    pub encoders: Encoders,
    pub deadline: Option<Instant>,
}

impl Job<'_> {
    /// `TimedOut` once the deadline has passed: the caller has stopped
    /// waiting, so the rest of the work would be thrown away.
    pub(crate) fn check_deadline(&self) -> Result<(), TransformError> {
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(TransformError::TimedOut),
            _ => Ok(()),
        }
    }
}

/// Fonts the server hands the text stage beside the bundled DejaVu faces:
/// fonts from storage by family name (`/Fonts/{family}.ttf|otf`, checked
/// with [`check_font`] when loaded), and the fallback for characters the
/// chosen font lacks (CJK), from the config.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fonts<'a> {
    pub user: &'a [(&'a str, &'a [u8])],
    pub fallback: Option<&'a [u8]>,
}

/// Whether `family` names a bundled face (DejaVu Sans, Serif, Mono and
/// their short names), which no font from storage replaces.
pub fn is_bundled_family(family: &str) -> bool {
    text::is_bundled(family)
}

/// The names a stored face of `family` is looked up under, best first:
/// `{family}-BoldItalic`, `-Bold`, `-Italic` or `-Light` for the weight and
/// style asked, then `{family}` itself.
pub fn font_names(family: &str, weight: u16, italic: bool) -> Vec<String> {
    text::face_names(family, weight, italic)
}

/// Largest font file accepted from storage or the config.
pub const MAX_FONT_BYTES: u64 = 32 << 20;

/// Whether `bytes` is a font the text stage can draw with (TrueType or
/// OpenType with glyph outlines); the reason when not.
pub fn check_font(bytes: &[u8]) -> Result<(), TransformError> {
    text::check_font(bytes)
}

/// Encoder settings that are the operator's, not the URL's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoders {
    /// libaom's speed for AVIF output, 0 (smallest files) … 9 (fastest);
    /// docs/benchmarks.md (W7) has the measured trade-off.
    pub avif_speed: u8,
}

impl Encoders {
    /// The fastest AVIF setting: sharp's `effort: 0`.
    pub const DEFAULT_AVIF_SPEED: u8 = 9;
}

impl Default for Encoders {
    fn default() -> Encoders {
        Encoders {
            avif_speed: Encoders::DEFAULT_AVIF_SPEED,
        }
    }
}

fn check_source(width: u32, height: u32, limits: &Limits) -> Result<(), TransformError> {
    if u64::from(width) * u64::from(height) > limits.max_source_pixels {
        return Err(TransformError::SourceTooLarge {
            width: width.into(),
            height: height.into(),
            limit: limits.max_source_pixels,
        });
    }
    Ok(())
}

/// A source whose container and header passed the limits.
struct Opened {
    format: Format,
    frames: u64,
    header: codec::Header,
}

/// Types the source by its first bytes and checks its container (frames,
/// metadata) and header against the limits, before any pixel is decoded.
fn open(data: &[u8], limits: &Limits) -> Result<Opened, TransformError> {
    let format =
        sniff(data).ok_or_else(|| TransformError::NotAnImage("unknown file signature".into()))?;
    let frames = budget::measure(data, format, limits)?;
    let header = codec::probe(data, format)?;
    check_source(header.width, header.height, limits)?;
    frames.check(header.width, header.height, limits)?;
    Ok(Opened {
        format,
        frames: frames.count(),
        header,
    })
}

/// Decodes a whole image (an animation's first frame), oriented and in
/// sRGB. `shrink_to` (in displayed axes) lets JPEG decode at a reduced DCT
/// scale that still covers that size.
fn decode(
    data: &[u8],
    opened: &Opened,
    limits: &Limits,
    shrink_to: impl FnOnce(u32, u32) -> (u32, u32),
) -> Result<Pixels, TransformError> {
    let header = &opened.header;
    let (ow, oh) = header.orientation.oriented(header.width, header.height);
    let (want_w, want_h) = shrink_to(ow, oh);
    // Shrink-on-load wants the size in stored (pre-orientation) axes.
    let (stored_w, stored_h) = header.orientation.oriented(want_w, want_h);
    let decoded = codec::decode(
        data,
        opened.format,
        header,
        (stored_w, stored_h),
        limits.max_source_pixels,
    )?;
    Ok(orient::apply(decoded, header.orientation))
}

/// The displayed (EXIF-oriented) size of an encoded image, from its header.
pub fn dimensions(data: &[u8]) -> Result<(u32, u32), TransformError> {
    let format =
        sniff(data).ok_or_else(|| TransformError::NotAnImage("unknown file signature".into()))?;
    let header = codec::probe(data, format)?;
    Ok(header.orientation.oriented(header.width, header.height))
}

/// Runs the pipeline on a whole source file.
pub fn process(source: &[u8], job: &Job<'_>, limits: &Limits) -> Result<Output, TransformError> {
    let plan = Plan::new(job.options);
    let opened = open(source, limits)?;
    if let Some(out) = animation::output_of(&opened, job.target) {
        return animation::process(source, &opened, out, job, &plan, limits);
    }
    let first_cut = plan.crop.cuts_first();
    let mut planned = None;
    let mut p = decode(source, &opened, limits, |w, h| {
        if first_cut {
            // The scale depends on the size after the cut: decode in full.
            return (w, h);
        }
        let sizing = plan_size(w, h, &plan.size);
        planned = Some(sizing);
        (sizing.resize_w, sizing.resize_h)
    })?;
    job.check_deadline()?;
    if let Some((x, y, w, h)) = first_cut_box(&p, &plan)? {
        p = p.region(x, y, w, h);
    }
    job.check_deadline()?;
    let sizing = match planned {
        Some(sizing) if !first_cut => sizing,
        _ => plan_size(p.width, p.height, &plan.size),
    };
    check_output(&sizing, 1, limits)?;
    let marks = watermarks_of(job, &plan, limits)?;
    let p = stages(p, &plan, &sizing, &marks, job.fonts, limits)?;
    job.check_deadline()?;
    let out_format = match job.target {
        Target::Exact(f) | Target::Optimal { still: f, .. } => f,
        Target::Source if opened.format.is_output() => opened.format,
        Target::Source | Target::Family if p.has_alpha() => Format::Png,
        Target::Source | Target::Family => Format::Jpeg,
    };
    codec::encode(&p, out_format, &plan.encode, &job.encoders)
}

/// The region kept before sizing (x, y, width, height), or `None` for
/// the whole image: `crop.type=trim`'s, then within it `crop.area` (what
/// `crop.type=poi` becomes), then within that the faces of
/// `crop.type=face`. An animation cuts every frame to its first frame's.
pub(crate) fn first_cut_box(
    p: &Pixels,
    plan: &Plan,
) -> Result<Option<(u32, u32, u32, u32)>, TransformError> {
    if !plan.crop.cuts_first() {
        return Ok(None);
    }
    let mut cut = (0, 0, p.width, p.height);
    if plan.crop.trim {
        if let Some(b) = edit::trim_box(p) {
            cut = b;
        }
    }
    if let Some([x, y, w, h]) = plan.crop.area {
        let (iw, ih) = (f64::from(cut.2), f64::from(cut.3));
        let x0 = ((x * iw).round() as u32).min(cut.2 - 1);
        let y0 = ((y * ih).round() as u32).min(cut.3 - 1);
        let cw = ((w * iw).round() as u32).clamp(1, cut.2 - x0);
        let ch = ((h * ih).round() as u32).clamp(1, cut.3 - y0);
        cut = (cut.0 + x0, cut.1 + y0, cw, ch);
    }
    if let Some(face) = &plan.crop.face {
        let region = p.region(cut.0, cut.1, cut.2, cut.3);
        let found = faces::detect(&region, face.confidence)?;
        let shape = plan
            .crop
            .aspect
            .or(match (plan.size.w, plan.size.h, plan.size.scale) {
                (Some(Length::Px(w)), Some(Length::Px(h)), ScaleOption::Fill) if w > 0 && h > 0 => {
                    Some((w, h))
                }
                _ => None,
            });
        if let Some((x, y, w, h)) = faces::frame(&found, face, shape, cut.2, cut.3) {
            cut = (cut.0 + x, cut.1 + y, w, h);
        }
    }
    Ok((cut != (0, 0, p.width, p.height)).then_some(cut))
}

/// Refuses a resize past `max_output_pixels` per frame, or past
/// `max_source_pixels` for all the frames of an animation together.
fn check_output(sizing: &SizePlan, frames: u64, limits: &Limits) -> Result<(), TransformError> {
    let (width, height) = (u64::from(sizing.resize_w), u64::from(sizing.resize_h));
    if width * height > limits.max_output_pixels {
        return Err(TransformError::OutputTooLarge {
            width,
            height,
            limit: limits.max_output_pixels,
        });
    }
    if frames > 1 && (width * height).saturating_mul(frames) > limits.max_source_pixels {
        return Err(TransformError::AnimationOutputTooLarge {
            frames,
            width,
            height,
            limit: limits.max_source_pixels,
        });
    }
    Ok(())
}

/// The watermark images, decoded once per transform, one per watermark of
/// the plan.
fn watermarks_of(
    job: &Job<'_>,
    plan: &Plan,
    limits: &Limits,
) -> Result<Vec<Pixels>, TransformError> {
    if job.watermarks.len() != plan.watermarks.len() {
        return Err(TransformError::Invalid(
            "watermark: the watermark images were not loaded".into(),
        ));
    }
    let bad = |e| match e {
        TransformError::NotAnImage(why) => TransformError::BadWatermark(why),
        other => other,
    };
    job.watermarks
        .iter()
        .map(|bytes| {
            let opened = open(bytes, limits).map_err(bad)?;
            let mark = decode(bytes, &opened, limits, |w, h| (w, h)).map_err(bad)?;
            Ok(mark.into_rgba())
        })
        .collect()
}

/// The stages after decoding (and trimming), for a still image or each
/// frame of an animation: scale, crop, canvas, rotate/flip/flop,
/// adjustments, text, watermark, frame.
fn stages(
    mut p: Pixels,
    plan: &Plan,
    sizing: &SizePlan,
    marks: &[Pixels],
    fonts: Fonts<'_>,
    limits: &Limits,
) -> Result<Pixels, TransformError> {
    p = resize::resize(p, sizing)?;
    p = edit::crop(p, &plan.crop)?;
    p = edit::canvas(p, plan.canvas.as_ref(), limits.max_output_pixels)?;
    p = edit::orient(p, &plan.turn, limits.max_output_pixels)?;
    p = adjust::apply(p, &plan.adjust);
    for text in &plan.texts {
        p = text::draw(p, text, fonts);
    }
    for (settings, mark) in plan.watermarks.iter().zip(marks) {
        p = watermark::draw(p, mark.clone(), settings, limits.max_output_pixels)?;
    }
    if let Some(f) = &plan.frame {
        p = frame::draw(p, f, limits.max_output_pixels)?;
    }
    if let Some(show) = plan.histogram {
        p = histogram::draw(&p, show);
    }
    Ok(p)
}

/// The pipeline's stages one at a time, for benchmarks (`benches/engine.rs`).
/// Not an API: the server only calls [`process`].
#[doc(hidden)]
pub mod stages {
    use super::{codec, orient, resize, Format, Pixels};
    use crate::{parse_options, TransformError};

    /// Decoded pixels.
    pub struct Decoded(Pixels);

    impl Decoded {
        pub fn size(&self) -> (u32, u32) {
            (self.0.width, self.0.height)
        }

        #[cfg(test)]
        pub(crate) fn into_pixels(self) -> Pixels {
            self.0
        }
    }

    /// Decodes, shrinking on load (JPEG) to the smallest DCT scale that
    /// still covers `cover_w`×`cover_h`.
    pub fn decode(data: &[u8], cover_w: u32, cover_h: u32) -> Result<Decoded, TransformError> {
        let format = super::sniff(data)
            .ok_or_else(|| TransformError::NotAnImage("unknown file signature".into()))?;
        let header = codec::probe(data, format)?;
        let p = codec::decode(data, format, &header, (cover_w, cover_h), u64::MAX)?;
        Ok(Decoded(orient::apply(p, header.orientation)))
    }

    pub fn resize(image: &Decoded, w: u32, h: u32) -> Result<Decoded, TransformError> {
        resize::to_size(image.0.clone(), w, h).map(Decoded)
    }

    pub fn encode(image: &Decoded, format: Format, quality: u8) -> Result<Vec<u8>, TransformError> {
        let q = quality.to_string();
        let options = parse_options([("q", q.as_str())])
            .map_err(|_| TransformError::Invalid(format!("q={quality}: must be from 1 to 100")))?;
        let plan = crate::plan::Plan::new(&options);
        codec::encode(&image.0, format, &plan.encode, &super::Encoders::default()).map(|o| o.bytes)
    }

    /// The stages after sizing (crop, canvas, turns, adjustments, text,
    /// frame) with the options of `query` (`name=value&…`; no size
    /// options), on a decoded image.
    pub fn effects(image: &Decoded, query: &str) -> Result<Decoded, TransformError> {
        let pairs = query
            .split('&')
            .map(|p| p.split_once('=').unwrap_or((p, "")));
        let options =
            parse_options(pairs).map_err(|e| TransformError::Invalid(format!("{query}: {e:?}")))?;
        let plan = crate::plan::Plan::new(&options);
        let sizing = super::plan_size(image.0.width, image.0.height, &plan.size);
        let limits = super::Limits {
            max_source_pixels: u64::MAX,
            max_output_pixels: u64::MAX,
            max_metadata_bytes: u64::MAX,
            max_animation_frames: u64::MAX,
        };
        super::stages(
            image.0.clone(),
            &plan,
            &sizing,
            &[],
            super::Fonts::default(),
            &limits,
        )
        .map(Decoded)
    }

    /// Face detection as `crop.type=face` runs it (default confidence):
    /// how many faces.
    pub fn faces(image: &Decoded) -> Result<usize, TransformError> {
        super::faces::detect(&image.0, 35).map(|f| f.len())
    }

    /// A JPEG's 1/8-scale RGB pixels decoded from the whole stream and from
    /// the stream without its unread AC scans (scans.rs), when the rewrite
    /// applies and both decode: the differential fuzz target's two sides.
    pub fn eighth_both_ways(data: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let fast = super::scans::dc_only(data).ok()?;
        let whole = codec::jpeg_at_eighth(data).ok()?;
        let fast = codec::jpeg_at_eighth(&fast).ok()?;
        Some((whole.data, fast.data))
    }

    /// A deterministic photo-like RGB image (smooth gradients, hard edges
    /// and fine noise), for benchmark corpora.
    pub fn synthetic(width: u32, height: u32) -> Decoded {
        let mut data = Vec::with_capacity(width as usize * height as usize * 3);
        let mut seed: u32 = 0x9E37_79B9;
        for y in 0..height {
            for x in 0..width {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let noise = (seed % 23) as i32 - 11;
                let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
                let sky = fy < 0.45 + 0.08 * (fx * 9.0).sin();
                let (r, g, b) = if sky {
                    (90.0 + 60.0 * fy, 140.0 + 50.0 * fy, 230.0 - 40.0 * fx)
                } else {
                    let stripes = if ((x / 7 + y / 11) % 5) == 0 {
                        40.0
                    } else {
                        0.0
                    };
                    (
                        70.0 + 80.0 * fx + stripes,
                        110.0 + 40.0 * fy,
                        40.0 + stripes,
                    )
                };
                let sun = ((fx - 0.75).powi(2) + (fy - 0.2).powi(2)).sqrt() < 0.07;
                let (r, g, b) = if sun {
                    (255.0, 220.0, 120.0)
                } else {
                    (r, g, b)
                };
                for c in [r, g, b] {
                    data.push((c as i32 + noise).clamp(0, 255) as u8);
                }
            }
        }
        Decoded(Pixels {
            width,
            height,
            channels: 3,
            data,
        })
    }
}

#[cfg(test)]
mod tests;
