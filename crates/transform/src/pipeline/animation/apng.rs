//! APNG output (`format=original` on an APNG source) with the `png`
//! crate: every frame whole, replacing the one before, each with its delay.

use super::Kept;
use crate::TransformError;

fn fail(e: impl std::fmt::Display) -> TransformError {
    TransformError::Encode(format!("apng: {e}"))
}

/// Encodes the kept frames; `plays` 0 is forever.
pub(super) fn encode(kept: &Kept, plays: u32, best: bool) -> Result<Vec<u8>, TransformError> {
    let (width, height) = kept.size;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(if best {
        png::Compression::High
    } else {
        png::Compression::Fast
    });
    let count = u32::try_from(kept.frames.len()).map_err(fail)?;
    encoder.set_animated(count, plays).map_err(fail)?;
    let mut writer = encoder.write_header().map_err(fail)?;
    for (data, delay) in &kept.frames {
        // Milliseconds while they fit the 16-bit numerator, else 1/100 s.
        let (num, den) = match u16::try_from(*delay) {
            Ok(ms) => (ms, 1000),
            Err(_) => (u16::try_from(delay / 10).unwrap_or(u16::MAX), 100),
        };
        writer.set_frame_delay(num, den).map_err(fail)?;
        writer.write_image_data(data).map_err(fail)?;
    }
    writer.finish().map_err(fail)?;
    Ok(out)
}
