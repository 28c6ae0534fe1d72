//! AVIF and HEIC sources through libheif (built from the crate's embedded
//! sources; AV1 by dav1d or libaom, HEVC by libde265, docs/formats.md):
//! grids, `irot`/`imir`/`clap` applied by libheif, 10- and 12-bit images
//! reduced to 8 bits by it, alpha, and the colour of the `colr` box (an
//! ICC profile or nclx code points) converted to sRGB here.

use libheif_rs::{ColorSpace, DecodingOptions, HeifContext, ImageHandle, LibHeif, RgbChroma};

use super::codec::Header;
use super::{colour, Pixels};
use crate::TransformError;

/// Grid tiles per image: an iPhone's 48 MP photo has 192; every tile is a
/// separate decode, so a grid of millions of 1-pixel tiles is refused.
const MAX_TILES: u64 = 4096;

fn failed(e: libheif_rs::HeifError) -> TransformError {
    TransformError::NotAnImage(format!("heif: {}", e.message))
}

fn context(data: &[u8]) -> Result<HeifContext<'_>, TransformError> {
    let mut ctx = HeifContext::new().map_err(failed)?;
    let mut limits = ctx.security_limits();
    limits.set_max_number_of_tiles(MAX_TILES);
    ctx.set_security_limits(&limits).map_err(failed)?;
    // The server runs one transform per core already.
    ctx.set_max_decoding_threads(1);
    ctx.read_bytes(data).map_err(failed)?;
    Ok(ctx)
}

fn primary(ctx: &HeifContext<'_>) -> Result<ImageHandle, TransformError> {
    ctx.primary_image_handle().map_err(failed)
}

/// The primary image's displayed size (after its rotation and mirroring),
/// from the container alone.
pub(crate) fn size(data: &[u8]) -> Result<(u32, u32), TransformError> {
    let ctx = context(data)?;
    let handle = primary(&ctx)?;
    Ok((handle.width(), handle.height()))
}

/// Decodes the primary image, oriented, in sRGB, 8 bits per channel.
pub(crate) fn decode(data: &[u8], header: &Header) -> Result<Pixels, TransformError> {
    let ctx = context(data)?;
    let handle = primary(&ctx)?;
    if (handle.width(), handle.height()) != (header.width, header.height) {
        return Err(TransformError::NotAnImage(
            "heif: the image changed size between reads".into(),
        ));
    }
    let alpha = handle.has_alpha_channel();
    let chroma = if alpha {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    // Strict: a grid with a missing or broken tile is an error, not an
    // image with holes.
    let mut options = DecodingOptions::new()
        .ok_or_else(|| TransformError::NotAnImage("heif: out of memory".into()))?;
    options.set_strict_decoding(true);
    let image = LibHeif::new()
        .decode(&handle, ColorSpace::Rgb(chroma), Some(options))
        .map_err(failed)?;
    let plane = image
        .planes()
        .interleaved
        .ok_or_else(|| TransformError::NotAnImage("heif: no interleaved plane".into()))?;
    let channels: usize = if alpha { 4 } else { 3 };
    let (width, height) = (plane.width, plane.height);
    let row = width as usize * channels;
    if plane.bits_per_pixel != 8 || plane.stride < row {
        return Err(TransformError::NotAnImage(format!(
            "heif: unexpected {}-bit plane",
            plane.bits_per_pixel
        )));
    }
    let mut pixels = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        let start = y * plane.stride;
        let line = plane
            .data
            .get(start..start + row)
            .ok_or_else(|| TransformError::NotAnImage("heif: short plane".into()))?;
        pixels.extend_from_slice(line);
    }
    let mut p = Pixels {
        width,
        height,
        channels: channels as u8,
        data: pixels,
    };
    if let Some(icc) = handle.color_profile_raw() {
        colour::to_srgb(&mut p, Some(&icc.data));
    } else if let Some(nclx) = handle.color_profile_nclx() {
        colour::cicp_to_srgb(
            &mut p,
            nclx.color_primaries() as u8,
            nclx.transfer_characteristics() as u8,
        );
    }
    Ok(p)
}
