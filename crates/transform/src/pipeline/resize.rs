//! Scaling with `fast_image_resize` (SIMD Lanczos3), then the centre crop of
//! `scale.option=fill`. Resizing happens in gamma-encoded sRGB, as libvips'
//! `thumbnail` does by default; alpha is premultiplied during the resize.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::{Pixels, SizePlan};
use crate::TransformError;

pub(crate) fn resize(p: Pixels, plan: &SizePlan) -> Result<Pixels, TransformError> {
    let resized = if (p.width, p.height) == (plan.resize_w, plan.resize_h) {
        p
    } else {
        let pt = if p.channels == 4 {
            PixelType::U8x4
        } else {
            PixelType::U8x3
        };
        let bad = |e: String| TransformError::Encode(format!("resize: {e}"));
        let src =
            Image::from_vec_u8(p.width, p.height, p.data, pt).map_err(|e| bad(e.to_string()))?;
        let mut dst = Image::new(plan.resize_w, plan.resize_h, pt);
        let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        Resizer::new()
            .resize(&src, &mut dst, &opts)
            .map_err(|e| bad(e.to_string()))?;
        Pixels {
            width: plan.resize_w,
            height: plan.resize_h,
            channels: p.channels,
            data: dst.into_vec(),
        }
    };
    Ok(crop_centre(resized, plan.width, plan.height))
}

fn crop_centre(p: Pixels, w: u32, h: u32) -> Pixels {
    if (p.width, p.height) == (w, h) || w > p.width || h > p.height {
        return p;
    }
    let c = usize::from(p.channels);
    let (x0, y0) = (((p.width - w) / 2) as usize, ((p.height - h) / 2) as usize);
    let (w_us, row) = (w as usize, p.width as usize * c);
    let mut out = Vec::with_capacity(w_us * h as usize * c);
    for y in y0..y0 + h as usize {
        let start = y * row + x0 * c;
        out.extend_from_slice(&p.data[start..start + w_us * c]);
    }
    Pixels {
        width: w,
        height: h,
        channels: p.channels,
        data: out,
    }
}
