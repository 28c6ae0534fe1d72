//! Scaling with `fast_image_resize` (SIMD Lanczos3), then the centre crop of
//! `scale.option=fill`. Resizing happens in gamma-encoded sRGB, as libvips'
//! `thumbnail` does by default; alpha is premultiplied during the resize.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::{Pixels, SizePlan};
use crate::TransformError;

pub(crate) fn resize(p: Pixels, plan: &SizePlan) -> Result<Pixels, TransformError> {
    let resized = to_size(p, plan.resize_w, plan.resize_h)?;
    Ok(crop_centre(resized, plan.width, plan.height))
}

/// Resizes to exactly `w`×`h` (no-op when already that size).
pub(crate) fn to_size(p: Pixels, w: u32, h: u32) -> Result<Pixels, TransformError> {
    if (p.width, p.height) == (w, h) {
        return Ok(p);
    }
    scaled(&p, w, h)
}

/// A `w`×`h` copy of `p`, read in place (face detection's small copy of a
/// large image costs no copy of the large one).
pub(crate) fn scaled(p: &Pixels, w: u32, h: u32) -> Result<Pixels, TransformError> {
    let pt = if p.channels == 4 {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let bad = |e: String| TransformError::Encode(format!("resize: {e}"));
    let src = ImageRef::new(p.width, p.height, &p.data, pt).map_err(|e| bad(e.to_string()))?;
    let mut dst = Image::new(w, h, pt);
    let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &opts)
        .map_err(|e| bad(e.to_string()))?;
    Ok(Pixels {
        width: w,
        height: h,
        channels: p.channels,
        data: dst.into_vec(),
    })
}

fn crop_centre(p: Pixels, w: u32, h: u32) -> Pixels {
    if (p.width, p.height) == (w, h) || w > p.width || h > p.height {
        return p;
    }
    p.region((p.width - w) / 2, (p.height - h) / 2, w, h)
}
