//! Text overlay with `rusttype`: the bundled DejaVu fonts, fonts from
//! storage by family name, and a fallback font (CJK) for the characters
//! the chosen font lacks.
//!
//! The text block (lines, alignment, padding for background and outline) is
//! laid out first, placed by gravity and offsets, then drawn into a coverage
//! mask the size of the visible part of the block (never larger than the
//! image) and blended: background box, outline, text.

use std::sync::OnceLock;

use rusttype::{point, Font, Glyph, IntoGlyphId, Point, PositionedGlyph, Scale};

use super::pixels::{blend, place, Pixels};
use super::Fonts;
use crate::plan::{Align, Length, Offset, Text};
use crate::TransformError;

/// Bundled fonts (DejaVu 2.37, see fonts/LICENSE-DejaVu.txt): each family
/// in regular, bold, oblique/italic and bold oblique, and Sans in extra
/// light, for `text.font.weight` and `text.font.style`.
pub(super) const SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
pub(super) const SERIF: &[u8] = include_bytes!("../../fonts/DejaVuSerif.ttf");
pub(super) const MONO: &[u8] = include_bytes!("../../fonts/DejaVuSansMono.ttf");
const FACES: [[&[u8]; 4]; 3] = [
    [
        SANS,
        include_bytes!("../../fonts/DejaVuSans-Bold.ttf"),
        include_bytes!("../../fonts/DejaVuSans-Oblique.ttf"),
        include_bytes!("../../fonts/DejaVuSans-BoldOblique.ttf"),
    ],
    [
        SERIF,
        include_bytes!("../../fonts/DejaVuSerif-Bold.ttf"),
        include_bytes!("../../fonts/DejaVuSerif-Italic.ttf"),
        include_bytes!("../../fonts/DejaVuSerif-BoldItalic.ttf"),
    ],
    [
        MONO,
        include_bytes!("../../fonts/DejaVuSansMono-Bold.ttf"),
        include_bytes!("../../fonts/DejaVuSansMono-Oblique.ttf"),
        include_bytes!("../../fonts/DejaVuSansMono-BoldOblique.ttf"),
    ],
];
const SANS_LIGHT: &[u8] = include_bytes!("../../fonts/DejaVuSans-ExtraLight.ttf");

/// Default size: this share of the image width.
const DEFAULT_SIZE_PCT: f64 = 8.0;
/// The largest font size drawn, in px.
const MAX_SIZE: f64 = 2000.0;

/// The bundled face for a `text.font.family`, weight and style; unknown
/// families fall back to DejaVu Sans. Weights up to 300 are Sans's extra
/// light (the other families have none: their regular), 600 and up bold.
/// Each face is parsed once, when first used.
fn font(family: Option<&str>, weight: u16, italic: bool) -> Option<&'static Font<'static>> {
    static PARSED: [OnceLock<Option<Font<'static>>>; 13] = [const { OnceLock::new() }; 13];
    let family = family.unwrap_or("").to_ascii_lowercase();
    let f = match family.as_str() {
        "dejavu serif" | "serif" => 1,
        "dejavu sans mono" | "mono" | "monospace" => 2,
        _ => 0,
    };
    let (slot, bytes) = if weight <= 300 && f == 0 && !italic {
        (12, SANS_LIGHT)
    } else {
        let face = usize::from(weight >= 600) + 2 * usize::from(italic);
        (f * 4 + face, FACES[f][face])
    };
    PARSED[slot]
        .get_or_init(|| Font::try_from_bytes(bytes))
        .as_ref()
        .or_else(|| {
            PARSED[0]
                .get_or_init(|| Font::try_from_bytes(SANS))
                .as_ref()
        })
}

/// The bundled families' names (any case).
const BUNDLED: [&str; 7] = [
    "dejavu sans",
    "sans",
    "dejavu serif",
    "serif",
    "dejavu sans mono",
    "mono",
    "monospace",
];

pub(crate) fn face_names(family: &str, weight: u16, italic: bool) -> Vec<String> {
    let face = match (weight >= 600, italic) {
        (true, true) => Some("BoldItalic"),
        (true, false) => Some("Bold"),
        (false, true) => Some("Italic"),
        (false, false) if weight <= 300 => Some("Light"),
        (false, false) => None,
    };
    let mut names: Vec<String> = face.map(|f| format!("{family}-{f}")).into_iter().collect();
    names.push(family.to_owned());
    names
}

pub(crate) fn is_bundled(family: &str) -> bool {
    BUNDLED.iter().any(|b| b.eq_ignore_ascii_case(family))
}

/// Whether `bytes` is a font to draw with: it parses, and has outlines
/// for Latin letters or for CJK (a fallback font may lack Latin).
pub(crate) fn check_font(bytes: &[u8]) -> Result<(), TransformError> {
    let font = Font::try_from_bytes(bytes)
        .ok_or_else(|| TransformError::BadFont("not a TrueType or OpenType font".into()))?;
    // OpenType's range: a smaller em makes every outline unit a huge step.
    if !(16..=16384).contains(&font.units_per_em()) {
        return Err(TransformError::BadFont(format!(
            "{} units per em (OpenType allows 16 to 16384)",
            font.units_per_em()
        )));
    }
    if font.glyph_count() == 0 || !['A', 'a', '中', 'あ'].iter().any(|c| has(&font, *c)) {
        return Err(TransformError::BadFont(
            "it has no glyphs for letters".into(),
        ));
    }
    Ok(())
}

/// The glyph of `c`, or `None` when the font has none — also when its
/// character map names a glyph past its glyph count (a hostile font, on
/// which `rusttype` would panic).
fn glyph_of<'f>(font: &Font<'f>, c: char) -> Option<Glyph<'f>> {
    let id = c.into_glyph_id(font);
    (id.0 != 0 && usize::from(id.0) < font.glyph_count()).then(|| font.glyph(id))
}

