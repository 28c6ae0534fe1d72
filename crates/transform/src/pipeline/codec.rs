//! Formats: sniffing, header-only probing, decoding (JPEG through
//! libjpeg-turbo with DCT shrink-on-load, still WebP through libwebp, AVIF
//! and HEIC through libheif (`heif.rs`), JPEG XL (`jxl.rs`), SVG (`svg.rs`),
//! the rest through `image`), colour management (`colour.rs`) and
//! encoding (JPEG through libjpeg-turbo, WebP through libwebp, AVIF through
//! libheif/libaom, PNG and GIF through `image`).

use std::io::Cursor;

use image::{ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use turbojpeg::{Decompressor, PixelFormat, ScalingFactor};

use super::colour;
use super::markers::jpeg_icc;
use super::orient::{jpeg_orientation, Orientation};
use super::scans;
use super::Pixels;
use crate::plan::{Encode, Subsampling};
use crate::TransformError;

/// An image format signet reads (all of them) or writes (see
/// [`Format::is_output`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
    Avif,
    /// HEIC/HEIF (HEVC in an ISO-BMFF container), as phones save them.
    Heic,
    Tiff,
    Bmp,
    Ico,
    Jxl,
    Svg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::WebP => "webp",
            Format::Avif => "avif",
            Format::Heic => "heic",
            Format::Tiff => "tiff",
            Format::Bmp => "bmp",
            Format::Ico => "ico",
            Format::Jxl => "jxl",
            Format::Svg => "svg",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::WebP => "image/webp",
            Format::Avif => "image/avif",
            Format::Heic => "image/heic",
            Format::Tiff => "image/tiff",
            Format::Bmp => "image/bmp",
            Format::Ico => "image/vnd.microsoft.icon",
            Format::Jxl => "image/jxl",
            Format::Svg => "image/svg+xml",
        }
    }

    /// Whether signet encodes this format. A source in any other format
    /// asked for as itself (`format=original`) is written as JPEG, or PNG
    /// when it has transparency.
    pub fn is_output(self) -> bool {
        matches!(
            self,
            Format::Jpeg | Format::Png | Format::Gif | Format::WebP | Format::Avif
        )
    }
}

/// The format by the file's first bytes (never by its name).
pub fn sniff(data: &[u8]) -> Option<Format> {
    match data {
        [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Format::Png),
        [b'G', b'I', b'F', b'8', ..] => Some(Format::Gif),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Format::WebP),
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => heif_brand(data),
        [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Some(Format::Tiff),
        // BITMAPFILEHEADER: "BM", file size, two reserved zero words.
        [b'B', b'M', _, _, _, _, 0, 0, 0, 0, ..] => Some(Format::Bmp),
        // ICONDIR: reserved 0, type 1 (icon), at least one image.
        [0, 0, 1, 0, n0, n1, ..] if (*n0, *n1) != (0, 0) => Some(Format::Ico),
        // A bare codestream, or the ISO-BMFF container's signature box.
        [0xFF, 0x0A, ..] | [0, 0, 0, 0x0C, b'J', b'X', b'L', b' ', 0x0D, 0x0A, 0x87, 0x0A, ..] => {
            Some(Format::Jxl)
        }
        _ if super::svg::looks_like_svg(data) => Some(Format::Svg),
        _ => None,
    }
}

/// AVIF or HEIC from an ISO-BMFF `ftyp` box's major and compatible brands:
/// any AV1 brand makes it AVIF (libavif writes `mif1` first), any HEVC or
/// generic HEIF brand HEIC.
fn heif_brand(data: &[u8]) -> Option<Format> {
    let size = usize::try_from(u32::from_be_bytes(data.get(..4)?.try_into().ok()?)).ok()?;
    let ftyp = data.get(8..size.min(data.len()).min(4096))?;
    // major brand, minor version, then compatible brands
    let brands = ftyp
        .chunks_exact(4)
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, b)| b);
    let mut heif = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some(Format::Avif),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                heif = true
            }
            _ => {}
        }
    }
    heif.then_some(Format::Heic)
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

/// The formats decoded by `image`.
fn image_format(f: Format) -> Option<ImageFormat> {
    match f {
        Format::Png => Some(ImageFormat::Png),
        Format::Gif => Some(ImageFormat::Gif),
        Format::WebP => Some(ImageFormat::WebP),
        Format::Tiff => Some(ImageFormat::Tiff),
        Format::Bmp => Some(ImageFormat::Bmp),
        Format::Ico => Some(ImageFormat::Ico),
        Format::Jpeg | Format::Avif | Format::Heic | Format::Jxl | Format::Svg => None,
    }
}

pub(crate) fn probe(data: &[u8], format: Format) -> Result<Header, TransformError> {
    let (width, height, orientation) = match format {
        Format::Jpeg => {
            let h = turbojpeg::read_header(data).map_err(not_an_image)?;
            (dim(h.width)?, dim(h.height)?, jpeg_orientation(data))
        }
        // These decoders apply the file's own orientation (irot/imir, the
        // JXL header): their size is the displayed one.
        Format::Avif | Format::Heic => with_normal(super::heif::size(data)?),
        Format::Jxl => with_normal(super::jxl::size(data)?),
        Format::Svg => with_normal(super::svg::size(data)?),
        _ => image_header(data, format)?,
    };
    if width == 0 || height == 0 {
        return Err(not_an_image("zero-sized image"));
    }
    Ok(Header {
        width,
        height,
        orientation,
    })
}

fn with_normal((w, h): (u32, u32)) -> (u32, u32, Orientation) {
    (w, h, Orientation::NORMAL)
}

