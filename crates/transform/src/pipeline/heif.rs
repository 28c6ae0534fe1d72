//! AVIF and HEIC sources through libheif (built from the crate's embedded
//! sources; AV1 by dav1d or libaom, HEVC by libde265, docs/formats.md):
//! grids, `irot`/`imir`/`clap` applied by libheif, 10- and 12-bit images
//! reduced to 8 bits by it, alpha, and the colour of the `colr` box (an
//! ICC profile or nclx code points) converted to sRGB here.

use libheif_rs::{ColorSpace, DecodingOptions, HeifContext, ImageHandle, LibHeif, RgbChroma};

use super::codec::Header;
use super::{colour, Pixels};
use crate::plan::{Encode, Subsampling};
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

/// Encodes AVIF with libaom through libheif, in libaom's all-intra mode at
/// `speed` (libaom's `cpu-used`, 0 slowest … 9 fastest), one thread. The
/// quality goes to libheif as it is, as sharp passes its `quality`, and the
/// chroma is 4:4:4 unless asked, as sharp's: a `q` gives what sharp gives
/// at that quality and effort `9 - speed`.
pub(crate) fn encode_avif(
    p: &Pixels,
    settings: &Encode,
    speed: u8,
) -> Result<Vec<u8>, TransformError> {
    let quality = settings.quality;
    let fail = |e: libheif_rs::HeifError| TransformError::Encode(format!("avif: {}", e.message));
    let chroma = if p.has_alpha() {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    let mut image =
        libheif_rs::Image::new(p.width, p.height, ColorSpace::Rgb(chroma)).map_err(fail)?;
    image
        .create_plane(libheif_rs::Channel::Interleaved, p.width, p.height, 8)
        .map_err(fail)?;
    let row = p.width as usize * usize::from(p.channels);
    {
        let planes = image.planes_mut();
        let plane = planes
            .interleaved
            .ok_or_else(|| TransformError::Encode("avif: no interleaved plane".into()))?;
        for (y, line) in p.data.chunks_exact(row).enumerate() {
            let start = y * plane.stride;
            plane.data[start..start + row].copy_from_slice(line);
        }
    }
    let lib = LibHeif::new();
    let mut encoder = lib
        .encoder_for_format(libheif_rs::CompressionFormat::Av1)
        .map_err(fail)?;
    encoder
        .set_quality(libheif_rs::EncoderQuality::Lossy(quality.min(100)))
        .map_err(fail)?;
    let int = libheif_rs::EncoderParameterValue::Int;
    encoder
        .set_parameter_value("speed", int(i32::from(speed.min(9))))
        .map_err(fail)?;
    encoder
        .set_parameter_value("threads", int(1))
        .map_err(fail)?;
    let chroma = match settings.avif_subsampling {
        Subsampling::Sub444 => "444",
        Subsampling::Sub420 => "420",
        Subsampling::Sub422 => "422",
    };
    encoder
        .set_parameter_value(
            "chroma",
            libheif_rs::EncoderParameterValue::String(chroma.into()),
        )
        .map_err(fail)?;
    let mut ctx = HeifContext::new().map_err(fail)?;
    ctx.encode_image(&image, &mut encoder, None).map_err(fail)?;
    ctx.write_to_bytes().map_err(fail)
}
