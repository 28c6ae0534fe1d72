//! Colour and detail adjustments, in Sirv's option names:
//! levels, exposure, shadows, highlights, brightness, contrast and lightness
//! as one per-channel table; saturation,
//! hue and grayscale as one 3×3 matrix; then colorize, colortone, vignette, blur,
//! sharpen and opacity. Values are in gamma-encoded sRGB (see docs/url-api.md).

use super::pixels::Pixels;
use crate::plan::{Adjust, ToneMode};
use crate::Color;

pub(crate) fn apply(mut p: Pixels, a: &Adjust) -> Pixels {
    tone(&mut p, a);
    colour_matrix(&mut p, a);
    if let Some((color, opacity)) = a.colorize {
        colorize(&mut p, color, opacity);
    }
    if let Some((color, level, mode)) = a.colortone {
        colortone(&mut p, color, level, mode);
    }
    if let Some((value, color)) = a.vignette {
        vignette(&mut p, value, color);
    }
    if a.blur > 0 {
        p = gaussian(p, f64::from(a.blur) * 0.2);
    }
    if a.sharpen > 0 {
        p = unsharp(p, f64::from(a.sharpen) / 50.0);
    }
    if let Some(o) = a.opacity {
        if o < 100 {
            p = p.into_rgba();
            for px in p.data.chunks_exact_mut(4) {
                px[3] = (u32::from(px[3]) * o / 100) as u8;
            }
        }
    }
    p
}

fn each_rgb(p: &mut Pixels, mut f: impl FnMut(&mut [u8])) {
    let c = usize::from(p.channels);
    for px in p.data.chunks_exact_mut(c) {
        f(&mut px[..3]);
    }
}

/// Levels (`colorlevel.black`/`.white` stretched to 0–255), exposure (×2^(e/50)
/// in linear light: ±2 stops), shadows and highlights (a lift or fall
/// weighted towards the dark or the bright end: `x + k·(1−x)²·x`-style
/// curves that keep 0 and 1 fixed), then brightness (×(1+b/100)), contrast
/// (around mid-grey, ×(1+c/100)) and lightness (+l×2.55): all folded into
/// one per-channel lookup table, so five effects cost one pass.
fn tone(p: &mut Pixels, a: &Adjust) {
    let (b, c, l) = (a.brightness, a.contrast, a.lightness);
    let (e, sh, hi) = (a.exposure, a.shadows, a.highlights);
    if (b, c, l, e, sh, hi) == (0, 0, 0, 0, 0, 0) && a.levels == (0, 255) {
        return;
    }
    let lut = tone_table(a);
    each_rgb(p, |px| {
        for v in px {
            *v = lut[usize::from(*v)];
        }
    });
}

fn tone_table(a: &Adjust) -> [u8; 256] {
    let (black, white) = (f64::from(a.levels.0), f64::from(a.levels.1));
    let gain = 2f64.powf(f64::from(a.exposure) / 50.0);
    let (sh, hi) = (
        f64::from(a.shadows) / 100.0,
        f64::from(a.highlights) / 100.0,
    );
    let mut lut = [0u8; 256];
    for (i, out) in lut.iter_mut().enumerate() {
        // 0–1 after levels.
        let mut x = ((i as f64 - black) / (white - black).max(1.0)).clamp(0.0, 1.0);
        if a.exposure != 0 {
            x = to_srgb((to_linear(x) * gain).min(1.0));
        }
        // Shadows act on the dark half most, highlights on the bright half;
        // both keep black and white where they are.
        x += sh * x * (1.0 - x) * (1.0 - x) * 1.5;
        x += hi * x * x * (1.0 - x) * 1.5;
        let mut v = x.clamp(0.0, 1.0) * 255.0;
        v *= 1.0 + f64::from(a.brightness) / 100.0;
        v = (v - 128.0) * (1.0 + f64::from(a.contrast) / 100.0) + 128.0;
        v += f64::from(a.lightness) * 2.55;
        *out = v.round().clamp(0.0, 255.0) as u8;
    }
    lut
}

fn to_linear(x: f64) -> f64 {
    if x <= 0.04045 {
        x / 12.92
    } else {
        ((x + 0.055) / 1.055).powf(2.4)
    }
}

fn to_srgb(x: f64) -> f64 {
    if x <= 0.003_130_8 {
        x * 12.92
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    }
}

type Matrix = [[f64; 3]; 3];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

/// Rec. 601 luma weights.
const LUMA: [f64; 3] = [0.299, 0.587, 0.114];

