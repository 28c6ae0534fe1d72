//! What a source costs beyond its header's width × height, read from its
//! container before any pixel is decoded:
//!
//! - every frame of an animation (GIF, animated WebP, APNG) counts against
//!   `max_source_pixels`, as imgproxy counts them, although only the first
//!   frame is rendered — 10 000 frames on a large canvas are refused, not
//!   walked;
//! - metadata (EXIF, XMP, ICC, text chunks, comments, application blocks)
//!   counts against `max_metadata_bytes`, **inflated** where it is stored
//!   compressed (PNG `zTXt`, `iCCP`, compressed `iTXt`), so a zlib bomb in a
//!   text chunk is measured with a bounded inflate and refused, never expanded.
//!
//! A container that stops making sense ends the walk quietly: the decoder
//! gives the precise error for a malformed file.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZFlush, MZStatus};

use super::{Format, Limits};
use crate::TransformError;

/// Frames and metadata bytes found in a container.
#[derive(Debug, Default, PartialEq, Eq)]
struct Cost {
    frames: u64,
    metadata: u64,
}

/// The frames of a source whose metadata is within the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frames(u64);

impl Frames {
    pub(crate) fn count(self) -> u64 {
        self.0
    }

    /// Refuses an animation of more than `max_animation_frames`, or whose
    /// frames of `width`×`height` (the header's canvas) together exceed the
    /// pixel limit.
    pub(crate) fn check(
        self,
        width: u32,
        height: u32,
        limits: &Limits,
    ) -> Result<(), TransformError> {
        if self.0 > limits.max_animation_frames {
            return Err(TransformError::TooManyFrames {
                frames: self.0,
                limit: limits.max_animation_frames,
            });
        }
        let pixels = u64::from(width) * u64::from(height);
        if self.0 > 1 && self.0.saturating_mul(pixels) > limits.max_source_pixels {
            return Err(TransformError::AnimationTooLarge {
                frames: self.0,
                width: width.into(),
                height: height.into(),
                limit: limits.max_source_pixels,
            });
        }
        Ok(())
    }
}

/// Walks the container before any decoder sees it (a decoder may inflate a
/// profile while reading the header): refuses metadata over the limit, and
/// counts the frames.
pub(crate) fn measure(
    data: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<Frames, TransformError> {
    let cap = limits.max_metadata_bytes;
    let cost = match format {
        Format::Jpeg => jpeg(data),
        Format::Png => png(data, cap),
        Format::Gif => gif(data),
        Format::WebP => webp(data),
        _ => Cost::default(),
    };
    if cost.metadata > cap {
        return Err(TransformError::MetadataTooLarge {
            bytes: cost.metadata,
            limit: cap,
        });
    }
    Ok(Frames(cost.frames.max(1)))
}

fn be32(data: &[u8], at: usize) -> Option<usize> {
    let b = data.get(at..at.checked_add(4)?)?;
    usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok()
}

fn add(total: u64, n: usize) -> u64 {
    total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX))
}

/// APPn and COM segments before the scan.
fn jpeg(data: &[u8]) -> Cost {
    let metadata = super::markers::jpeg_segments(data)
        .filter(|(marker, _)| (0xE0..=0xEF).contains(marker) || *marker == 0xFE)
        .fold(0, |total, (_, payload)| add(total, payload.len()));
    Cost {
        frames: 1,
        metadata,
    }
}

/// Ancillary chunks (other than APNG's frame chunks), compressed ones
/// inflated up to just past `cap`; frames from `acTL`.
fn png(data: &[u8], cap: u64) -> Cost {
    let mut cost = Cost {
        frames: 1,
        metadata: 0,
    };
    let mut at = 8;
    while let (Some(len), Some(kind)) = (be32(data, at), data.get(at + 4..at + 8)) {
        let Some(body) = at
            .checked_add(8 + len)
            .and_then(|end| data.get(at + 8..end))
        else {
            break;
        };
        match kind {
            b"IEND" => break,
            b"acTL" => cost.frames = be32(body, 0).map_or(1, |n| n as u64),
            b"fcTL" | b"fdAT" => {}
            b"zTXt" | b"iCCP" => {
                // keyword or profile name, NUL, compression method, zlib data
                let inflated = body
                    .iter()
                    .position(|&b| b == 0)
                    .and_then(|nul| body.get(nul + 2..))
                    .map_or(0, |z| inflated_len(z, cap.saturating_sub(cost.metadata)));
                cost.metadata = cost.metadata.saturating_add(inflated);
            }
            b"iTXt" => cost.metadata = cost.metadata.saturating_add(itxt_len(body, cap)),
            [first, ..] if first.is_ascii_lowercase() => cost.metadata = add(cost.metadata, len),
            _ => {}
        }
        if cost.metadata > cap {
            break;
        }
        at += 12 + len; // length, type, body, CRC
    }
    cost
}

