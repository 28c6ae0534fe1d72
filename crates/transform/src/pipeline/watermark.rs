//! Watermark overlay: an image (PNG with alpha, or any decodable format),
//! scaled in px or % of the image, placed by gravity with offsets or tiled,
//! at an opacity.

use super::edit::percent;
use super::geometry::px_or_pct;
use super::pixels::{place, Pixels};
use super::resize;
use crate::{Gravity, Options, TransformError};

/// Draws the decoded watermark `mark` onto `p` as the options say.
pub(crate) fn draw(
    mut p: Pixels,
    mark: Pixels,
    options: &Options,
) -> Result<Pixels, TransformError> {
    let (iw, ih) = (p.width, p.height);
    let (mw, mh) = (f64::from(mark.width), f64::from(mark.height));
    let want_w = options
        .get("watermark.scale.width")
        .and_then(|v| px_or_pct(v, iw))
        .filter(|v| *v > 0.0);
    let want_h = options
        .get("watermark.scale.height")
        .and_then(|v| px_or_pct(v, ih))
        .filter(|v| *v > 0.0);
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

    let opacity = percent(options.get("watermark.opacity"), 100) * 255 / 100;
    let offset = |name: &str, of: u32| {
        options
            .get(name)
            .and_then(|v| px_or_pct(v, of))
            .map_or(0, |v| v.round() as i64)
    };
    let (ox, oy) = (
        offset("watermark.position.x", iw),
        offset("watermark.position.y", ih),
    );
    match options.get("watermark.position") {
        Some("tile") => {
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
        other => {
            let gravity = other.and_then(Gravity::parse).unwrap_or(Gravity::Center);
            let (x, y) = place(gravity, (iw, ih), (mark.width, mark.height), (ox, oy));
            p.draw(&mark, x, y, opacity);
        }
    }
    Ok(p)
}
