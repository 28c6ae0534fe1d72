//! The image pipeline: decode (shrink-on-load) → orient → scale → encode.
//! Pure: bytes and options in, bytes out.

mod codec;
mod geometry;
mod orient;
mod resize;

use crate::{Options, TransformError};

pub use codec::{sniff, Format};
pub use geometry::{plan_size, SizePlan};

/// Options this build applies. Any other valid option answers "not available".
pub const SUPPORTED: [&str; 10] = [
    "w",
    "h",
    "s",
    "thumbnail",
    "scale.option",
    "dpr",
    "format",
    "q",
    "subsampling",
    "progressive",
];

/// Safety limits, from the server's `[limits]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_source_pixels: u64,
    pub max_output_pixels: u64,
}

/// An encoded result.
#[derive(Debug, Clone)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

/// Fails with the first option this build cannot apply.
pub fn check_supported(options: &Options) -> Result<(), TransformError> {
    for (name, value) in options.iter() {
        if !SUPPORTED.contains(&name) {
            return Err(TransformError::Unsupported(name.to_owned()));
        }
        if name == "format" && !matches!(value, "jpg" | "jpeg" | "png" | "original") {
            return Err(TransformError::Unsupported(format!("format={value}")));
        }
    }
    Ok(())
}

/// The output format for a source format and options.
pub fn output_format(source: Format, options: &Options) -> Result<Format, TransformError> {
    match options.get("format") {
        Some("jpg" | "jpeg") => Ok(Format::Jpeg),
        Some("png") => Ok(Format::Png),
        Some("original") | None => match source {
            Format::Jpeg => Ok(Format::Jpeg),
            Format::Png => Ok(Format::Png),
            other => Err(TransformError::Unsupported(format!(
                "{} output",
                other.name()
            ))),
        },
        Some(other) => Err(TransformError::Unsupported(format!("format={other}"))),
    }
}

/// Runs the pipeline on a whole source file.
pub fn process(
    source: &[u8],
    options: &Options,
    limits: &Limits,
) -> Result<Output, TransformError> {
    check_supported(options)?;
    let format =
        sniff(source).ok_or_else(|| TransformError::NotAnImage("unknown file signature".into()))?;
    let out_format = output_format(format, options)?;
    let header = codec::probe(source, format)?;
    let pixels = u64::from(header.width) * u64::from(header.height);
    if pixels > limits.max_source_pixels {
        return Err(TransformError::SourceTooLarge {
            width: header.width.into(),
            height: header.height.into(),
            limit: limits.max_source_pixels,
        });
    }
    let (ow, oh) = header.orientation.oriented(header.width, header.height);
    let plan = plan_size(ow, oh, options);
    let out_pixels = u64::from(plan.width) * u64::from(plan.height);
    if out_pixels > limits.max_output_pixels {
        return Err(TransformError::OutputTooLarge {
            width: plan.width.into(),
            height: plan.height.into(),
            limit: limits.max_output_pixels,
        });
    }
    // Shrink-on-load wants the size in stored (pre-orientation) axes.
    let (stored_w, stored_h) = header.orientation.oriented(plan.resize_w, plan.resize_h);
    let decoded = codec::decode(source, format, &header, stored_w, stored_h)?;
    let oriented = orient::apply(decoded, header.orientation);
    let resized = resize::resize(oriented, &plan)?;
    codec::encode(&resized, out_format, options)
}

/// Decoded pixels: 8-bit RGB or RGBA, rows packed.
#[derive(Debug, Clone)]
pub(crate) struct Pixels {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) channels: u8,
    pub(crate) data: Vec<u8>,
}

#[cfg(test)]
mod tests;
