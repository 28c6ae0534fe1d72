//! Animated WebP: sources read frame by frame ([`Reader`]: each `ANMF`
//! frame's bitstream decoded by libwebp as a still, composited here as the
//! container spec says), and output through libwebp's animation encoder
//! (the `webp` crate's `AnimEncoder`), which stores each frame as the
//! rectangle that changed, lossy at the plan's quality.
//!
//! `image`'s WebP decoder is not used for animations: it clears a disposed
//! frame's rectangle only when told a background colour, and with a
//! 3-byte stride on its 4-byte canvas when the next frame is opaque; it is
//! also about half libwebp's speed.
//!
//! The binding ends the animation with a timestamp libwebp refuses, so
//! libwebp gives the last frame the average duration of the others instead
//! of its own: [`fix_last_duration`] writes the right one back into the
//! last `ANMF` chunk.

use super::Kept;
use crate::pipeline::markers::{riff_chunks, webp_chunks};
use crate::pipeline::Pixels;
use crate::TransformError;

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let b = b.get(at..at + 3)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], 0]))
}

fn bad(why: &str) -> TransformError {
    TransformError::NotAnImage(format!("webp: {why}"))
}

/// One `ANMF` frame: where it goes, how long it shows, how it is drawn.
struct Placed<'a> {
    x: usize,
    y: usize,
    width: u32,
    height: u32,
    duration: u32,
    /// Alpha-blend over the canvas (else replace the rectangle).
    blend: bool,
    /// Clear the rectangle to transparency after the frame shows.
    dispose: bool,
    /// The frame's `ALPH`/`VP8 `/`VP8L` chunks.
    chunks: &'a [u8],
}

/// The frames of an animated WebP, decoded one at a time.
pub(super) struct Reader<'a> {
    frames: std::vec::IntoIter<Placed<'a>>,
    width: usize,
    height: usize,
    canvas: Vec<u8>,
    /// The rectangle to clear before the next frame is drawn.
    clear: Option<(usize, usize, usize, usize)>,
    pub(super) plays: u32,
    pub(super) icc: Option<Vec<u8>>,
    /// Every frame is VP8L (lossless).
    pub(super) lossless: bool,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8]) -> Result<Reader<'a>, TransformError> {
        let mut size = None;
        let mut plays = 0;
        let mut icc = None;
        let mut frames = Vec::new();
        for (kind, len, payload) in webp_chunks(data) {
            if payload.len() < len {
                // Truncated: the frames before this one.
                break;
            }
            match kind {
                b"VP8X" => {
                    size = le24(payload, 4)
                        .zip(le24(payload, 7))
                        .map(|(w, h)| (w + 1, h + 1));
                }
                b"ANIM" => {
                    plays = payload
                        .get(4..6)
                        .map_or(0, |b| u32::from(u16::from_le_bytes([b[0], b[1]])));
                }
                b"ICCP" => icc = Some(payload.to_vec()),
                b"ANMF" => {
                    let field = |at| le24(payload, at).ok_or_else(|| bad("short ANMF chunk"));
                    let flags = *payload.get(15).ok_or_else(|| bad("short ANMF chunk"))?;
                    frames.push(Placed {
                        x: field(0)? as usize * 2,
                        y: field(3)? as usize * 2,
                        width: field(6)? + 1,
                        height: field(9)? + 1,
                        duration: field(12)?,
                        blend: flags & 2 == 0,
                        dispose: flags & 1 != 0,
                        chunks: &payload[16..],
                    });
                }
                _ => {}
            }
        }
        let (width, height) = size.ok_or_else(|| bad("an animation without a VP8X header"))?;
        let (width, height) = (width as usize, height as usize);
        let lossless = !frames.is_empty() && frames.iter().all(|f| f.chunks.starts_with(b"VP8L"));
        Ok(Reader {
            lossless,
            frames: frames.into_iter(),
            width,
            height,
            canvas: vec![0; width * height * 4],
            clear: None,
            plays,
            icc,
        })
    }

    /// The next frame: the whole canvas, RGBA, and its duration in ms.
    pub(super) fn next(&mut self) -> Option<Result<(Pixels, u32), TransformError>> {
        let frame = self.frames.next()?;
        Some(self.draw(&frame).map(|()| {
            let pixels = Pixels {
                width: self.width as u32,
                height: self.height as u32,
                channels: 4,
                data: self.canvas.clone(),
            };
            (pixels, frame.duration)
        }))
    }

    fn draw(&mut self, f: &Placed<'_>) -> Result<(), TransformError> {
        let (fw, fh) = (f.width as usize, f.height as usize);
        if f.x + fw > self.width || f.y + fh > self.height {
            return Err(bad("a frame outside the canvas"));
        }
        let row = self.width * 4;
        if let Some((x, y, w, h)) = self.clear.take() {
            for line in self.canvas.chunks_exact_mut(row).skip(y).take(h) {
                line[x * 4..(x + w) * 4].fill(0);
            }
        }
        let still = still(f.chunks, f.width, f.height);
        let image = webp::Decoder::new(&still)
            .decode()
            .ok_or_else(|| bad("a frame that does not decode"))?;
        let channels = if image.is_alpha() { 4 } else { 3 };
        if (image.width(), image.height()) != (f.width, f.height)
            || image.len() != fw * fh * channels
        {
            return Err(bad("a frame whose bitstream disagrees with its header"));
        }
        for (src, line) in image
            .chunks_exact(fw * channels)
            .zip(self.canvas.chunks_exact_mut(row).skip(f.y))
        {
            let dst = &mut line[f.x * 4..(f.x + fw) * 4];
            for (s, d) in src.chunks_exact(channels).zip(dst.chunks_exact_mut(4)) {
                let alpha = if channels == 4 { s[3] } else { 255 };
                if f.blend && alpha < 255 {
                    over(&[s[0], s[1], s[2], alpha], d);
                } else {
                    d.copy_from_slice(&[s[0], s[1], s[2], alpha]);
                }
            }
        }
        if f.dispose {
            self.clear = Some((f.x, f.y, fw, fh));
        }
        Ok(())
    }
}