/// An `iTXt` chunk's size: keyword NUL, compression flag, method, language
/// NUL, translated keyword NUL, text (zlib when the flag is set).
fn itxt_len(body: &[u8], cap: u64) -> u64 {
    let stored = body.len() as u64;
    let Some(nul) = body.iter().position(|&b| b == 0) else {
        return stored;
    };
    if body.get(nul + 1) != Some(&1) {
        return stored;
    }
    let rest = body.get(nul + 3..).unwrap_or_default();
    let mut nuls = rest
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == 0)
        .map(|(i, _)| i);
    let (Some(_), Some(second)) = (nuls.next(), nuls.next()) else {
        return stored;
    };
    let text = rest.get(second + 1..).unwrap_or_default();
    (nul as u64 + 3 + second as u64 + 1).saturating_add(inflated_len(text, cap))
}

/// How many bytes a zlib stream inflates to, counting no further than just
/// past `cap`; a stream that breaks off counts what it gave. Inflates into a
/// small scratch buffer: nothing the size of the output is allocated.
fn inflated_len(zlib: &[u8], cap: u64) -> u64 {
    let mut state = InflateState::new_boxed(DataFormat::Zlib);
    let mut scratch = vec![0u8; 64 << 10];
    let mut input = zlib;
    let mut total = 0u64;
    loop {
        let r = inflate(&mut state, input, &mut scratch, MZFlush::None);
        total = add(total, r.bytes_written);
        input = input.get(r.bytes_consumed..).unwrap_or_default();
        if total > cap {
            return total;
        }
        match r.status {
            Ok(MZStatus::Ok) if r.bytes_consumed > 0 || r.bytes_written > 0 => {}
            _ => return total,
        }
    }
}

/// GIF blocks: image descriptors are frames; comment and application
/// extensions are metadata.
fn gif(data: &[u8]) -> Cost {
    let mut cost = Cost::default();
    let Some(&flags) = data.get(10) else {
        return cost;
    };
    let mut at = 13 + color_table(flags);
    // Skips data sub-blocks from `at`; the bytes they held, and the end.
    let sub_blocks = |mut at: usize| -> Option<(usize, usize)> {
        let mut bytes = 0;
        loop {
            let n = usize::from(*data.get(at)?);
            at += 1;
            if n == 0 {
                return Some((bytes, at));
            }
            bytes += n;
            at += n;
        }
    };
    while let Some(&block) = data.get(at) {
        match block {
            0x21 => {
                let Some(&label) = data.get(at + 1) else {
                    break;
                };
                let Some((bytes, end)) = sub_blocks(at + 2) else {
                    break;
                };
                if label == 0xFE || label == 0xFF {
                    cost.metadata = add(cost.metadata, bytes);
                }
                at = end;
            }
            0x2C => {
                let Some(&flags) = data.get(at + 9) else {
                    break;
                };
                cost.frames += 1;
                // descriptor (10 bytes), local colour table, LZW code size
                let Some((_, end)) = sub_blocks(at + 10 + color_table(flags) + 1) else {
                    break;
                };
                at = end;
            }
            _ => break, // the trailer, or garbage
        }
    }
    cost
}

fn color_table(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 7) + 1)
    }
}

