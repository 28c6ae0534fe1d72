//! Animated GIF output, written frame by frame as the frames come.
//!
//! The first frame's palette (at most 255 colours and a transparent index:
//! the exact colours when a frame has that few, else NeuQuant's from
//! `color_quant`) becomes the file's global palette; a later frame reuses
//! it when that costs at most [`REUSE_ERROR`] times the squared error of a
//! palette of its own, else it carries its own. No dithering — dither noise
//! changes every frame, which defeats the next step and flickers. Each frame is then stored as
//! the rectangle that changed since the previous one, with the unchanged
//! pixels in it transparent (the previous frame stays under them), which is
//! where most of an animation's bytes are saved. A pixel that becomes
//! transparent where the previous frame showed one has that frame disposed
//! to the background first, so transparency comes back as it should.

use std::borrow::Cow;
use std::collections::HashMap;

use color_quant::NeuQuant;
use gif::{DisposalMethod, Encoder, Repeat};

use crate::pipeline::Pixels;
use crate::TransformError;

/// NeuQuant's sampling factor: 1 (every pixel, slowest) … 30. W9: 1 gives
/// 45.1 dB where 10 gives 42.2 (sharp: 44.1), at a third of sharp's CPU.
const SAMPLE_FACTOR: i32 = 1;
/// How much more error than its own palette a frame accepts to reuse the
/// global one (saving the 768-byte table, and keeping indices stable, so
/// LZW finds longer runs). W9's pan: 1.05 reuses for almost no frame
/// (1.33 MB, 45.1 dB); 3 for most (1.29 MB, 44.3 dB; sharp 1.19 MB,
/// 44.1 dB).
const REUSE_ERROR: f64 = 3.0;
/// Colours in a frame's palette; one more index is the transparent one.
const MAX_COLOURS: usize = 255;

/// A transparent pixel, packed as `0xAABBGGRR`; opaque ones have alpha 255.
const CLEAR: u32 = 0;

fn fail(e: impl std::fmt::Display) -> TransformError {
    TransformError::Encode(format!("gif: {e}"))
}

/// A frame waiting for the next one, which decides its disposal.
struct Pending {
    frame: gif::Frame<'static>,
    delay_ms: u64,
}

pub(super) struct Writer {
    /// Times the animation plays; 0 is forever.
    plays: u32,
    encoder: Option<Encoder<Vec<u8>>>,
    width: usize,
    /// What a viewer shows after the frames written so far, as the source
    /// colours they were made from (alpha 0 or 255).
    shown: Vec<u32>,
    pending: Option<Pending>,
    /// The first frame's palette, the file's global one.
    global: Option<Palette>,
}

impl Writer {
    pub(super) fn new(plays: u32) -> Writer {
        Writer {
            plays,
            encoder: None,
            width: 0,
            shown: Vec::new(),
            pending: None,
            global: None,
        }
    }

    /// Adds an RGBA frame (every frame the same size).
    pub(super) fn push(&mut self, p: &Pixels, delay_ms: u32) -> Result<(), TransformError> {
        let (width, height) = (p.width as usize, p.height as usize);
        if self.encoder.is_none() {
            if u16::try_from(width).is_err() || u16::try_from(height).is_err() {
                return Err(TransformError::Invalid(format!(
                    "format=gif: a GIF is at most 65535 px a side, not {width}x{height}"
                )));
            }
            self.width = width;
            self.shown = vec![CLEAR; width * height];
        }
        let current: Vec<u32> = p
            .data
            .chunks_exact(4)
            .map(|px| {
                if px[3] < 128 {
                    CLEAR
                } else {
                    u32::from_le_bytes([px[0], px[1], px[2], 255])
                }
            })
            .collect();
        if current.len() != self.shown.len() {
            return Err(fail("frames of different sizes"));
        }
        // A pixel that turns transparent needs the previous frame cleared.
        if let Some(pending) = &mut self.pending {
            let clears = self
                .shown
                .iter()
                .zip(&current)
                .any(|(&was, &now)| was != CLEAR && now == CLEAR);
            if clears {
                pending.frame.dispose = DisposalMethod::Background;
                let f = &pending.frame;
                let (left, top) = (usize::from(f.left), usize::from(f.top));
                for y in top..top + usize::from(f.height) {
                    let row = y * self.width;
                    self.shown[row + left..row + left + usize::from(f.width)].fill(CLEAR);
                }
            }
        }
        let changed = |i: usize| current[i] != self.shown[i];
        let Some((x0, y0, x1, y1)) = bounds(width, height, changed) else {
            // Nothing changed: the previous frame shows for longer.
            if let Some(pending) = &mut self.pending {
                pending.delay_ms += u64::from(delay_ms);
                return Ok(());
            }
            // An empty first frame is still a frame.
            let frame = self.indexed(&current, (0, 0, 1, 1))?;
            return self.queue(frame, delay_ms);
        };
        let frame = self.indexed(&current, (x0, y0, x1, y1))?;
        for y in y0..y1 {
            let row = y * width;
            self.shown[row + x0..row + x1].copy_from_slice(&current[row + x0..row + x1]);
        }
        self.queue(frame, delay_ms)
    }