/// Saturation (×(1+s/100) away from luma), hue (rotation by h×1.8° around
/// the grey axis) and grayscale, as one matrix.
fn colour_matrix(p: &mut Pixels, a: &Adjust) {
    let (s, h, grey) = (a.saturation, a.hue, a.grayscale);
    if s == 0 && h == 0 && !grey {
        return;
    }
    let saturate = |k: f64| -> Matrix {
        let mut m = [[0.0; 3]; 3];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = LUMA[j] * (1.0 - k) + if i == j { k } else { 0.0 };
            }
        }
        m
    };
    let mut m: Matrix = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    if s != 0 {
        m = mul(&saturate(1.0 + f64::from(s) / 100.0), &m);
    }
    if h != 0 {
        // Rotation about the luminance axis (the classic hue-rotate matrix).
        let (sin, cos) = (f64::from(h) * 1.8).to_radians().sin_cos();
        let r: Matrix = [
            [
                0.213 + cos * 0.787 - sin * 0.213,
                0.715 - cos * 0.715 - sin * 0.715,
                0.072 - cos * 0.072 + sin * 0.928,
            ],
            [
                0.213 - cos * 0.213 + sin * 0.143,
                0.715 + cos * 0.285 + sin * 0.140,
                0.072 - cos * 0.072 - sin * 0.283,
            ],
            [
                0.213 - cos * 0.213 - sin * 0.787,
                0.715 - cos * 0.715 + sin * 0.715,
                0.072 + cos * 0.928 + sin * 0.072,
            ],
        ];
        m = mul(&r, &m);
    }
    if grey {
        m = mul(&saturate(0.0), &m);
    }
    each_rgb(p, |px| {
        let v = [f64::from(px[0]), f64::from(px[1]), f64::from(px[2])];
        for (out, row) in px.iter_mut().zip(&m) {
            let x = row[0] * v[0] + row[1] * v[1] + row[2] * v[2];
            *out = x.round().clamp(0.0, 255.0) as u8;
        }
    });
}

/// A pixel's Rec. 601 luma, 0–1.
fn luma(px: &[u8]) -> f64 {
    (LUMA[0] * f64::from(px[0]) + LUMA[1] * f64::from(px[1]) + LUMA[2] * f64::from(px[2])) / 255.0
}

/// Tints towards `color` scaled by each pixel's luma, at `opacity` percent.
fn colorize(p: &mut Pixels, color: Color, opacity: u32) {
    let o = f64::from(opacity) / 100.0 * f64::from(color.a) / 255.0;
    let tint = [f64::from(color.r), f64::from(color.g), f64::from(color.b)];
    each_rgb(p, |px| {
        let l = luma(px);
        for (v, t) in px.iter_mut().zip(tint) {
            let x = f64::from(*v) * (1.0 - o) + t * l * o;
            *v = x.round().clamp(0.0, 255.0) as u8;
        }
    });
}

