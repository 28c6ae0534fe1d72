//! Geometry after scaling: trim (before it), crop, canvas, rotate, flip, flop.

use super::orient::{self, Orientation};
use super::pixels::{place, Pixels};
use crate::plan::{Canvas, Crop, Length, Turn};
use crate::TransformError;

/// How far a channel may differ from the corner colour and still be border.
const TRIM_TOLERANCE: i16 = 10;

/// `crop.type=trim`: the region (x, y, width, height) inside a uniform
/// border whose colour is the top-left pixel's, or `None` when it keeps the
/// whole image (an image that is all border is left as it is).
pub(crate) fn trim_box(p: &Pixels) -> Option<(u32, u32, u32, u32)> {
    let c = usize::from(p.channels);
    let (w, h) = (p.width as usize, p.height as usize);
    let corner: Vec<i16> = p.data[..c].iter().map(|v| i16::from(*v)).collect();
    let differs = |x: usize, y: usize| {
        let i = (y * w + x) * c;
        p.data[i..i + c]
            .iter()
            .zip(&corner)
            .any(|(v, k)| (i16::from(*v) - k).abs() > TRIM_TOLERANCE)
    };
    let row_has = |y: usize| (0..w).any(|x| differs(x, y));
    let top = (0..h).find(|y| row_has(*y))?;
    let bottom = (top..h).rev().find(|y| row_has(*y)).unwrap_or(top);
    let col_has = |x: usize| (top..=bottom).any(|y| differs(x, y));
    let left = (0..w).find(|x| col_has(*x)).unwrap_or(0);
    let right = (left..w).rev().find(|x| col_has(*x)).unwrap_or(left);
    let (x, y) = (left as u32, top as u32);
    let (cw, ch) = ((right - left + 1) as u32, (bottom - top + 1) as u32);
    ((cw, ch) != (p.width, p.height)).then_some((x, y, cw, ch))
}

fn invalid(name: &str, value: &str, reason: &str) -> TransformError {
    TransformError::Invalid(format!("{name}={value}: {reason}"))
}

/// `cx`/`cy`/`cw`/`ch` (px or % of the scaled image); the region is clipped
/// to the image and must start inside it.
pub(crate) fn crop(p: Pixels, crop: &Crop) -> Result<Pixels, TransformError> {
    if !crop.is_set() {
        return Ok(p);
    }
    let get = |l: Option<Length>, of: u32| l.map(|l| l.of(of));
    let shown = |l: Option<Length>| l.map_or(String::new(), |l| l.to_string());
    let x = get(crop.x, p.width).unwrap_or(0.0).round() as u64;
    let y = get(crop.y, p.height).unwrap_or(0.0).round() as u64;
    if x >= u64::from(p.width) {
        return Err(invalid("cx", &shown(crop.x), "starts outside the image"));
    }
    if y >= u64::from(p.height) {
        return Err(invalid("cy", &shown(crop.y), "starts outside the image"));
    }
    let (x, y) = (x as u32, y as u32);
    let cw = get(crop.w, p.width).map_or(u64::from(p.width - x), |v| v.round().max(1.0) as u64);
    let ch = get(crop.h, p.height).map_or(u64::from(p.height - y), |v| v.round().max(1.0) as u64);
    let mut cw = cw.min(u64::from(p.width - x)) as u32;
    let mut ch = ch.min(u64::from(p.height - y)) as u32;
    let (mut x, mut y) = (x, y);
    if let Some((aw, ah)) = crop.aspect {
        // The largest region of that ratio inside the crop, centred on the
        // axis no offset was given for.
        let (aw, ah) = (u64::from(aw), u64::from(ah));
        if u64::from(cw) * ah > u64::from(ch) * aw {
            let w = ((u64::from(ch) * aw + ah / 2) / ah).max(1) as u32;
            if crop.x.is_none() {
                x += (cw - w) / 2;
            }
            cw = w;
        } else {
            let h = ((u64::from(cw) * ah + aw / 2) / aw).max(1) as u32;
            if crop.y.is_none() {
                y += (ch - h) / 2;
            }
            ch = h;
        }
    }
    if (x, y, cw, ch) == (0, 0, p.width, p.height) {
        return Ok(p);
    }
    Ok(p.region(x, y, cw, ch))
}

pub(super) fn check_size(w: u64, h: u64, max_pixels: u64) -> Result<(), TransformError> {
    if w * h > max_pixels {
        return Err(TransformError::OutputTooLarge {
            width: w,
            height: h,
            limit: max_pixels,
        });
    }
    Ok(())
}

