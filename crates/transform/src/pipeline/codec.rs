//! Formats: sniffing, header-only probing, decoding (JPEG through
//! libjpeg-turbo with DCT shrink-on-load, the rest through `image`), colour
//! management (embedded ICC profiles are converted to sRGB with `qcms`) and
//! encoding (JPEG through libjpeg-turbo, WebP through libwebp, AVIF through
//! `ravif`/rav1e, PNG and GIF through `image`).

use std::io::Cursor;
use std::sync::OnceLock;

use image::{ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use turbojpeg::{Decompressor, PixelFormat, ScalingFactor};

use super::markers::jpeg_icc;
use super::orient::{jpeg_orientation, Orientation};
use super::scans;
use super::Pixels;
use crate::plan::{Encode, Subsampling};
use crate::TransformError;

/// An image format signet reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
    Avif,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::WebP => "webp",
            Format::Avif => "avif",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::WebP => "image/webp",
            Format::Avif => "image/avif",
        }
    }
}

/// The format by the file's first bytes (never by its name).
pub fn sniff(data: &[u8]) -> Option<Format> {
    match data {
        [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Format::Png),
        [b'G', b'I', b'F', b'8', ..] => Some(Format::Gif),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Format::WebP),
        [_, _, _, _, b'f', b't', b'y', b'p', b'a', b'v', b'i', b'f' | b's', ..] => {
            Some(Format::Avif)
        }
        _ => None,
    }
}

/// What the header says, read without decoding pixels.
pub(crate) struct Header {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) orientation: Orientation,
}

fn not_an_image(e: impl std::fmt::Display) -> TransformError {
    TransformError::NotAnImage(e.to_string())
}

fn image_format(f: Format) -> Result<ImageFormat, TransformError> {
    match f {
        Format::Jpeg => Ok(ImageFormat::Jpeg),
        Format::Png => Ok(ImageFormat::Png),
        Format::Gif => Ok(ImageFormat::Gif),
        Format::WebP => Ok(ImageFormat::WebP),
        Format::Avif => Err(not_an_image(
            "AVIF sources cannot be decoded by this build (AVIF is an output format only)",
        )),
    }
}

pub(crate) fn probe(data: &[u8], format: Format) -> Result<Header, TransformError> {
    if format == Format::Jpeg {
        let h = turbojpeg::read_header(data).map_err(not_an_image)?;
        let (width, height) = (dim(h.width)?, dim(h.height)?);
        return Ok(Header {
            width,
            height,
            orientation: jpeg_orientation(data),
        });
    }
    let mut reader = ImageReader::new(Cursor::new(data));
    reader.set_format(image_format(format)?);
    let (width, height) = reader.into_dimensions().map_err(not_an_image)?;
    if width == 0 || height == 0 {
        return Err(not_an_image("zero-sized image"));
    }
    Ok(Header {
        width,
        height,
        orientation: Orientation::NORMAL,
    })
}

fn dim(v: usize) -> Result<u32, TransformError> {
    u32::try_from(v)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| not_an_image("bad dimensions"))
}

/// Decodes, for JPEG at the smallest DCT scale (1/8, 1/4, 1/2) whose result
/// still covers `min_w`×`min_h` in stored axes.
pub(crate) fn decode(
    data: &[u8],
    format: Format,
    header: &Header,
    min_w: u32,
    min_h: u32,
) -> Result<Pixels, TransformError> {
    if format == Format::Jpeg {
        return decode_jpeg(data, header, min_w, min_h);
    }
    if format == Format::WebP {
        if let Some(p) = decode_still_webp(data, header) {
            return Ok(p);
        }
    }
    let mut reader = ImageReader::new(Cursor::new(data));
    reader.set_format(image_format(format)?);
    let mut decoder = reader.into_decoder().map_err(not_an_image)?;
    let has_alpha = decoder.color_type().has_alpha();
    let icc = decoder.icc_profile().ok().flatten();
    let img = image::DynamicImage::from_decoder(decoder).map_err(not_an_image)?;
    let (width, height) = (img.width(), img.height());
    let (channels, data) = if has_alpha {
        (4, img.into_rgba8().into_raw())
    } else {
        (3, img.into_rgb8().into_raw())
    };
    let mut p = Pixels {
        width,
        height,
        channels,
        data,
    };
    to_srgb(&mut p, icc.as_deref());
    Ok(p)
}