/// Sirv's colortone at `level` %: `solid` maps luma through black → colour
/// → white; `tint` soft-lights the colour over each channel; `highlights`
/// and `shadows` blend the solid duotone in by luma or by its inverse.
fn colortone(p: &mut Pixels, color: Color, level: u32, mode: ToneMode) {
    let k = f64::from(level) / 100.0 * f64::from(color.a) / 255.0;
    if k <= 0.0 {
        return;
    }
    let tint = [f64::from(color.r), f64::from(color.g), f64::from(color.b)];
    each_rgb(p, |px| {
        let l = luma(px);
        let k = match mode {
            ToneMode::Highlights => k * l,
            ToneMode::Shadows => k * (1.0 - l),
            ToneMode::Solid | ToneMode::Tint => k,
        };
        for (v, t) in px.iter_mut().zip(tint) {
            let a = f64::from(*v) / 255.0;
            let b = t / 255.0;
            let target = match mode {
                ToneMode::Tint => (1.0 - 2.0 * b) * a * a + 2.0 * b * a,
                _ if l < 0.5 => b * l * 2.0,
                _ => b + (1.0 - b) * (l - 0.5) * 2.0,
            };
            *v = ((a * (1.0 - k) + target * k) * 255.0)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
    });
}

/// Sirv's vignette: the edges shade towards `color`, nothing within 40 % of
/// the way from the centre to a corner, then smoothly (smoothstep) up to
/// `value` % of the colour at the corners, on an ellipse that follows the
/// image's shape.
fn vignette(p: &mut Pixels, value: u32, color: Color) {
    let (w, h, c) = (p.width as usize, p.height as usize, usize::from(p.channels));
    let strength = f64::from(value) / 100.0 * f64::from(color.a) / 255.0;
    let tint = [f64::from(color.r), f64::from(color.g), f64::from(color.b)];
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    for (y, row) in p.data.chunks_exact_mut(w * c).enumerate() {
        let dy = (y as f64 + 0.5 - cy) / cy;
        for (x, px) in row.chunks_exact_mut(c).enumerate() {
            let dx = (x as f64 + 0.5 - cx) / cx;
            let d = ((dx * dx + dy * dy) / 2.0).sqrt();
            let t = ((d - 0.4) / 0.6).clamp(0.0, 1.0);
            let k = strength * t * t * (3.0 - 2.0 * t);
            if k > 0.0 {
                for (v, tv) in px[..3].iter_mut().zip(tint) {
                    *v = (f64::from(*v) * (1.0 - k) + tv * k)
                        .round()
                        .clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
}

/// A Gaussian blur of standard deviation `sigma` px, approximated by three
/// box blurs (linear time whatever the radius).
pub(crate) fn gaussian(mut p: Pixels, sigma: f64) -> Pixels {
    if sigma < 0.2 {
        return p;
    }
    let ideal = (12.0 * sigma * sigma / 3.0 + 1.0).sqrt();
    let radius = ((ideal - 1.0) / 2.0).round().max(1.0) as usize;
    let (w, h, c) = (p.width as usize, p.height as usize, usize::from(p.channels));
    let mut tmp = vec![0u8; p.data.len()];
    for _ in 0..3 {
        box_pass(&p.data, &mut tmp, w, h, c, radius, true);
        box_pass(&tmp, &mut p.data, w, h, c, radius, false);
    }
    p
}

/// One box pass along rows (`horizontal`) or columns, edges clamped.
fn box_pass(src: &[u8], dst: &mut [u8], w: usize, h: usize, c: usize, r: usize, horizontal: bool) {
    let (len, lines) = if horizontal { (w, h) } else { (h, w) };
    let at = |line: usize, i: usize| {
        if horizontal {
            (line * w + i) * c
        } else {
            (i * w + line) * c
        }
    };
    let n = (2 * r + 1) as u32;
    for line in 0..lines {
        for ch in 0..c {
            let get = |i: isize| -> u32 {
                let i = i.clamp(0, len as isize - 1) as usize;
                u32::from(src[at(line, i) + ch])
            };
            let mut sum: u32 = (-(r as isize)..=r as isize).map(get).sum();
            for i in 0..len {
                dst[at(line, i) + ch] = ((sum + n / 2) / n) as u8;
                sum += get(i as isize + r as isize + 1);
                sum -= get(i as isize - r as isize);
            }
        }
    }
}

/// Unsharp mask: original + amount × (original − blurred at σ=1).
fn unsharp(p: Pixels, amount: f64) -> Pixels {
    let blurred = gaussian(p.clone(), 1.0);
    let c = usize::from(p.channels);
    let mut out = p;
    for (i, v) in out.data.iter_mut().enumerate() {
        if c == 4 && i % 4 == 3 {
            continue;
        }
        let o = f64::from(*v);
        let b = f64::from(blurred.data[i]);
        *v = (o + amount * (o - b)).round().clamp(0.0, 255.0) as u8;
    }
    out
}

#[cfg(test)]
mod light_tests {
    use super::*;
    use crate::plan::Plan;

    fn table(query: &str) -> [u8; 256] {
        let pairs: Vec<(&str, &str)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let options = crate::parse_options(pairs).unwrap();
        tone_table(&Plan::new(&options).adjust)
    }

    #[test]
    fn each_light_option_moves_the_tones_it_names() {
        let id = table("");
        assert!(id.iter().enumerate().all(|(i, v)| usize::from(*v) == i));
        // One stop up: mid-grey's linear value doubles (118 → ~161).
        let up = table("exposure=50");
        assert!((160..=163).contains(&up[118]), "{}", up[118]);
        assert_eq!((up[0], up[255]), (0, 255));
        assert!(table("exposure=-50")[118] < 90);
        // Shadows lift the dark end most, highlights lower the bright end.
        let sh = table("shadows=80");
        assert!(sh[40] > 55 && sh[220] <= 226 && sh[0] == 0 && sh[255] == 255);
        let hi = table("highlights=-80");
        assert!(hi[200] < 180 && hi[255] == 255);
        assert!(
            (i32::from(hi[30]) - 30).abs() <= 5,
            "the dark end barely moves"
        );
        // Levels: 60 → 0, 200 → 255, linear between.
        let lv = table("colorlevel.black=60&colorlevel.white=200");
        assert_eq!((lv[60], lv[200], lv[130]), (0, 255, 128));
    }

    #[test]
    fn a_vignette_shades_the_corners_not_the_centre() {
        let mut p = Pixels {
            width: 100,
            height: 60,
            channels: 3,
            data: vec![200; 100 * 60 * 3],
        };
        let black = Color {
            r: 0,
            g: 0,
            b: 0,
            a: 255,
        };
        vignette(&mut p, 100, black);
        let at = |x: usize, y: usize| p.data[(y * 100 + x) * 3];
        assert_eq!(at(50, 30), 200, "the centre");
        assert!(at(0, 0) < 10 && at(99, 59) < 10, "the corners");
        assert!(at(0, 30) > at(0, 0) && at(0, 30) < 200, "an edge, between");
    }

    #[test]
    fn levels_need_black_below_white() {
        let bad = crate::parse_options([("colorlevel.black", "200"), ("colorlevel.white", "100")]);
        assert!(bad.unwrap_err()[0]
            .reason
            .contains("below colorlevel.white"));
    }
}