/// `canvas.*`: places the image on a canvas of the given size (px or % of
/// the image), colour (white by default) and opacity, at `canvas.position`.
/// A canvas smaller than the image crops it around that position.
pub(crate) fn canvas(
    p: Pixels,
    canvas: Option<&Canvas>,
    max_pixels: u64,
) -> Result<Pixels, TransformError> {
    let Some(canvas) = canvas else {
        return Ok(p);
    };
    let size =
        |l: Option<Length>, of: u32| l.map_or(u64::from(of), |l| l.of(of).round().max(1.0) as u64);
    let (mut cw, mut ch) = (size(canvas.width, p.width), size(canvas.height, p.height));
    if let Some((aw, ah)) = canvas.aspect {
        // The canvas grows (never shrinks) to the ratio.
        let (aw, ah) = (u64::from(aw), u64::from(ah));
        if cw * ah < ch * aw {
            cw = (ch * aw).div_ceil(ah);
        } else {
            ch = (cw * ah).div_ceil(aw);
        }
    }
    check_size(cw, ch, max_pixels)?;
    let color = canvas.color;
    let alpha = (u32::from(color.a) * canvas.opacity / 100) as u8;
    let gravity = canvas.position;
    let mut out = Pixels::filled(cw as u32, ch as u32, [color.r, color.g, color.b, alpha]);
    if p.has_alpha() && !out.has_alpha() {
        out = out.into_rgba();
    }
    let (x, y) = place(
        gravity,
        (out.width, out.height),
        (p.width, p.height),
        (0, 0),
    );
    out.draw(&p, x, y, 255);
    let Some((bw, bh)) = canvas.border else {
        return Ok(out.drop_opaque_alpha());
    };
    // A band around everything; one side given stands for both.
    let band = |l: Option<Length>, of: u32| l.map(|l| l.of(of).round().max(0.0) as u64);
    let (bx, by) = match (band(bw, out.width), band(bh, out.height)) {
        (Some(x), Some(y)) => (x, y),
        (Some(x), None) => (x, x),
        (None, Some(y)) => (y, y),
        (None, None) => (0, 0),
    };
    let (ow, oh) = (
        u64::from(out.width) + 2 * bx,
        u64::from(out.height) + 2 * by,
    );
    check_size(ow, oh, max_pixels)?;
    let c = canvas.border_color;
    let alpha = (u32::from(c.a) * canvas.border_opacity / 100) as u8;
    let mut framed = Pixels::filled(ow as u32, oh as u32, [c.r, c.g, c.b, alpha]);
    if out.has_alpha() && !framed.has_alpha() {
        framed = framed.into_rgba();
    }
    framed.draw(&out, bx as i64, by as i64, 255);
    Ok(framed.drop_opaque_alpha())
}

/// `rotate` (degrees, positive = clockwise), then `flip` (top↔bottom) and
/// `flop` (left↔right). Right angles are exact; other angles enlarge the
/// image to hold the rotated one, with transparent corners (white on JPEG).
pub(crate) fn orient(
    mut p: Pixels,
    turn: &Turn,
    max_pixels: u64,
) -> Result<Pixels, TransformError> {
    p = match turn.rotate {
        0 => p,
        90 => orient::apply(p, Orientation(6)),
        -90 => orient::apply(p, Orientation(8)),
        180 | -180 => orient::apply(p, Orientation(3)),
        a => rotate_free(p, f64::from(a), max_pixels)?,
    };
    if turn.flip {
        p = orient::apply(p, Orientation(4));
    }
    if turn.flop {
        p = orient::apply(p, Orientation(2));
    }
    Ok(p)
}

/// Rotation by any angle with bilinear sampling (premultiplied) into an
/// RGBA image big enough for the whole result.
fn rotate_free(p: Pixels, degrees: f64, max_pixels: u64) -> Result<Pixels, TransformError> {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (w, h) = (f64::from(p.width), f64::from(p.height));
    let ow = (w * cos.abs() + h * sin.abs()).round().max(1.0) as u64;
    let oh = (w * sin.abs() + h * cos.abs()).round().max(1.0) as u64;
    check_size(ow, oh, max_pixels)?;
    let src = p.into_rgba();
    let (ow, oh) = (ow as u32, oh as u32);
    let mut out = vec![0u8; ow as usize * oh as usize * 4];
    let (scx, scy) = (w / 2.0, h / 2.0);
    let (ocx, ocy) = (f64::from(ow) / 2.0, f64::from(oh) / 2.0);
    let sw = src.width as i64;
    let sh = src.height as i64;
    let texel = |x: i64, y: i64| -> [f64; 4] {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            return [0.0; 4];
        }
        let i = ((y * sw + x) * 4) as usize;
        let a = f64::from(src.data[i + 3]) / 255.0;
        [
            f64::from(src.data[i]) * a,
            f64::from(src.data[i + 1]) * a,
            f64::from(src.data[i + 2]) * a,
            a,
        ]
    };
    for oy in 0..oh {
        for ox in 0..ow {
            // Inverse rotation of the destination pixel centre.
            let dx = f64::from(ox) + 0.5 - ocx;
            let dy = f64::from(oy) + 0.5 - ocy;
            let sx = cos * dx + sin * dy + scx - 0.5;
            let sy = -sin * dx + cos * dy + scy - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let mut acc = [0.0f64; 4];
            for (xx, yy, wt) in [
                (x0, y0, (1.0 - fx) * (1.0 - fy)),
                (x0 + 1, y0, fx * (1.0 - fy)),
                (x0, y0 + 1, (1.0 - fx) * fy),
                (x0 + 1, y0 + 1, fx * fy),
            ] {
                if wt == 0.0 {
                    continue;
                }
                let t = texel(xx, yy);
                for k in 0..4 {
                    acc[k] += t[k] * wt;
                }
            }
            let i = (oy as usize * ow as usize + ox as usize) * 4;
            if acc[3] > 0.0 {
                for k in 0..3 {
                    out[i + k] = (acc[k] / acc[3]).round().clamp(0.0, 255.0) as u8;
                }
                out[i + 3] = (acc[3] * 255.0).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Ok(Pixels {
        width: ow,
        height: oh,
        channels: 4,
        data: out,
    })
}