/// Decodes a still WebP with libwebp (about twice as fast as the pure-Rust
/// decoder in `image`), when its bitstream agrees with the header that was
/// budgeted. Animations, disagreements and failures give `None`: the
/// `image` decoder then takes over and words the error.
pub(crate) fn decode_still_webp(data: &[u8], header: &Header) -> Option<Pixels> {
    let features = webp::BitstreamFeatures::new(data)?;
    if features.has_animation()
        || features.width() != header.width
        || features.height() != header.height
    {
        return None;
    }
    let image = webp::Decoder::new(data).decode()?;
    let channels = if features.has_alpha() { 4 } else { 3 };
    let expected = header.width as usize * header.height as usize * channels;
    if image.width() != header.width || image.height() != header.height || image.len() != expected {
        return None;
    }
    let mut p = Pixels {
        width: header.width,
        height: header.height,
        channels: channels as u8,
        data: image.to_vec(),
    };
    let icc = super::markers::webp_chunks(data)
        .find(|(kind, _, _)| *kind == b"ICCP")
        .map(|(_, _, payload)| payload);
    to_srgb(&mut p, icc);
    Some(p)
}

/// Converts pixels from an embedded ICC profile to sRGB in place. Profiles
/// that are missing, unreadable or not RGB leave the pixels as they are
/// (read as sRGB), which is what browsers do too.
pub(crate) fn to_srgb(p: &mut Pixels, icc: Option<&[u8]>) {
    static SRGB: OnceLock<Box<qcms::Profile>> = OnceLock::new();
    let Some(icc) = icc else { return };
    // An RGB profile's colour space field.
    if icc.get(16..20) != Some(b"RGB ") {
        return;
    }
    let Some(input) = qcms::Profile::new_from_slice(icc, false) else {
        return;
    };
    let output = SRGB.get_or_init(|| {
        let mut p = qcms::Profile::new_sRGB();
        p.precache_output_transform();
        p
    });
    let ty = if p.channels == 4 {
        qcms::DataType::RGBA8
    } else {
        qcms::DataType::RGB8
    };
    if let Some(t) = qcms::Transform::new(&input, output, ty, qcms::Intent::Perceptual) {
        t.apply(&mut p.data);
    }
}

fn decode_jpeg(
    data: &[u8],
    header: &Header,
    min_w: u32,
    min_h: u32,
) -> Result<Pixels, TransformError> {
    let mut d = Decompressor::new().map_err(not_an_image)?;
    let h = d.read_header(data).map_err(not_an_image)?;
    let scale = [8, 4, 2]
        .into_iter()
        .map(|den| ScalingFactor::new(1, den))
        .find(|sf| {
            let s = h.scaled(*sf);
            s.width as u64 >= u64::from(min_w) && s.height as u64 >= u64::from(min_h)
        })
        .unwrap_or(ScalingFactor::ONE);
    // At 1/8 only DC terms are read: a progressive file's AC scans can go
    // unread (scans.rs). Anything that does not fit takes the whole stream.
    let fast = if scale == ScalingFactor::new(1, 8) {
        scans::dc_only(data)
            .ok()
            .and_then(|dc| decompress(&mut d, &dc, scale, &h).ok())
    } else {
        None
    };
    let mut p = match fast {
        Some(p) => p,
        None => decompress(&mut d, data, scale, &h)?,
    };
    debug_assert!(header.width >= p.width);
    to_srgb(&mut p, jpeg_icc(data).as_deref());
    Ok(p)
}

/// A whole JPEG stream at 1/8, as RGB (for the differential fuzz target).
pub(crate) fn jpeg_at_eighth(data: &[u8]) -> Result<Pixels, TransformError> {
    let mut d = Decompressor::new().map_err(not_an_image)?;
    let h = d.read_header(data).map_err(not_an_image)?;
    decompress(&mut d, data, ScalingFactor::new(1, 8), &h)
}

/// Decodes a JPEG stream whose header is `h` at `scale`, as RGB.
fn decompress(
    d: &mut Decompressor,
    data: &[u8],
    scale: ScalingFactor,
    h: &turbojpeg::DecompressHeader,
) -> Result<Pixels, TransformError> {
    d.set_scaling_factor(scale).map_err(not_an_image)?;
    let s = h.scaled(scale);
    let mut pixels = vec![0u8; s.width * s.height * 3];
    let image = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: s.width,
        pitch: s.width * 3,
        height: s.height,
        format: PixelFormat::RGB,
    };
    d.decompress(data, image).map_err(not_an_image)?;
    Ok(Pixels {
        width: dim(s.width)?,
        height: dim(s.height)?,
        channels: 3,
        data: pixels,
    })
}

