//! Animated sources (GIF, animated WebP, APNG) kept animated: every frame
//! is decoded, as a browser shows it (disposal, blending, transparency
//! composited by `image`'s decoders), one at a time, goes through the same
//! stages as a still image — scale, crop, canvas, rotate/flip, adjustments,
//! and the text and watermark overlays, so a locked overlay is on every
//! frame — and is handed to an encoder that keeps each frame's delay and
//! the loop count: GIF (`gif.rs`), WebP (`webp.rs`) or APNG (`apng.rs`).
//!
//! Which targets stay animated is [`output_of`]'s; the others get the first
//! frame through the still pipeline. docs/animation.md has the decisions.

mod apng;
mod gif;
mod webp;

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::metadata::LoopCount;
use image::{AnimationDecoder, ImageDecoder};

use super::{check_output, first_cut_box, orient, plan_size, stages, watermarks_of};
use super::{Format, Job, Limits, Opened, Output, Pixels, Target};
use crate::plan::Plan;
use crate::TransformError;

/// The animated format a target gives for this source, or `None` when the
/// source is a still or the target is a still format (JPEG, PNG, AVIF: the
/// first frame).
pub(super) fn output_of(opened: &Opened, target: Target) -> Option<Format> {
    if opened.frames < 2 {
        return None;
    }
    match target {
        Target::Exact(f @ (Format::Gif | Format::WebP)) => Some(f),
        Target::Exact(_) => None,
        Target::Source => match opened.format {
            f @ (Format::Gif | Format::WebP | Format::Png) => Some(f),
            _ => None,
        },
        Target::Family => Some(Format::Gif),
        Target::Optimal { animation, .. } => Some(animation),
    }
}

/// One decoded frame: the whole canvas, RGBA, and how long it shows.
struct Frame {
    pixels: Pixels,
    delay_ms: u32,
}

/// The frames of an animated source, decoded on demand.
struct Frames<'a> {
    frames: Decoder<'a>,
    icc: Option<Vec<u8>>,
    /// Times the animation plays; 0 is forever.
    plays: u32,
    /// A WebP whose every frame is lossless.
    lossless: bool,
}