/// RIFF chunks: `ANMF` frames; `EXIF`, `XMP `, `ICCP` metadata.
fn webp(data: &[u8]) -> Cost {
    let mut cost = Cost::default();
    for (kind, len, _) in super::markers::webp_chunks(data) {
        match kind {
            b"ANMF" => cost.frames += 1,
            b"EXIF" | b"XMP " | b"ICCP" => cost.metadata = add(cost.metadata, len),
            _ => {}
        }
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        // A stored (uncompressed) zlib stream: enough for the length walk.
        let mut out = vec![0x78, 0x01];
        for (i, chunk) in bytes.chunks(65535).enumerate() {
            let last = (i + 1) * 65535 >= bytes.len();
            out.push(u8::from(last));
            let n = chunk.len() as u16;
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&(!n).to_le_bytes());
            out.extend_from_slice(chunk);
        }
        out.extend_from_slice(&[0, 0, 0, 0]); // Adler-32, not checked here
        out
    }

    #[test]
    fn inflated_length_is_counted_and_bounded() {
        let z = zlib(&[7u8; 200_000]);
        assert_eq!(inflated_len(&z, 1 << 20), 200_000);
        let bounded = inflated_len(&z, 1000);
        assert!(bounded > 1000 && bounded <= 1000 + (64 << 10), "{bounded}");
        assert_eq!(inflated_len(b"not zlib", 1000), 0);
        let cut = inflated_len(&z[..z.len() / 2], 1 << 20);
        assert!(
            (65535..200_000).contains(&cut),
            "a cut stream counts what it gave: {cut}"
        );
    }

    fn png_chunk(kind: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out.extend_from_slice(&[0; 4]);
        out
    }

    #[test]
    fn png_text_and_profiles_count_inflated() {
        let mut file = b"\x89PNG\r\n\x1a\n".to_vec();
        file.extend(png_chunk(b"IHDR", &[0; 13]));
        file.extend(png_chunk(b"tEXt", b"Title\0hello"));
        file.extend(png_chunk(
            b"zTXt",
            &[&b"Comment\0\0"[..], &zlib(&[0; 5000])].concat(),
        ));
        file.extend(png_chunk(
            b"iCCP",
            &[&b"icc\0\0"[..], &zlib(&[0; 3000])].concat(),
        ));
        file.extend(png_chunk(
            b"iTXt",
            &[&b"XML\0\x01\0en\0\0"[..], &zlib(&[0; 2000])].concat(),
        ));
        file.extend(png_chunk(b"iTXt", b"Plain\0\0\0\0\0text"));
        file.extend(png_chunk(b"IDAT", &[0; 100]));
        file.extend(png_chunk(b"IEND", &[]));
        let cost = png(&file, 1 << 20);
        assert_eq!(cost.frames, 1);
        assert_eq!(cost.metadata, 11 + 5000 + 3000 + (10 + 2000) + 14);
    }

    #[test]
    fn gif_frames_and_comments_are_counted() {
        let mut file = b"GIF89a\x10\x00\x10\x00\x80\x00\x00".to_vec();
        file.extend_from_slice(&[0; 6]); // 2-colour global table
        file.extend_from_slice(b"\x21\xfe\x05hello\x00"); // comment
        for _ in 0..3 {
            file.extend_from_slice(b"\x21\xf9\x04\x00\x01\x00\x00\x00");
            file.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
        }
        file.push(0x3b);
        assert_eq!(
            gif(&file),
            Cost {
                frames: 3,
                metadata: 5
            }
        );
        let limits = Limits {
            max_source_pixels: 600,
            max_output_pixels: 1,
            max_metadata_bytes: 100,
            max_animation_frames: 1000,
        };
        let frames = measure(&file, Format::Gif, &limits).unwrap();
        assert!(frames.check(14, 14, &limits).is_ok()); // 3 × 196 ≤ 600
        let err = frames.check(20, 20, &limits).unwrap_err();
        assert!(matches!(
            err,
            TransformError::AnimationTooLarge { frames: 3, .. }
        ));
        let tight = Limits {
            max_metadata_bytes: 4,
            max_animation_frames: 1000,
            ..limits
        };
        let err = measure(&file, Format::Gif, &tight).unwrap_err();
        assert!(matches!(
            err,
            TransformError::MetadataTooLarge { bytes: 5, limit: 4 }
        ));
        assert!(
            gif(&file[..file.len() - 10]).frames == 2,
            "a cut file counts what it has"
        );
    }

    #[test]
    fn jpeg_and_webp_metadata_is_counted() {
        let mut jpeg_file = vec![0xFF, 0xD8];
        for (marker, n) in [(0xE1u8, 1000usize), (0xE2, 500), (0xDB, 67), (0xFE, 10)] {
            jpeg_file.extend_from_slice(&[0xFF, marker]);
            jpeg_file.extend_from_slice(&((n + 2) as u16).to_be_bytes());
            jpeg_file.extend(std::iter::repeat_n(0, n));
        }
        jpeg_file.extend_from_slice(&[0xFF, 0xDA, 0, 2]);
        assert_eq!(jpeg(&jpeg_file).metadata, 1510);

        let mut webp_file = b"RIFF\0\0\0\0WEBP".to_vec();
        for (kind, n) in [
            (b"VP8X", 10usize),
            (b"ICCP", 301),
            (b"ANMF", 20),
            (b"ANMF", 20),
        ] {
            webp_file.extend_from_slice(kind);
            webp_file.extend_from_slice(&(n as u32).to_le_bytes());
            webp_file.extend(std::iter::repeat_n(0, n + n % 2));
        }
        assert_eq!(
            webp(&webp_file),
            Cost {
                frames: 2,
                metadata: 301
            }
        );
    }
}