/// A frame's chunks as a still WebP file: behind a `VP8X` header when it
/// has an `ALPH` chunk, as they are otherwise.
fn still(chunks: &[u8], width: u32, height: u32) -> Vec<u8> {
    let alpha = riff_chunks(chunks, 0).any(|(kind, _, _)| kind == b"ALPH");
    let mut body = b"WEBP".to_vec();
    if alpha {
        body.extend_from_slice(b"VP8X");
        body.extend_from_slice(&10u32.to_le_bytes());
        body.extend_from_slice(&[0x10, 0, 0, 0]); // flags: alpha
        body.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
        body.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    }
    body.extend_from_slice(chunks);
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend_from_slice(&body);
    file
}

/// `src` over `dst`, straight (not premultiplied) alpha, as the WebP
/// container spec blends.
fn over(src: &[u8; 4], dst: &mut [u8]) {
    let sa = u32::from(src[3]);
    let da = u32::from(dst[3]) * (255 - sa) / 255;
    let a = sa + da;
    if a == 0 {
        dst.copy_from_slice(&[0, 0, 0, 0]);
        return;
    }
    for c in 0..3 {
        dst[c] = ((u32::from(src[c]) * sa + u32::from(dst[c]) * da) / a) as u8;
    }
    dst[3] = a as u8;
}

fn fail(e: impl std::fmt::Debug) -> TransformError {
    TransformError::Encode(format!("webp: {e:?}"))
}

/// Encodes the kept frames: lossy at `quality`, or lossless (`quality` is
/// then libwebp's effort); `plays` 0 is forever.
pub(super) fn encode(
    kept: &Kept,
    plays: u32,
    quality: u8,
    lossless: bool,
) -> Result<Vec<u8>, TransformError> {
    let (width, height) = kept.size;
    let mut config = webp::WebPConfig::new().map_err(fail)?;
    config.quality = f32::from(quality);
    config.lossless = i32::from(lossless);
    let mut encoder = webp::AnimEncoder::new(width, height, &config);
    encoder.set_loop_count(i32::try_from(plays).unwrap_or(0));
    let mut at: i64 = 0;
    for (data, delay) in &kept.frames {
        // libwebp's timestamps are C ints.
        let Ok(ms) = i32::try_from(at) else {
            return Err(fail("the animation is longer than 24 days"));
        };
        // `Kept` holds whole RGBA frames of `size`, which the binding reads.
        encoder.add_frame(webp::AnimFrame::from_rgba(data, width, height, ms));
        at += i64::from(*delay);
    }
    let mut bytes = encoder.try_encode().map_err(fail)?.to_vec();
    fix_last_duration(&mut bytes, at);
    Ok(bytes)
}

/// Sets the last `ANMF` frame's duration so that the frames add up to
/// `total_ms`. A file without frames (libwebp made a still of identical
/// frames) is left alone.
fn fix_last_duration(webp: &mut [u8], total_ms: i64) {
    let mut at = 12; // "RIFF", size, "WEBP"
    let mut frames = Vec::new();
    while let Some(header) = webp.get(at..at + 8) {
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if &header[..4] == b"ANMF" && len >= 16 {
            // x, y, width-1, height-1 (24 bits each), then the duration.
            frames.push(at + 8 + 12);
        }
        at += 8 + len + (len & 1);
    }
    let Some((&last, others)) = frames.split_last() else {
        return;
    };
    let duration = |at: usize| {
        i64::from(u32::from_le_bytes([
            webp[at],
            webp[at + 1],
            webp[at + 2],
            0,
        ]))
    };
    let before: i64 = others.iter().map(|&at| duration(at)).sum();
    let own = (total_ms - before).clamp(0, 0xFF_FFFF) as u32;
    webp[last..last + 3].copy_from_slice(&own.to_le_bytes()[..3]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_frame_keeps_its_own_duration() {
        let mut kept = Kept::default();
        let delays = [40, 40, 40, 500];
        for (i, delay) in delays.iter().enumerate() {
            let v = (i * 60) as u8;
            let p = Pixels::filled(8, 8, [v, 255 - v, 0, 255]).into_rgba();
            kept.push(p, *delay).unwrap();
        }
        let bytes = encode(&kept, 3, 80, false).unwrap();
        let decoder = image::codecs::webp::WebPDecoder::new(std::io::Cursor::new(&bytes)).unwrap();
        use image::AnimationDecoder;
        let got: Vec<u32> = decoder
            .into_frames()
            .map(|f| {
                let (n, d) = f.unwrap().delay().numer_denom_ms();
                n / d
            })
            .collect();
        assert_eq!(got, delays);
    }
}