    /// The rectangle of `current` as a GIF frame: its changed opaque pixels
    /// in the global palette or one of their own, everything else the
    /// transparent index. The first frame's palette becomes the global one,
    /// written with the file's header.
    fn indexed(
        &mut self,
        current: &[u32],
        (x0, y0, x1, y1): (usize, usize, usize, usize),
    ) -> Result<gif::Frame<'static>, TransformError> {
        let (shown, width) = (&self.shown, self.width);
        let drawn = |i: usize| current[i] != CLEAR && current[i] != shown[i];
        let mut colours: Vec<u32> = Vec::new();
        for y in y0..y1 {
            colours.extend(
                (y * width + x0..y * width + x1)
                    .filter(|&i| drawn(i))
                    .map(|i| current[i]),
            );
        }
        let own = Palette::of(&colours);
        let reuse = self
            .global
            .as_ref()
            .is_some_and(|global| global.error(&colours) <= own.error(&colours) * REUSE_ERROR);
        let palette = if reuse { self.global.as_ref() } else { None }.unwrap_or(&own);
        let transparent = palette.len() as u8;
        let mut buffer = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            buffer.extend((y * width + x0..y * width + x1).map(|i| {
                if drawn(i) {
                    palette.index(current[i])
                } else {
                    transparent
                }
            }));
        }
        let mut table = palette.rgb.clone();
        table.extend_from_slice(&[0, 0, 0]);
        let local = if self.encoder.is_none() {
            self.start(&table)?;
            self.global = Some(own);
            None
        } else if reuse {
            None
        } else {
            Some(table)
        };
        Ok(gif::Frame {
            // Sizes fit u16: the canvas does.
            left: x0 as u16,
            top: y0 as u16,
            width: (x1 - x0) as u16,
            height: (y1 - y0) as u16,
            buffer: Cow::Owned(buffer),
            palette: local,
            transparent: Some(transparent),
            dispose: DisposalMethod::Keep,
            ..gif::Frame::default()
        })
    }

    /// Writes the header with the global palette and the loop block.
    fn start(&mut self, global: &[u8]) -> Result<(), TransformError> {
        let size = |v: usize| u16::try_from(v).map_err(fail);
        let (w, h) = (
            size(self.width)?,
            size(self.shown.len() / self.width.max(1))?,
        );
        let mut encoder = Encoder::new(Vec::new(), w, h, global).map_err(fail)?;
        // Without a loop block a GIF plays once; the block counts the plays
        // after the first.
        match self.plays {
            1 => {}
            0 => encoder.set_repeat(Repeat::Infinite).map_err(fail)?,
            n => {
                let repeats = u16::try_from(n - 1).unwrap_or(u16::MAX);
                encoder.set_repeat(Repeat::Finite(repeats)).map_err(fail)?;
            }
        }
        self.encoder = Some(encoder);
        Ok(())
    }

    /// Writes the pending frame, and keeps `frame` pending in its place.
    fn queue(&mut self, frame: gif::Frame<'static>, delay_ms: u32) -> Result<(), TransformError> {
        let previous = self.pending.replace(Pending {
            frame,
            delay_ms: u64::from(delay_ms),
        });
        if let Some(previous) = previous {
            self.write(previous)?;
        }
        Ok(())
    }

    fn write(&mut self, mut pending: Pending) -> Result<(), TransformError> {
        // Centiseconds, GIF's unit.
        pending.frame.delay = u16::try_from((pending.delay_ms + 5) / 10).unwrap_or(u16::MAX);
        let encoder = self.encoder.as_mut().ok_or_else(|| fail("no frames"))?;
        encoder.write_frame(&pending.frame).map_err(fail)
    }

    pub(super) fn finish(mut self) -> Result<Vec<u8>, TransformError> {
        if let Some(last) = self.pending.take() {
            self.write(last)?;
        }
        let encoder = self.encoder.take().ok_or_else(|| fail("no frames"))?;
        encoder.into_inner().map_err(fail)
    }
}

