//! `crop.type=face`: the faces in the image, found by SeetaFace's frontal
//! face detector (the `rustface` crate, BSD-2; its model is bundled in
//! `crates/transform/models/` with its licence, so nothing is downloaded),
//! and the crop that holds all of them.
//!
//! Detection runs on a grey copy whose longer side is at most
//! [`DETECT_SIDE`] px, so its time and memory are bounded whatever the
//! source's size (faces smaller than 20 px in that copy are not found).

use std::sync::OnceLock;

use rustface::{ImageData, Model};

use super::resize::scaled;
use super::Pixels;
use crate::plan::{FaceCrop, Length};
use crate::TransformError;

/// The longer side of the copy the detector reads.
pub(crate) const DETECT_SIDE: u32 = 1200;

static MODEL_BYTES: &[u8] = include_bytes!("../../models/seeta_fd_frontal_v1.0.bin");

/// The parsed model, once per process (a few ms to read).
fn model() -> Result<&'static Model, TransformError> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| rustface::read_model(MODEL_BYTES).ok())
        .as_ref()
        .ok_or_else(|| {
            TransformError::Encode("face detection: the bundled model did not load".into())
        })
}

/// A face: its box in the image's pixels and its confidence, 0–100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Face {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) w: u32,
    pub(crate) h: u32,
    pub(crate) confidence: u32,
}

/// SeetaFace's score (0 up, unbounded) as a percentage,
/// `100 × (1 − e^(−score/4))`: the detector's usual threshold (2.0) is
/// 39 %, faces of 40 px and more in the detector's copy score 90 % and up,
/// the false positives seen on test photos (≈ 0.6) 14 %.
fn confidence_of(score: f64) -> u32 {
    (100.0 * (1.0 - (-score / 4.0).exp())).clamp(0.0, 100.0) as u32
}

/// The score threshold of a minimum confidence (the inverse of
/// [`confidence_of`]; 99 % at most).
fn score_of(confidence: u32) -> f64 {
    let c = f64::from(confidence.clamp(1, 99)) / 100.0;
    -4.0 * (1.0 - c).ln()
}

/// The faces of `p` found with at least `min_confidence` %.
pub(crate) fn detect(p: &Pixels, min_confidence: u32) -> Result<Vec<Face>, TransformError> {
    let long = p.width.max(p.height);
    let scale = f64::from(long.max(DETECT_SIDE)) / f64::from(DETECT_SIDE);
    let (w, h) = (
        ((f64::from(p.width) / scale).round() as u32).max(1),
        ((f64::from(p.height) / scale).round() as u32).max(1),
    );
    // The detector's window is 40 px and its smallest face 20 px: nothing
    // to find in a smaller image.
    if w < 40 || h < 40 {
        return Ok(Vec::new());
    }
    let resized;
    let small = if (w, h) == (p.width, p.height) {
        p
    } else {
        resized = scaled(p, w, h)?;
        &resized
    };
    let c = usize::from(small.channels);
    let grey: Vec<u8> = small
        .data
        .chunks_exact(c)
        .map(|px| {
            let l = 0.299 * f64::from(px[0]) + 0.587 * f64::from(px[1]) + 0.114 * f64::from(px[2]);
            l.round() as u8
        })
        .collect();
    let mut detector = rustface::create_detector_with_model(model()?.clone());
    detector.set_min_face_size(20);
    detector.set_score_thresh(score_of(min_confidence));
    detector.set_pyramid_scale_factor(0.8);
    detector.set_slide_window_step(4, 4);
    // A panic inside the detector (none known) costs the crop, not the
    // request: the image is served uncropped.
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        detector.detect(&ImageData::new(&grey, w, h))
    }))
    .unwrap_or_default();
    let back = |v: f64, limit: u32| ((v * scale).round().max(0.0) as u32).min(limit);
    Ok(found
        .iter()
        .map(|f| {
            let b = f.bbox();
            let x0 = back(f64::from(b.x()), p.width);
            let y0 = back(f64::from(b.y()), p.height);
            let x1 = back(f64::from(b.x()) + f64::from(b.width()), p.width);
            let y1 = back(f64::from(b.y()) + f64::from(b.height()), p.height);
            Face {
                x: x0,
                y: y0,
                w: x1.saturating_sub(x0),
                h: y1.saturating_sub(y0),
                confidence: confidence_of(f.score()),
            }
        })
        .filter(|f| f.w > 0 && f.h > 0 && f.confidence >= min_confidence)
        .collect())
}

