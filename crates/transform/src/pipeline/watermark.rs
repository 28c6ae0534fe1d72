//! Watermark overlay: an image (PNG with alpha, or any decodable format),
//! scaled in px or % of the image, placed by gravity with offsets or tiled,
//! at an opacity.

use super::pixels::{place, Pixels};
use super::resize;
use crate::plan::{Length, Placement, Watermark};
use crate::TransformError;

/// Draws the decoded watermark `mark` onto `p` as the plan says.
pub(crate) fn draw(mut p: Pixels, mark: Pixels, w: &Watermark) -> Result<Pixels, TransformError> {
    let (iw, ih) = (p.width, p.height);
    let (mw, mh) = (f64::from(mark.width), f64::from(mark.height));
    let want = |l: Option<Length>, of: u32| l.map(|l| l.of(of)).filter(|v| *v > 0.0);
    let (want_w, want_h) = (want(w.width, iw), want(w.height, ih));
    let (tw, th) = match (want_w, want_h) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, mh * w / mw),
        (None, Some(h)) => (mw * h / mh, h),
        // Natural size, but never larger than the image.
        (None, None) => {
            let k = (f64::from(iw) / mw).min(f64::from(ih) / mh).min(1.0);
            (mw * k, mh * k)
        }
    };
    // A watermark is never drawn larger than twice the image.
    let tw = tw.round().clamp(1.0, f64::from(iw) * 2.0) as u32;
    let th = th.round().clamp(1.0, f64::from(ih) * 2.0) as u32;
    let mark = if (tw, th) == (mark.width, mark.height) {
        mark
    } else {
        resize::to_size(mark, tw, th)?
    };

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
    Ok(p)
}
