//! APNG output (`format=original` on an APNG source) with the `png`
//! crate: every frame whole, replacing the one before, each with its delay.

use crate::pipeline::Pixels;
use crate::TransformError;

fn fail(e: impl std::fmt::Display) -> TransformError {
    TransformError::Encode(format!("apng: {e}"))
}

pub(super) struct Writer {
    /// Times the animation plays; 0 is forever.
    plays: u32,
    size: (u32, u32),
    frames: Vec<(Vec<u8>, u32)>,
}

impl Writer {
    pub(super) fn new(plays: u32) -> Writer {
        Writer {
            plays,
            size: (0, 0),
            frames: Vec::new(),
        }
    }

    /// Adds an RGBA frame (every frame the same size). `acTL` comes first
    /// and holds the frame count, so the frames are kept until the end.
    pub(super) fn push(&mut self, p: &Pixels, delay_ms: u32) -> Result<(), TransformError> {
        if self.frames.is_empty() {
            self.size = (p.width, p.height);
        }
        if (p.width, p.height) != self.size {
            return Err(fail("frames of different sizes"));
        }
        self.frames.push((p.data.clone(), delay_ms));
        Ok(())
    }

    pub(super) fn finish(self) -> Result<Vec<u8>, TransformError> {
        let (width, height) = self.size;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let count = u32::try_from(self.frames.len()).map_err(fail)?;
        encoder.set_animated(count, self.plays).map_err(fail)?;
        let mut writer = encoder.write_header().map_err(fail)?;
        for (data, delay) in &self.frames {
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
}