/// The box (x, y, w, h) that holds every face, grown by the padding
/// (`crop.pad.width`/`.height`: px, or % of the faces' box, on each side)
/// and then to `aspect` (width:height) around its centre, kept inside the
/// `width`×`height` image; `None` without faces.
pub(crate) fn frame(
    faces: &[Face],
    crop: &FaceCrop,
    aspect: Option<(u32, u32)>,
    width: u32,
    height: u32,
) -> Option<(u32, u32, u32, u32)> {
    let first = faces.first()?;
    let (mut x0, mut y0) = (f64::from(first.x), f64::from(first.y));
    let (mut x1, mut y1) = (x0 + f64::from(first.w), y0 + f64::from(first.h));
    for f in &faces[1..] {
        x0 = x0.min(f64::from(f.x));
        y0 = y0.min(f64::from(f.y));
        x1 = x1.max(f64::from(f.x + f.w));
        y1 = y1.max(f64::from(f.y + f.h));
    }
    let pad = |l: Option<Length>, of: f64| match l {
        Some(Length::Px(px)) => f64::from(px),
        Some(Length::Percent(pc)) => of * pc / 100.0,
        None => 0.0,
    };
    let (pw, ph) = (pad(crop.pad_w, x1 - x0), pad(crop.pad_h, y1 - y0));
    let (mut w, mut h) = (x1 - x0 + 2.0 * pw, y1 - y0 + 2.0 * ph);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (iw, ih) = (f64::from(width), f64::from(height));
    if let Some((aw, ah)) = aspect {
        let ratio = f64::from(aw) / f64::from(ah);
        if w / h < ratio {
            w = h * ratio;
        } else {
            h = w / ratio;
        }
        // Too large for the image: the largest box of that ratio.
        let fit = (iw / w).min(ih / h).min(1.0);
        w *= fit;
        h *= fit;
    }
    let (w, h) = (w.min(iw).max(1.0), h.min(ih).max(1.0));
    // Centred on the faces; when the shaped box cannot hold them all,
    // centred on the most confident one (the largest of equals) instead;
    // then kept inside the image.
    let best = faces
        .iter()
        .max_by_key(|f| (f.confidence, u64::from(f.w) * u64::from(f.h)))
        .unwrap_or(first);
    let (ux, uy) = (x1 - x0 + 2.0 * pw, y1 - y0 + 2.0 * ph);
    let (cx, cy) = if w + 0.5 < ux || h + 0.5 < uy {
        (
            f64::from(best.x) + f64::from(best.w) / 2.0,
            f64::from(best.y) + f64::from(best.h) / 2.0,
        )
    } else {
        (cx, cy)
    };
    let x = (cx - w / 2.0).clamp(0.0, iw - w);
    let y = (cy - h / 2.0).clamp(0.0, ih - h);
    let (x, y) = (x.round() as u32, y.round() as u32);
    let w = (w.round() as u32).clamp(1, width - x);
    let h = (h.round() as u32).clamp(1, height - y);
    Some((x, y, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: u32, y: u32, w: u32, h: u32) -> Face {
        Face {
            x,
            y,
            w,
            h,
            confidence: 80,
        }
    }

    fn crop(pad_w: Option<Length>, pad_h: Option<Length>) -> FaceCrop {
        FaceCrop {
            confidence: 20,
            pad_w,
            pad_h,
        }
    }

    #[test]
    fn the_frame_holds_every_face_padded_and_shaped() {
        let faces = [face(100, 100, 50, 60), face(300, 120, 40, 50)];
        // The union: 100..340 × 100..170.
        assert_eq!(
            frame(&faces, &crop(None, None), None, 1000, 800),
            Some((100, 100, 240, 70))
        );
        // 10 px, then 50 % of the box, on each side.
        assert_eq!(
            frame(
                &faces,
                &crop(Some(Length::Px(10)), Some(Length::Percent(50.0))),
                None,
                1000,
                800
            ),
            Some((90, 65, 260, 140))
        );
        // Grown to 1:1 around the centre (220, 135).
        assert_eq!(
            frame(&faces, &crop(None, None), Some((1, 1)), 1000, 800),
            Some((100, 15, 240, 240))
        );
        // Near an edge: shifted inside, never past it.
        let edge = [face(0, 0, 30, 30)];
        assert_eq!(
            frame(
                &edge,
                &crop(Some(Length::Px(20)), Some(Length::Px(20))),
                None,
                200,
                100
            ),
            Some((0, 0, 70, 70))
        );
        // A ratio wider than the image allows: the largest such box.
        assert_eq!(
            frame(&edge, &crop(None, None), Some((10, 1)), 200, 100),
            Some((0, 5, 200, 20))
        );
        // Two faces far apart that no square can hold: the square is
        // centred on the more confident one (then kept inside).
        let apart = [
            face(10, 10, 20, 20),
            Face {
                confidence: 95,
                ..face(170, 60, 20, 20)
            },
        ];
        assert_eq!(
            frame(&apart, &crop(None, None), Some((1, 1)), 200, 100),
            Some((100, 0, 100, 100))
        );
        assert_eq!(frame(&[], &crop(None, None), None, 10, 10), None);
    }

    #[test]
    fn confidence_reads_the_score_both_ways() {
        assert_eq!(confidence_of(2.0), 39);
        assert_eq!(confidence_of(0.0), 0);
        assert_eq!(confidence_of(1e9), 100);
        for c in [1, 20, 35, 50, 90, 99] {
            assert!(confidence_of(score_of(c) + 1e-9).abs_diff(c) <= 1, "{c}");
        }
    }

    #[test]
    fn small_and_faceless_images_give_no_faces() {
        let tiny = Pixels::filled(30, 30, [128, 128, 128, 255]);
        assert!(detect(&tiny, 20).unwrap().is_empty());
        let flat = Pixels::filled(640, 480, [200, 180, 160, 255]);
        assert!(detect(&flat, 20).unwrap().is_empty());
    }
}
