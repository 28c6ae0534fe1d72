//! Watermark overlay: an image (PNG with alpha, or any decodable format),
//! rotated, scaled in px or % of the image by Sirv's `watermark.scale.option`,
//! placed by gravity with offsets or tiled, at an opacity, in front of the
//! image or behind it.

use super::pixels::{place, Pixels};
use super::resize;
use crate::plan::{Length, Placement, ScaleOption, Turn, Watermark};
use crate::TransformError;

/// Draws the decoded watermark `mark` onto `p` as the plan says.
pub(crate) fn draw(
    mut p: Pixels,
    mark: Pixels,
    w: &Watermark,
    max_pixels: u64,
) -> Result<Pixels, TransformError> {
    let (iw, ih) = (p.width, p.height);
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
    // Behind: the mark on a clear sheet, the image drawn over it after.
    let front = w
        .behind
        .then(|| std::mem::replace(&mut p, Pixels::filled(iw, ih, [0, 0, 0, 0])));

    let opacity = w.opacity * 255 / 100;
    let offset = |l: Option<Length>, of: u32| l.map_or(0, |l| l.of(of).round() as i64);
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