/// Encodes to `format` with the plan's quality, subsampling and progressive
/// settings.
pub(crate) fn encode(
    p: &Pixels,
    format: Format,
    settings: &Encode,
) -> Result<super::Output, TransformError> {
    let fail = |e: String| TransformError::Encode(e);
    let bytes = match format {
        Format::Jpeg => {
            let rgb;
            let data = if p.channels == 4 {
                rgb = flatten_on_white(&p.data);
                &rgb
            } else {
                &p.data
            };
            let quality = i32::from(settings.quality);
            let mut c = turbojpeg::Compressor::new().map_err(|e| fail(e.to_string()))?;
            c.set_quality(quality).map_err(|e| fail(e.to_string()))?;
            let subsamp = match settings.subsampling {
                Subsampling::Sub444 => turbojpeg::Subsamp::None,
                Subsampling::Sub420 => turbojpeg::Subsamp::Sub2x2,
            };
            c.set_subsamp(subsamp).map_err(|e| fail(e.to_string()))?;
            c.set_progressive(settings.progressive)
                .map_err(|e| fail(e.to_string()))?;
            // Huffman tables fitted to the image (an extra pass over the
            // coefficients, well under a millisecond at web sizes): the same
            // pixels in 10-40 % fewer bytes, as sharp and Pillow do.
            c.set_optimize(true).map_err(|e| fail(e.to_string()))?;
            let image = turbojpeg::Image {
                pixels: data.as_slice(),
                width: p.width as usize,
                pitch: p.width as usize * 3,
                height: p.height as usize,
                format: PixelFormat::RGB,
            };
            c.compress_to_vec(image).map_err(|e| fail(e.to_string()))?
        }
        Format::Png => {
            let mut out = Vec::new();
            let encoder = image::codecs::png::PngEncoder::new_with_quality(
                &mut out,
                image::codecs::png::CompressionType::Fast,
                image::codecs::png::FilterType::Adaptive,
            );
            let color = if p.channels == 4 {
                image::ExtendedColorType::Rgba8
            } else {
                image::ExtendedColorType::Rgb8
            };
            encoder
                .write_image(&p.data, p.width, p.height, color)
                .map_err(|e| fail(e.to_string()))?;
            out
        }
        Format::WebP => {
            let encoder = if p.channels == 4 {
                webp::Encoder::from_rgba(&p.data, p.width, p.height)
            } else {
                webp::Encoder::from_rgb(&p.data, p.width, p.height)
            };
            let quality = f32::from(settings.quality);
            let memory = encoder
                .encode_simple(false, quality)
                .map_err(|e| fail(format!("webp: {e:?}")))?;
            memory.to_vec()
        }
        Format::Avif => {
            use rgb::FromSlice;
            let encoder = ravif::Encoder::new()
                .with_quality(f32::from(settings.quality))
                .with_alpha_quality(f32::from(settings.quality))
                .with_speed(AVIF_SPEED)
                .with_num_threads(Some(1));
            let (w, h) = (p.width as usize, p.height as usize);
            let encoded = if p.channels == 4 {
                encoder.encode_rgba(ravif::Img::new(p.data.as_rgba(), w, h))
            } else {
                encoder.encode_rgb(ravif::Img::new(p.data.as_rgb(), w, h))
            };
            encoded.map_err(|e| fail(format!("avif: {e}")))?.avif_file
        }
        Format::Gif => {
            let rgba;
            let data = if p.channels == 4 {
                &p.data
            } else {
                rgba = p.clone().into_rgba().data;
                &rgba
            };
            let mut out = Vec::new();
            {
                let mut encoder = image::codecs::gif::GifEncoder::new_with_speed(&mut out, 10);
                encoder
                    .encode(data, p.width, p.height, image::ExtendedColorType::Rgba8)
                    .map_err(|e| fail(e.to_string()))?;
            }
            out
        }
    };
    Ok(super::Output {
        bytes,
        format,
        width: p.width,
        height: p.height,
    })
}

/// rav1e speed (0 slowest … 10 fastest) for AVIF output.
const AVIF_SPEED: u8 = 8;

/// RGBA over a white background, for formats without alpha.
fn flatten_on_white(rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for px in rgba.chunks_exact(4) {
        let a = u32::from(px[3]);
        for &c in &px[..3] {
            out.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
        }
    }
    out
}