/// How many times a GIF plays (0 is forever), from its `NETSCAPE2.0` (or
/// `ANIMEXTS1.0`) application block, whose count is of the plays after the
/// first; without one a GIF plays once, as browsers show it. (`image`
/// reads a missing block as forever, and gives the block's count as is.)
pub(super) fn plays(data: &[u8]) -> u32 {
    let table = |flags: u8| {
        if flags & 0x80 == 0 {
            0
        } else {
            3usize << ((flags & 7) + 1)
        }
    };
    // The end of the data sub-blocks starting at `at`.
    let skip = |mut at: usize| -> Option<usize> {
        loop {
            let n = usize::from(*data.get(at)?);
            at += 1 + n;
            if n == 0 {
                return Some(at);
            }
        }
    };
    let Some(&flags) = data.get(10) else {
        return 1;
    };
    let mut at = 13 + table(flags);
    loop {
        let next = match data.get(at..at + 2) {
            Some(&[0x21, 0xFF]) => {
                let name = data.get(at + 3..at + 14);
                if data.get(at + 2) == Some(&11)
                    && matches!(name, Some(b"NETSCAPE2.0" | b"ANIMEXTS1.0"))
                {
                    if let Some(&[3, 1, lo, hi]) = data.get(at + 14..at + 18) {
                        return match u16::from_le_bytes([lo, hi]) {
                            0 => 0,
                            n => u32::from(n) + 1,
                        };
                    }
                }
                skip(at + 2)
            }
            Some(&[0x21, _]) => skip(at + 2),
            Some(&[0x2C, _]) => match data.get(at + 9) {
                Some(&flags) => skip(at + 10 + table(flags) + 1),
                None => None,
            },
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => return 1,
        }
    }
}

/// The smallest rectangle (x0, y0, x1, y1; ends exclusive) holding every
/// pixel for which `hit` is true.
fn bounds(
    width: usize,
    height: usize,
    hit: impl Fn(usize) -> bool,
) -> Option<(usize, usize, usize, usize)> {
    let row_hit = |y: usize| (0..width).any(|x| hit(y * width + x));
    let y0 = (0..height).find(|&y| row_hit(y))?;
    let y1 = (y0..height).rev().find(|&y| row_hit(y))? + 1;
    let col_hit = |x: usize| (y0..y1).any(|y| hit(y * width + x));
    let x0 = (0..width).find(|&x| col_hit(x))?;
    let x1 = (x0..width).rev().find(|&x| col_hit(x))? + 1;
    Some((x0, y0, x1, y1))
}

/// A frame's colours: exact when there are few enough, else learnt.
struct Palette {
    kind: Colours,
    /// The colours as a GIF colour table (RGB).
    rgb: Vec<u8>,
}

enum Colours {
    Exact(HashMap<u32, u8>),
    Learnt(NeuQuant),
}

impl Palette {
    fn of(colours: &[u32]) -> Palette {
        let mut exact = HashMap::new();
        let mut rgb = Vec::new();
        for &c in colours {
            if exact.contains_key(&c) {
                continue;
            }
            if exact.len() == MAX_COLOURS {
                let rgba: Vec<u8> = colours.iter().flat_map(|c| c.to_le_bytes()).collect();
                let nq = NeuQuant::new(SAMPLE_FACTOR, MAX_COLOURS, &rgba);
                return Palette {
                    rgb: nq.color_map_rgb(),
                    kind: Colours::Learnt(nq),
                };
            }
            exact.insert(c, exact.len() as u8);
            rgb.extend_from_slice(&c.to_le_bytes()[..3]);
        }
        Palette {
            kind: Colours::Exact(exact),
            rgb,
        }
    }

    fn len(&self) -> usize {
        self.rgb.len() / 3
    }

    fn index(&self, colour: u32) -> u8 {
        match &self.kind {
            Colours::Exact(map) => match map.get(&colour) {
                Some(&i) => i,
                // A colour of another frame (the global palette reused):
                // the nearest.
                None => self.nearest(colour),
            },
            Colours::Learnt(nq) => nq.index_of(&colour.to_le_bytes()) as u8,
        }
    }

    fn nearest(&self, colour: u32) -> u8 {
        let [r, g, b, _] = colour.to_le_bytes();
        let distance = |c: &[u8]| {
            let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
            d(c[0], r) + d(c[1], g) + d(c[2], b)
        };
        self.rgb
            .chunks_exact(3)
            .enumerate()
            .min_by_key(|(_, c)| distance(c))
            .map_or(0, |(i, _)| i as u8)
    }

    /// The squared error of drawing `colours` in this palette.
    fn error(&self, colours: &[u32]) -> f64 {
        colours
            .iter()
            .map(|&c| {
                let i = usize::from(self.index(c)) * 3;
                let [r, g, b, _] = c.to_le_bytes();
                let p = self.rgb.get(i..i + 3).unwrap_or(&[0, 0, 0]);
                let d = |x: u8, y: u8| f64::from((i32::from(x) - i32::from(y)).pow(2));
                d(p[0], r) + d(p[1], g) + d(p[2], b)
            })
            .sum()
    }
}