/// GIF and APNG through `image`'s decoders; WebP through libwebp.
enum Decoder<'a> {
    Image(image::Frames<'a>),
    WebP(webp::Reader<'a>),
}

fn bad(e: impl std::fmt::Display) -> TransformError {
    TransformError::NotAnImage(e.to_string())
}

impl<'a> Frames<'a> {
    fn open(data: &'a [u8], format: Format, limits: &Limits) -> Result<Frames<'a>, TransformError> {
        // The container walk bounded frames × canvas; this bounds any one
        // allocation, a frame larger than its canvas included.
        let mut decoder_limits = image::Limits::default();
        decoder_limits.max_alloc = Some(limits.max_source_pixels.saturating_mul(4));
        // APNG's count is of plays, as ours.
        let plays = |count: LoopCount| match count {
            LoopCount::Infinite => 0,
            LoopCount::Finite(n) => n.get(),
        };
        let cursor = Cursor::new(data);
        let mut lossless = false;
        let (frames, icc, plays) = match format {
            Format::Gif => {
                let mut d = GifDecoder::new(cursor).map_err(bad)?;
                d.set_limits(decoder_limits).map_err(bad)?;
                (Decoder::Image(d.into_frames()), None, gif::plays(data))
            }
            Format::Png => {
                let mut d = PngDecoder::new(cursor).map_err(bad)?;
                d.set_limits(decoder_limits).map_err(bad)?;
                let icc = d.icc_profile().ok().flatten();
                let d = d.apng().map_err(bad)?;
                let n = plays(d.loop_count());
                (Decoder::Image(d.into_frames()), icc, n)
            }
            Format::WebP => {
                // Shown over transparency, as browsers do, whatever
                // background colour the file names.
                let mut d = webp::Reader::new(data)?;
                let (icc, plays) = (d.icc.take(), d.plays);
                lossless = d.lossless;
                (Decoder::WebP(d), icc, plays)
            }
            other => return Err(bad(format!("{} is not an animation format", other.name()))),
        };
        Ok(Frames {
            frames,
            icc,
            plays,
            lossless,
        })
    }

    fn next(&mut self) -> Option<Result<Frame, TransformError>> {
        let (mut pixels, delay_ms) = match &mut self.frames {
            Decoder::WebP(reader) => match reader.next()? {
                Ok(frame) => frame,
                Err(e) => return Some(Err(e)),
            },
            Decoder::Image(frames) => {
                let frame = match frames.next()? {
                    Ok(frame) => frame,
                    Err(e) => return Some(Err(bad(e))),
                };
                let (num, den) = frame.delay().numer_denom_ms();
                let buffer = frame.into_buffer();
                let pixels = Pixels {
                    width: buffer.width(),
                    height: buffer.height(),
                    channels: 4,
                    data: buffer.into_raw(),
                };
                (pixels, num.checked_div(den).unwrap_or(0))
            }
        };
        super::colour::to_srgb(&mut pixels, self.icc.as_deref());
        Some(Ok(Frame { pixels, delay_ms }))
    }
}

/// Transformed RGBA frames and their delays, kept for an encoder that
/// takes them all at once: libwebp's animation encoder, and APNG (whose
/// `acTL` holds the frame count).
#[derive(Default)]
pub(super) struct Kept {
    pub(super) size: (u32, u32),
    pub(super) frames: Vec<(Vec<u8>, u32)>,
}

impl Kept {
    pub(super) fn push(&mut self, p: Pixels, delay_ms: u32) -> Result<(), TransformError> {
        if self.frames.is_empty() {
            self.size = (p.width, p.height);
        }
        let whole = p.width as usize * p.height as usize * 4;
        if (p.width, p.height) != self.size || p.channels != 4 || p.data.len() != whole {
            return Err(TransformError::Encode(
                "animation frames of different sizes".into(),
            ));
        }
        self.frames.push((p.data, delay_ms));
        Ok(())
    }
}

/// An animation encoder, fed one transformed frame at a time.
enum Writer {
    /// Written as the frames come.
    Gif(Box<gif::Writer>),
    /// WebP or APNG, encoded at the end.
    Kept(Kept),
}

/// Transforms every frame of `source` into an animation of format `out`.
pub(super) fn process(
    source: &[u8],
    opened: &Opened,
    out: Format,
    job: &Job<'_>,
    plan: &Plan,
    limits: &Limits,
) -> Result<Output, TransformError> {
    let mut frames = Frames::open(source, opened.format, limits)?;
    let marks = watermarks_of(job, plan, limits)?;
    let mut writer = match out {
        Format::Gif => Writer::Gif(Box::new(gif::Writer::new(frames.plays))),
        _ => Writer::Kept(Kept::default()),
    };
    let orientation = opened.header.orientation;
    // Fixed by the first frame, so every frame comes out the same size.
    let mut fixed = None;
    let mut size = (0, 0);
    let mut written = 0u64;
    while let Some(frame) = frames.next() {
        let frame = match frame {
            Ok(frame) => frame,
            // A broken frame ends the animation where a browser stops
            // showing it; with no frame at all the source is refused.
            Err(_) if written > 0 => break,
            Err(e) => return Err(e),
        };
        job.check_deadline()?;
        let mut p = orient::apply(frame.pixels, orientation);
        let (trim, sizing) = match fixed {
            Some(fixed) => fixed,
            None => {
                let trim = first_cut_box(&p, plan)?;
                let (w, h) = trim.map_or((p.width, p.height), |(_, _, w, h)| (w, h));
                let sizing = plan_size(w, h, &plan.size);
                check_output(&sizing, opened.frames, limits)?;
                *fixed.insert((trim, sizing))
            }
        };
        if let Some((x, y, w, h)) = trim {
            p = p.region(x, y, w, h);
        }
        let p = stages(p, plan, &sizing, &marks, job.fonts, limits)?.into_rgba();
        size = (p.width, p.height);
        match &mut writer {
            Writer::Gif(w) => {
                let mut p = p;
                p.extend_runs(plan.encode.gif_lossy);
                w.push(&p, frame.delay_ms)?
            }
            Writer::Kept(kept) => kept.push(p, frame.delay_ms)?,
        }
        written += 1;
    }
    if written == 0 {
        return Err(bad("the animation has no frames"));
    }
    let bytes = match writer {
        Writer::Gif(w) => w.finish()?,
        Writer::Kept(kept) if out == Format::WebP => {
            // A lossless animation (stickers, flat graphics) stays lossless
            // unless `q` asks for lossy.
            let lossless = frames.lossless && !plan.encode.quality_set;
            webp::encode(&kept, frames.plays, plan.encode.quality, lossless)?
        }
        Writer::Kept(kept) => apng::encode(&kept, frames.plays, plan.encode.png_optimize)?,
    };
    Ok(Output {
        bytes,
        format: out,
        width: size.0,
        height: size.1,
    })
}

#[cfg(test)]
mod tests;