fn has(font: &Font<'_>, c: char) -> bool {
    glyph_of(font, c).is_some()
}

/// Lays `line` out from `origin`: each character in `primary`, or in
/// `fallback` when only that font has it; kerning between neighbours of one
/// font.
fn layout<'f>(
    primary: &'f Font<'f>,
    fallback: Option<&'f Font<'f>>,
    line: &str,
    scale: Scale,
    origin: Point<f32>,
) -> Vec<PositionedGlyph<'f>> {
    let mut out = Vec::with_capacity(line.len());
    let mut x = origin.x;
    let mut last: Option<(rusttype::GlyphId, bool)> = None;
    for c in line.chars() {
        let use_fallback = match fallback {
            Some(f) => !has(primary, c) && has(f, c),
            None => false,
        };
        let font = match (use_fallback, fallback) {
            (true, Some(f)) => f,
            _ => primary,
        };
        // A character neither font has: the chosen font's missing glyph.
        let glyph = glyph_of(font, c)
            .unwrap_or_else(|| font.glyph(rusttype::GlyphId(0)))
            .scaled(scale);
        if let Some((id, from_fallback)) = last {
            if from_fallback == use_fallback {
                x += font.pair_kerning(scale, id, glyph.id());
            }
        }
        let advance = glyph.h_metrics().advance_width;
        let placed = glyph.positioned(point(x, origin.y));
        last = Some((placed.id(), use_fallback));
        x += advance;
        out.push(placed);
    }
    out
}

/// Draws the text overlay onto the image. Fonts from storage and the
/// fallback font are checked when loaded, but `rusttype` asserts on some
/// broken tables while drawing: a panic there is contained and leaves the
/// text undrawn (or half drawn), never the request failed.
pub(crate) fn draw(mut p: Pixels, t: &Text, fonts: Fonts<'_>) -> Pixels {
    // On a panic the pixels are whole: only the text's own buffers were
    // mid-way.
    let _drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        draw_into(&mut p, t, fonts);
    }));
    p
}

