//! Watermark overlay: an image (PNG with alpha, or any decodable format),
//! rotated, scaled in px or % of the image by Sirv's `watermark.scale.option`,
//! placed by gravity with offsets or tiled, at an opacity, in front of the
//! image or behind it.

use super::pixels::{place, Pixels};
use super::resize;
use crate::plan::{Length, Offset, Placement, ScaleOption, Turn, Watermark};
use crate::TransformError;

/// Draws the decoded watermark `mark` onto `p` as the plan says.
pub(crate) fn draw(
    mut p: Pixels,
    mark: Pixels,
    w: &Watermark,
    max_pixels: u64,
) -> Result<Pixels, TransformError> {
    let (iw, ih) = (p.width, p.height);
    let mark = match w.crop {
        Some(parts) => cut(mark, parts)?,
        None => mark,
    };
    let mark = if w.rotate != 0 {
        let turn = Turn {
            rotate: w.rotate,
            flip: false,
            flop: false,
        };
        super::edit::orient(mark.into_rgba(), &turn, max_pixels)?.into_rgba()
    } else {
        mark
    };
    let (mw, mh) = (f64::from(mark.width), f64::from(mark.height));
    let want = |l: Option<Length>, of: u32| l.map(|l| l.of(of)).filter(|v| *v > 0.0);
    let (want_w, want_h) = (want(w.width, iw), want(w.height, ih));
    // The scale for a box: fit and noup inside it (noup never above 1),
    // fill over it (cropped to it below), ignore stretches to it.
    let k_for = |kw: f64, kh: f64| match w.scale {
        ScaleOption::Fill => kw.max(kh),
        ScaleOption::NoUp => kw.min(kh).min(1.0),
        _ => kw.min(kh),
    };
    let (tw, th, crop) = match (want_w, want_h) {
        (Some(bw), Some(bh)) if w.scale == ScaleOption::Ignore => (bw, bh, None),
        (Some(bw), Some(bh)) => {
            let k = k_for(bw / mw, bh / mh);
            let crop = (w.scale == ScaleOption::Fill).then_some((bw, bh));
            (mw * k, mh * k, crop)
        }
        (Some(bw), None) => {
            let k = k_for(bw / mw, f64::INFINITY);
            (mw * k, mh * k, None)
        }
        (None, Some(bh)) => {
            let k = k_for(f64::INFINITY, bh / mh);
            (mw * k, mh * k, None)
        }
        // Natural size, but never larger than the image.
        (None, None) => {
            let k = (f64::from(iw) / mw).min(f64::from(ih) / mh).min(1.0);
            (mw * k, mh * k, None)
        }
    };
    // A watermark is never drawn larger than twice the image.
    let tw = tw.round().clamp(1.0, f64::from(iw) * 2.0) as u32;
    let th = th.round().clamp(1.0, f64::from(ih) * 2.0) as u32;
    let mut mark = if (tw, th) == (mark.width, mark.height) {
        mark
    } else {
        resize::to_size(mark, tw, th)?
    };
    if let Some((bw, bh)) = crop {
        let (cw, ch) = (
            (bw.round() as u32).clamp(1, tw),
            (bh.round() as u32).clamp(1, th),
        );
        mark = mark.region((tw - cw) / 2, (th - ch) / 2, cw, ch);
    }
    if let Some(canvas) = &w.canvas {
        mark = on_canvas(mark, canvas, max_pixels)?;
    }
    // Behind: the mark on a clear sheet, the image drawn over it after.
    let front = w
        .behind
        .then(|| std::mem::replace(&mut p, Pixels::filled(iw, ih, [0, 0, 0, 0])));

    let opacity = w.opacity * 255 / 100;
    let offset = |l: Option<Offset>, of: u32| l.map_or(0, |l| l.of(of).round() as i64);
    let (ox, oy) = (offset(w.x, iw), offset(w.y, ih));
    match w.position {
        Placement::Tile => {
            let (sw, sh) = (i64::from(mark.width), i64::from(mark.height));
            let mut y = oy.rem_euclid(sh) - sh;
            while y < i64::from(ih) {
                let mut x = ox.rem_euclid(sw) - sw;
                while x < i64::from(iw) {
                    p.draw(&mark, x, y, opacity);
                    x += sw;
                }
                y += sh;
            }
        }
        Placement::At(gravity) => {
            let (x, y) = place(gravity, (iw, ih), (mark.width, mark.height), (ox, oy));
            p.draw(&mark, x, y, opacity);
        }
    }
    if let Some(front) = front {
        p.draw(&front, 0, 0, 255);
        return Ok(p.drop_opaque_alpha());
    }
    Ok(p)
}

/// `watermark.crop.*`: the region of the mark at x, y (default 0) of width
/// and height (default the rest), each px or % of the mark, clipped to it;
/// one starting outside the mark is a client error.
fn cut(mark: Pixels, [x, y, w, h]: [Option<Length>; 4]) -> Result<Pixels, TransformError> {
    let (mw, mh) = (mark.width, mark.height);
    let at = |l: Option<Length>, of: u32| l.map_or(0, |l| l.of(of).round() as u32);
    let (x0, y0) = (at(x, mw), at(y, mh));
    if x0 >= mw || y0 >= mh {
        return Err(TransformError::Invalid(format!(
            "watermark.crop: starts at {x0},{y0}, outside the {mw}×{mh} watermark"
        )));
    }
    let size = |l: Option<Length>, of: u32, rest: u32| {
        l.map_or(rest, |l| l.of(of).round() as u32).clamp(1, rest)
    };
    let (cw, ch) = (size(w, mw, mw - x0), size(h, mh, mh - y0));
    Ok(mark.region(x0, y0, cw, ch))
}

/// `watermark.canvas.*`: the scaled mark centred on a sheet of the canvas
/// colour, at least as large as the mark.
fn on_canvas(
    mark: Pixels,
    canvas: &crate::plan::MarkCanvas,
    max_pixels: u64,
) -> Result<Pixels, TransformError> {
    let (mw, mh) = (mark.width, mark.height);
    let side = |l: Option<Length>, of: u32| l.map_or(of, |l| l.of(of).round() as u32).max(of);
    let (cw, ch) = (side(canvas.width, mw), side(canvas.height, mh));
    if u64::from(cw) * u64::from(ch) > max_pixels {
        return Err(TransformError::Invalid(format!(
            "watermark.canvas: {cw}×{ch} is past the output limit"
        )));
    }
    let c = canvas.color;
    let alpha = (u32::from(c.a) * canvas.opacity / 100) as u8;
    let mut sheet = Pixels::filled(cw, ch, [c.r, c.g, c.b, alpha]).into_rgba();
    sheet.draw(
        &mark,
        i64::from((cw - mw) / 2),
        i64::from((ch - mh) / 2),
        255,
    );
    Ok(sheet)
}