/// Size, and for TIFF its `Orientation` tag (the other formats `image`
/// reads are shown as stored, as before).
fn image_header(data: &[u8], format: Format) -> Result<(u32, u32, Orientation), TransformError> {
    let kind = image_format(format).ok_or_else(|| not_an_image("no decoder"))?;
    let mut reader = ImageReader::new(Cursor::new(data));
    reader.set_format(kind);
    let mut decoder = reader.into_decoder().map_err(not_an_image)?;
    let (w, h) = decoder.dimensions();
    let orientation = match format {
        Format::Tiff => decoder
            .orientation()
            .map_or(Orientation::NORMAL, |o| Orientation(o.to_exif())),
        _ => Orientation::NORMAL,
    };
    Ok((w, h, orientation))
}

fn dim(v: usize) -> Result<u32, TransformError> {
    u32::try_from(v)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| not_an_image("bad dimensions"))
}

/// Decodes, for JPEG at the smallest DCT scale (1/8, 1/4, 1/2) whose result
/// still covers `min_w`×`min_h` in stored axes, for SVG rendered to cover
/// it in at most `max_pixels`.
pub(crate) fn decode(
    data: &[u8],
    format: Format,
    header: &Header,
    (min_w, min_h): (u32, u32),
    max_pixels: u64,
) -> Result<Pixels, TransformError> {
    match format {
        Format::Jpeg => return decode_jpeg(data, header, min_w, min_h),
        Format::Avif | Format::Heic => return super::heif::decode(data, header),
        Format::Jxl => return super::jxl::decode(data, header),
        Format::Svg => return super::svg::render(data, (min_w, min_h), max_pixels),
        Format::WebP => {
            if let Some(p) = decode_still_webp(data, header) {
                return Ok(p);
            }
        }
        _ => {}
    }
    let kind = image_format(format).ok_or_else(|| not_an_image("no decoder"))?;
    let mut reader = ImageReader::new(Cursor::new(data));
    reader.set_format(kind);
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
    colour::to_srgb(&mut p, icc.as_deref());
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
    colour::to_srgb(&mut p, icc);
    Some(p)
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
    let icc = jpeg_icc(data);
    if p.channels == 4 {
        // CMYK or YCCK, which libjpeg-turbo gives as CMYK.
        return Ok(colour::cmyk_to_rgb(p, icc.as_deref(), adobe_marker(data)));
    }
    colour::to_srgb(&mut p, icc.as_deref());
    Ok(p)
}

/// Whether the JPEG has an Adobe `APP14` segment. Photoshop, ImageMagick
/// and libjpeg write one with every CMYK file and store the inks inverted
/// (255 = no ink), which is how browsers read such files too.
fn adobe_marker(data: &[u8]) -> bool {
    super::markers::jpeg_segments(data)
        .any(|(marker, payload)| marker == 0xEE && payload.starts_with(b"Adobe"))
}

/// A whole JPEG stream at 1/8, as RGB (for the differential fuzz target).
pub(crate) fn jpeg_at_eighth(data: &[u8]) -> Result<Pixels, TransformError> {
    let mut d = Decompressor::new().map_err(not_an_image)?;
    let h = d.read_header(data).map_err(not_an_image)?;
    decompress(&mut d, data, ScalingFactor::new(1, 8), &h)
}

/// Decodes a JPEG stream whose header is `h` at `scale`: as RGB, or for a
/// CMYK/YCCK file as its four inks (`channels` 4, not alpha).
fn decompress(
    d: &mut Decompressor,
    data: &[u8],
    scale: ScalingFactor,
    h: &turbojpeg::DecompressHeader,
) -> Result<Pixels, TransformError> {
    d.set_scaling_factor(scale).map_err(not_an_image)?;
    let s = h.scaled(scale);
    let (format, channels) = match h.colorspace {
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK => (PixelFormat::CMYK, 4),
        _ => (PixelFormat::RGB, 3),
    };
    let mut pixels = vec![0u8; s.width * s.height * channels];
    let image = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: s.width,
        pitch: s.width * channels,
        height: s.height,
        format,
    };
    d.decompress(data, image).map_err(not_an_image)?;
    Ok(Pixels {
        width: dim(s.width)?,
        height: dim(s.height)?,
        channels: channels as u8,
        data: pixels,
    })
}

/// Encodes to `format` with the plan's quality, subsampling and progressive
/// settings.
pub(crate) fn encode(
    p: &Pixels,
    format: Format,
    settings: &Encode,
    encoders: &super::Encoders,
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
                Subsampling::Sub422 => turbojpeg::Subsamp::Sub2x1,
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
                if settings.png_optimize {
                    image::codecs::png::CompressionType::Best
                } else {
                    image::codecs::png::CompressionType::Fast
                },
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
        Format::Avif => super::heif::encode_avif(p, settings, encoders.avif_speed)?,
        Format::Gif => {
            let mut rgba = p.clone().into_rgba();
            rgba.extend_runs(settings.gif_lossy);
            let data = &rgba.data;
            let mut out = Vec::new();
            {
                let mut encoder = image::codecs::gif::GifEncoder::new_with_speed(&mut out, 10);
                encoder
                    .encode(data, p.width, p.height, image::ExtendedColorType::Rgba8)
                    .map_err(|e| fail(e.to_string()))?;
            }
            out
        }
        Format::Heic | Format::Tiff | Format::Bmp | Format::Ico | Format::Jxl | Format::Svg => {
            return Err(fail(format!("{} is not an output format", format.name())));
        }
    };
    Ok(super::Output {
        bytes,
        format,
        width: p.width,
        height: p.height,
    })
}

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