fn draw_into(p: &mut Pixels, t: &Text, fonts: Fonts<'_>) {
    // A family from storage, by name, else the bundled faces.
    let stored = t.font_family.as_deref().and_then(|family| {
        face_names(family, t.weight, t.italic)
            .iter()
            .find_map(|face| {
                fonts
                    .user
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(face))
                    .and_then(|(_, bytes)| Font::try_from_bytes(bytes))
            })
    });
    let bundled = font(t.font_family.as_deref(), t.weight, t.italic);
    let Some(font) = stored.as_ref().or(bundled) else {
        return;
    };
    let fallback = fonts.fallback.and_then(Font::try_from_bytes);
    let fallback = fallback.as_ref();
    let text = t.text.as_str();
    let (iw, ih) = (p.width, p.height);
    let lines: Vec<&str> = text.split('\n').collect();
    let widths_at = |scale: Scale| -> Vec<f32> {
        lines
            .iter()
            .map(|line| {
                layout(font, fallback, line, scale, point(0.0, 0.0))
                    .last()
                    .map_or(0.0, |g| {
                        g.position().x + g.unpositioned().h_metrics().advance_width
                    })
            })
            .collect()
    };
    let size = match (t.font_size, t.size) {
        (Some(px), _) => f64::from(px),
        // Sirv's text.size=N%: the widest line spans N % of the image; the
        // font is fitted from a layout at 100 px (widths scale linearly).
        (None, Some(Length::Percent(pct))) => {
            let at_100 = widths_at(Scale::uniform(100.0))
                .into_iter()
                .fold(0.0, f32::max);
            if at_100 > 0.0 {
                f64::from(iw) * pct / 100.0 * 100.0 / f64::from(at_100)
            } else {
                f64::from(iw) * DEFAULT_SIZE_PCT / 100.0
            }
        }
        (None, Some(px)) => px.of(iw),
        (None, None) => f64::from(iw) * DEFAULT_SIZE_PCT / 100.0,
    }
    .clamp(4.0, MAX_SIZE) as f32;
    let scale = Scale::uniform(size);
    let vm = font.v_metrics(scale);
    let line_h = (vm.ascent - vm.descent + vm.line_gap).ceil().max(1.0);
    let widths = widths_at(scale);
    let block_w = widths.iter().copied().fold(0.0, f32::max).ceil();
    let block_h = line_h * lines.len() as f32;

    let background = t.background;
    let outline_w = t.outline_width;
    let pad = if background.is_some() {
        (size * 0.25).round() as u32
    } else {
        0
    } + outline_w;
    let box_w = block_w as u32 + 2 * pad;
    let box_h = block_h as u32 + 2 * pad;

    let offset = |l: Option<Offset>, of: u32| l.map_or(0, |l| l.of(of).round() as i64);
    let (bx, by) = place(
        t.position,
        (iw, ih),
        (box_w, box_h),
        (offset(t.x, iw), offset(t.y, ih)),
    );

    // The visible part of the box.
    let x0 = bx.clamp(0, i64::from(iw));
    let y0 = by.clamp(0, i64::from(ih));
    let x1 = (bx + i64::from(box_w)).clamp(0, i64::from(iw));
    let y1 = (by + i64::from(box_h)).clamp(0, i64::from(ih));
    if x1 <= x0 || y1 <= y0 {
        return;
    }
    let (vw, vh) = ((x1 - x0) as usize, (y1 - y0) as usize);

    let opacity = t.opacity;
    if let Some(bg) = background {
        let a = u32::from(bg.a) * t.background_opacity / 100;
        fill_rect(p, (x0, y0, x1, y1), [bg.r, bg.g, bg.b], a * opacity / 100);
    }

    // Coverage of the glyphs, in visible-box coordinates.
    let mut cover = vec![0u8; vw * vh];
    for (i, (line, width)) in lines.iter().zip(&widths).enumerate() {
        let shift = match t.align {
            Align::Left => 0.0,
            Align::Right => block_w - width,
            Align::Center => (block_w - width) / 2.0,
        };
        let origin = point(
            (bx + i64::from(pad) - x0) as f32 + shift,
            (by + i64::from(pad) - y0) as f32 + vm.ascent + line_h * i as f32,
        );
        for glyph in layout(font, fallback, line, scale, origin) {
            let Some(bb) = glyph.pixel_bounding_box() else {
                continue;
            };
            // rusttype rasterises a glyph into a buffer of its whole box: a
            // hostile outline far larger than the text block is skipped.
            let area = i64::from(bb.width()) * i64::from(bb.height());
            if area > 4 * (vw as i64 + line_h as i64).pow(2) {
                continue;
            }
            glyph.draw(|gx, gy, v| {
                let x = i64::from(bb.min.x) + i64::from(gx);
                let y = i64::from(bb.min.y) + i64::from(gy);
                if x >= 0 && y >= 0 && (x as usize) < vw && (y as usize) < vh {
                    let cell = &mut cover[y as usize * vw + x as usize];
                    *cell = (*cell).max((v * 255.0).round() as u8);
                }
            });
        }
    }

    let color = t.color;
    let c = usize::from(p.channels);
    let iw_us = iw as usize;
    let mut paint = |mask: &[u8], rgb: [u8; 3], alpha: u32| {
        for y in 0..vh {
            for x in 0..vw {
                let m = u32::from(mask[y * vw + x]);
                if m == 0 {
                    continue;
                }
                let i = ((y0 as usize + y) * iw_us + x0 as usize + x) * c;
                blend(&mut p.data[i..i + c], rgb, m * alpha / 255);
            }
        }
    };
    if outline_w > 0 {
        let oc = t.outline_color;
        let mut ring = dilate(&cover, vw, vh, outline_w as usize);
        if t.outline_blur > 0 {
            ring = soften(&ring, vw, vh, t.outline_blur as usize);
        }
        let alpha = u32::from(oc.a) * opacity / 100 * t.outline_opacity / 100;
        paint(&ring, [oc.r, oc.g, oc.b], alpha);
    }
    paint(
        &cover,
        [color.r, color.g, color.b],
        u32::from(color.a) * opacity / 100,
    );
}

