//! Output size from the size options (Sirv semantics).

use crate::plan::{Length, ScaleOption, Size};

/// Where scaling lands: the resize size, then an optional centre crop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizePlan {
    /// Size to resize to.
    pub resize_w: u32,
    pub resize_h: u32,
    /// Final size (equal to the resize size except for `scale.option=fill`).
    pub width: u32,
    pub height: u32,
}

/// A length against a source dimension, times `dpr`.
fn length(value: Option<Length>, source: u32, dpr: f64) -> Option<f64> {
    match value? {
        Length::Px(0) => None, // 0 means "not given", as in Sirv
        length => Some(length.of(source) * dpr),
    }
}

fn at_least_one(v: f64) -> u32 {
    // Options are validated to at most 100000 px × dpr 4 or 1000 % of a
    // source under the pixel limit, so the value fits a u32.
    v.round().clamp(1.0, f64::from(u32::MAX)) as u32
}

/// Plans the output size of a `sw`×`sh` (already oriented) source.
pub fn plan_size(sw: u32, sh: u32, size: &Size) -> SizePlan {
    let dpr = size.dpr;
    let mut bw = length(size.w, sw, dpr);
    let mut bh = length(size.h, sh, dpr);
    for square in [size.s, size.thumbnail].into_iter().flatten() {
        let n = f64::from(square) * dpr;
        bw = Some(bw.map_or(n, |w| w.min(n)));
        bh = Some(bh.map_or(n, |h| h.min(n)));
    }
    let keep = SizePlan {
        resize_w: sw,
        resize_h: sh,
        width: sw,
        height: sh,
    };
    if bw.is_none() && bh.is_none() {
        return keep;
    }
    let (fw, fh) = (f64::from(sw), f64::from(sh));
    let fit = |noup: bool| {
        let scale = match (bw, bh) {
            (Some(w), Some(h)) => (w / fw).min(h / fh),
            (Some(w), None) => w / fw,
            (None, Some(h)) => h / fh,
            (None, None) => 1.0,
        };
        let scale = if noup { scale.min(1.0) } else { scale };
        let (w, h) = (at_least_one(fw * scale), at_least_one(fh * scale));
        SizePlan {
            resize_w: w,
            resize_h: h,
            width: w,
            height: h,
        }
    };
    match size.scale {
        ScaleOption::Ignore => {
            let (w, h) = (bw.map_or(sw, at_least_one), bh.map_or(sh, at_least_one));
            SizePlan {
                resize_w: w,
                resize_h: h,
                width: w,
                height: h,
            }
        }
        ScaleOption::Fill => match (bw, bh) {
            (Some(w), Some(h)) => {
                let scale = (w / fw).max(h / fh);
                SizePlan {
                    resize_w: at_least_one((fw * scale).ceil()).max(at_least_one(w)),
                    resize_h: at_least_one((fh * scale).ceil()).max(at_least_one(h)),
                    width: at_least_one(w),
                    height: at_least_one(h),
                }
            }
            _ => fit(false),
        },
        ScaleOption::NoUp => fit(true),
        ScaleOption::Fit => fit(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_options;
    use crate::plan::Plan;

    fn plan(sw: u32, sh: u32, q: &[(&str, &str)]) -> (u32, u32, u32, u32) {
        let options = parse_options(q.iter().copied()).unwrap();
        let p = plan_size(sw, sh, &Plan::new(&options).size);
        (p.resize_w, p.resize_h, p.width, p.height)
    }

    #[test]
    fn size_table() {
        type Case<'a> = (&'a [(&'a str, &'a str)], (u32, u32, u32, u32));
        let cases: &[Case] = &[
            (&[], (4000, 3000, 4000, 3000)),
            (&[("w", "400")], (400, 300, 400, 300)),
            (&[("h", "300")], (400, 300, 400, 300)),
            (&[("w", "400"), ("h", "400")], (400, 300, 400, 300)),
            (&[("w", "400"), ("dpr", "2")], (800, 600, 800, 600)),
            (&[("w", "10%")], (400, 300, 400, 300)),
            (&[("w", "50%"), ("h", "10%")], (400, 300, 400, 300)),
            (&[("s", "400")], (400, 300, 400, 300)),
            (&[("thumbnail", "100")], (100, 75, 100, 75)),
            (&[("w", "8000")], (8000, 6000, 8000, 6000)),
            (
                &[("w", "8000"), ("scale.option", "noup")],
                (4000, 3000, 4000, 3000),
            ),
            (
                &[("w", "400"), ("scale.option", "noup")],
                (400, 300, 400, 300),
            ),
            (
                &[("w", "400"), ("h", "400"), ("scale.option", "fill")],
                (534, 400, 400, 400),
            ),
            (
                &[("w", "400"), ("scale.option", "fill")],
                (400, 300, 400, 300),
            ),
            (
                &[("w", "400"), ("h", "100"), ("scale.option", "ignore")],
                (400, 100, 400, 100),
            ),
            (
                &[("w", "400"), ("scale.option", "ignore")],
                (400, 3000, 400, 3000),
            ),
            (&[("w", "1")], (1, 1, 1, 1)),
            (&[("w", "0")], (4000, 3000, 4000, 3000)),
        ];
        for (q, want) in cases {
            assert_eq!(plan(4000, 3000, q), *want, "{q:?}");
        }
        // Portrait sources and tiny results never reach zero.
        assert_eq!(plan(1, 1000, &[("w", "10")]), (10, 10000, 10, 10000));
        assert_eq!(plan(1000, 1, &[("w", "10")]), (10, 1, 10, 1));
    }
}
