//! JPEG XL sources through `jxl-oxide`, a pure-Rust decoder: the first
//! frame, oriented by the decoder, rendered to sRGB (an XYB or enumerated
//! colour encoding is converted by the decoder; an embedded ICC profile
//! through `qcms` here), with its allocations capped.

use jxl_oxide::{AllocTracker, EnumColourEncoding, InitializeResult, JxlImage, RenderingIntent};

use super::codec::Header;
use super::{colour, Pixels};
use crate::TransformError;

fn failed(e: impl std::fmt::Display) -> TransformError {
    TransformError::NotAnImage(format!("jxl: {e}"))
}

/// The displayed size, from the image header alone (no frame is read).
pub(crate) fn size(data: &[u8]) -> Result<(u32, u32), TransformError> {
    let mut uninit = JxlImage::builder().build_uninit();
    uninit.feed_bytes(data).map_err(failed)?;
    match uninit.try_init().map_err(failed)? {
        InitializeResult::Initialized(image) => Ok((image.width(), image.height())),
        InitializeResult::NeedMoreData(_) => Err(failed("truncated header")),
    }
}

/// Decodes the first frame as 8-bit sRGB (RGBA when the image has alpha).
pub(crate) fn decode(data: &[u8], header: &Header) -> Result<Pixels, TransformError> {
    let (width, height) = (header.width as usize, header.height as usize);
    // Float planes for every channel, with room for the decoder's own
    // buffers; the size was checked against the pixel limit already.
    let budget = width
        .saturating_mul(height)
        .saturating_mul(64)
        .max(64 << 20);
    let mut image = JxlImage::builder()
        .alloc_tracker(AllocTracker::with_limit(budget))
        .read(data)
        .map_err(failed)?;
    if (image.width(), image.height()) != (header.width, header.height) {
        return Err(failed("the image changed size between reads"));
    }
    let embedded_icc = image.original_icc().map(<[u8]>::to_vec);
    // An XYB image (lossy) or an enumerated encoding is rendered to sRGB by
    // the decoder. Pixels stored in an ICC-described space (lossless with a
    // profile) need a colour engine the decoder lacks: they are rendered as
    // stored and converted with qcms below.
    let icc_described = embedded_icc.is_some() && !image.image_header().metadata.xyb_encoded;
    if !icc_described {
        image.request_color_encoding(EnumColourEncoding::srgb(RenderingIntent::Relative));
    }
    let render = image.render_frame(0).map_err(failed)?;
    let mut stream = render.stream();
    let (w, h, channels) = (stream.width(), stream.height(), stream.channels());
    if (w, h) != (header.width, header.height) {
        return Err(failed("frame size differs from the header"));
    }
    let mut samples = vec![0u8; w as usize * h as usize * channels as usize];
    stream.write_to_buffer(&mut samples);
    let (channels, data) = match channels {
        1 => (3, samples.iter().flat_map(|&g| [g, g, g]).collect()),
        2 => (
            4,
            samples
                .chunks_exact(2)
                .flat_map(|ga| [ga[0], ga[0], ga[0], ga[1]])
                .collect(),
        ),
        3 | 4 if !image.pixel_format().has_black() => (channels as u8, samples),
        _ => return Err(failed("CMYK JPEG XL images are not supported")),
    };
    let mut p = Pixels {
        width: w,
        height: h,
        channels,
        data,
    };
    if icc_described {
        colour::to_srgb(&mut p, embedded_icc.as_deref());
    }
    Ok(p)
}