fn fill_rect(p: &mut Pixels, (x0, y0, x1, y1): (i64, i64, i64, i64), rgb: [u8; 3], alpha: u32) {
    let c = usize::from(p.channels);
    for y in y0..y1 {
        for x in x0..x1 {
            let i = (y as usize * p.width as usize + x as usize) * c;
            blend(&mut p.data[i..i + c], rgb, alpha);
        }
    }
}

/// Softens a mask with a box blur of radius `r` px (rows then columns,
/// running sums: linear in the mask whatever `r`).
fn soften(mask: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    let pass = |src: &[u8], len: usize, lines: usize, at: &dyn Fn(usize, usize) -> usize| {
        let mut out = vec![0u8; src.len()];
        for line in 0..lines {
            let mut sum: u32 = 0;
            let n = (2 * r + 1) as u32;
            // The window [i - r, i + r], edges counted as zero.
            for i in 0..r.min(len) {
                sum += u32::from(src[at(line, i)]);
            }
            for i in 0..len {
                if i + r < len {
                    sum += u32::from(src[at(line, i + r)]);
                }
                out[at(line, i)] = (sum / n) as u8;
                if i >= r {
                    sum -= u32::from(src[at(line, i - r)]);
                }
            }
        }
        out
    };
    let rows = pass(mask, w, h, &|line, i| line * w + i);
    pass(&rows, h, w, &|line, i| i * w + line)
}

/// Grows a mask by `r` px (a square max filter, rows then columns).
fn dilate(mask: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    let mut rows = vec![0u8; mask.len()];
    for y in 0..h {
        for x in 0..w {
            let lo = x.saturating_sub(r);
            let hi = (x + r).min(w - 1);
            rows[y * w + x] = mask[y * w + lo..=y * w + hi]
                .iter()
                .copied()
                .max()
                .unwrap_or(0);
        }
    }
    let mut out = vec![0u8; mask.len()];
    for y in 0..h {
        let lo = y.saturating_sub(r);
        let hi = (y + r).min(h - 1);
        for x in 0..w {
            out[y * w + x] = (lo..=hi).map(|yy| rows[yy * w + x]).max().unwrap_or(0);
        }
    }
    out
}

#[cfg(test)]
mod weight_tests {
    use super::*;
    use crate::plan::Plan;

    /// Pixels the text turned white on a black image.
    fn ink(query: &str) -> usize {
        let pairs: Vec<(&str, &str)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let plan = Plan::new(&crate::parse_options(pairs).unwrap());
        let black = Pixels {
            width: 300,
            height: 80,
            channels: 3,
            data: vec![0; 300 * 80 * 3],
        };
        let out = draw(black, &plan.texts[0], Fonts::default());
        out.data.chunks(3).filter(|px| px[0] > 128).count()
    }

    #[test]
    fn softening_spreads_a_mask_without_moving_it() {
        let mut m = vec![0u8; 11 * 11];
        for y in 3..8 {
            for x in 3..8 {
                m[y * 11 + x] = 255;
            }
        }
        let s = soften(&m, 11, 11, 2);
        assert_eq!(s[5 * 11 + 5], 255, "the middle stays full");
        assert!(s[5 * 11 + 2] > 0 && s[5 * 11 + 2] < 255, "the edge softens");
        assert_eq!(s[0], 0, "far away stays clear");
        assert_eq!(s[5 * 11 + 1], s[5 * 11 + 9], "symmetric");
    }

    #[test]
    fn heavier_weights_put_down_more_ink() {
        let q = |w: &str| {
            ink(&format!(
                "text=Weight&text.font.size=40&text.color=ffffff&text.font.weight={w}"
            ))
        };
        let (light, normal, bold) = (q("light"), q("normal"), q("bold"));
        assert!(light < normal && normal < bold, "{light} {normal} {bold}");
        assert_eq!(q("500"), normal);
        assert_eq!(q("800"), bold);
        let italic = ink("text=Weight&text.font.size=40&text.color=ffffff&text.font.style=italic");
        assert_ne!(italic, normal);
    }
}
