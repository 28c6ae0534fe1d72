//! Sirv's `frame.*`: a band around the finished image (after text and
//! watermark), `solid` in `frame.color`, `mirror` (the image reflected into
//! it), `edge` (its edge pixels stretched out) or `dither` (the colour with
//! a fixed noise), with an optional rim of `frame.rim.width` px in
//! `frame.rim.color` between the image and the band. The image grows by
//! twice the band and rim on each axis.

use super::edit::check_size;
use super::pixels::Pixels;
use crate::plan::{Frame, FrameStyle};
use crate::TransformError;

/// Noise amplitude of `dither`, per channel.
const DITHER: i32 = 24;

pub(crate) fn draw(p: Pixels, f: &Frame, max_pixels: u64) -> Result<Pixels, TransformError> {
    let short = p.width.min(p.height);
    let band = f.width.of(short).round().max(1.0) as u32;
    let total = band + f.rim_width;
    let (nw, nh) = (
        u64::from(p.width) + 2 * u64::from(total),
        u64::from(p.height) + 2 * u64::from(total),
    );
    check_size(nw, nh, max_pixels)?;
    let (nw, nh) = (nw as u32, nh as u32);
    let needs_alpha = f.color.a < 255 || (f.rim_width > 0 && f.rim_color.a < 255);
    let p = if needs_alpha { p.into_rgba() } else { p };
    let c = usize::from(p.channels);
    let (w, h) = (i64::from(p.width), i64::from(p.height));
    let t = i64::from(total);
    let mut out = Pixels {
        width: nw,
        height: nh,
        channels: p.channels,
        data: vec![0; nw as usize * nh as usize * c],
    };
    let colour = |col: crate::Color| -> [u8; 4] { [col.r, col.g, col.b, col.a] };
    let frame_px = colour(f.color);
    let rim_px = colour(f.rim_color);
    for y in 0..i64::from(nh) {
        for x in 0..i64::from(nw) {
            let (ix, iy) = (x - t, y - t);
            let inside = (0..w).contains(&ix) && (0..h).contains(&iy);
            let o = (y as usize * nw as usize + x as usize) * c;
            let rim = i64::from(f.rim_width);
            let in_rim = !inside && (-rim..w + rim).contains(&ix) && (-rim..h + rim).contains(&iy);
            let px: [u8; 4] =
                if inside || matches!(f.style, FrameStyle::Mirror | FrameStyle::Edge) && !in_rim {
                    let (sx, sy) = match f.style {
                        FrameStyle::Mirror => (reflect(ix, w), reflect(iy, h)),
                        _ => (ix.clamp(0, w - 1), iy.clamp(0, h - 1)),
                    };
                    let i = (sy as usize * p.width as usize + sx as usize) * c;
                    let mut v = [0, 0, 0, 255];
                    v[..c].copy_from_slice(&p.data[i..i + c]);
                    v
                } else if in_rim {
                    rim_px
                } else if f.style == FrameStyle::Dither {
                    let n = noise(x as u32, y as u32);
                    let mut v = frame_px;
                    for (k, ch) in v[..3].iter_mut().enumerate() {
                        let d = ((n >> (k * 8)) & 0xFF) as i32 * 2 * DITHER / 255 - DITHER;
                        *ch = (i32::from(*ch) + d).clamp(0, 255) as u8;
                    }
                    v
                } else {
                    frame_px
                };
            out.data[o..o + c].copy_from_slice(&px[..c]);
        }
    }
    Ok(out.drop_opaque_alpha())
}

/// `i` reflected back into `0..n` (repeatedly, for bands wider than the
/// image), as a mirror at each edge would show it.
fn reflect(i: i64, n: i64) -> i64 {
    let period = 2 * n;
    let m = i.rem_euclid(period);
    if m < n {
        m
    } else {
        period - 1 - m
    }
}

/// A fixed hash of a position: the same noise for the same frame.
fn noise(x: u32, y: u32) -> u32 {
    let mut v = x.wrapping_mul(0x9E37_79B9) ^ y.wrapping_mul(0x85EB_CA6B);
    v ^= v >> 15;
    v = v.wrapping_mul(0x2C1B_3C6D);
    v ^ (v >> 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflections_stay_inside() {
        assert_eq!(
            (-3..8).map(|i| reflect(i, 4)).collect::<Vec<_>>(),
            [2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]
        );
        assert_eq!(reflect(-100, 3), reflect(-100 + 6 * 20, 3));
    }
}
