//! SVG sources, rasterised with `resvg` at the size the output needs (a
//! vector is never scaled up from a small bitmap).
//!
//! An SVG is a program of sorts, so before `usvg` sees the document it is
//! parsed here with caps and walked:
//!
//! - at most [`MAX_NODES`] XML nodes, entity loops refused by the parser
//!   (billion laughs);
//! - nesting, counted through `<use>` references, at most [`MAX_DEPTH`], and
//!   the tree that `<use>` expansion would build at most [`MAX_EXPANDED`]
//!   elements (a `<use>` fan-out bomb is refused, not expanded);
//! - no `href` that leaves the document: only `#fragment` and `data:` ones
//!   (a link on `<a>` excepted, it loads nothing), so a file cannot make
//!   signet read `/etc/passwd`, another bucket key or a URL;
//! - embedded `data:` images only as PNG, JPEG, GIF or WebP whose header is
//!   within the pixel limit; anything else (an embedded SVG document too,
//!   which is never parsed) refuses the document;
//! - text in the bundled DejaVu faces only, never the host's fonts;
//! - a panic in the renderer is caught and reported as a bad source.
//!
//! The original file keeps being served as it is, under the sandboxing CSP
//! (docs/security.md); this module only makes bitmaps from it.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb, roxmltree, ImageHrefResolver, ImageKind};

use super::{codec, Pixels};
use crate::TransformError;

/// XML nodes (elements, text, comments) in one document.
pub(crate) const MAX_NODES: u32 = 200_000;
/// Element nesting, `<use>` hops included.
pub(crate) const MAX_DEPTH: usize = 64;
/// Elements after `<use>` expansion.
pub(crate) const MAX_EXPANDED: u64 = 500_000;

fn bad(why: impl std::fmt::Display) -> TransformError {
    TransformError::NotAnImage(format!("svg: {why}"))
}

/// Whether the bytes look like an SVG document: text starting with `<`
/// (after a byte-order mark and white space) with an `<svg` element in its
/// first 4 KiB.
pub(crate) fn looks_like_svg(data: &[u8]) -> bool {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let start = data.iter().position(|b| !b.is_ascii_whitespace());
    let Some(head) = start.and_then(|s| data.get(s..)) else {
        return false;
    };
    let head = &head[..head.len().min(4096)];
    head.first() == Some(&b'<') && head.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg"))
}

/// The intrinsic size (from `width`/`height`, else the `viewBox`), rounded
/// up to whole pixels.
pub(crate) fn size(data: &[u8]) -> Result<(u32, u32), TransformError> {
    let tree = parse(data, u64::MAX)?;
    let size = tree.size();
    Ok((pixels(size.width()), pixels(size.height())))
}

fn pixels(v: f32) -> u32 {
    // Sizes beyond u32 saturate, and are refused by the pixel limit.
    v.ceil().clamp(1.0, u32::MAX as f32) as u32
}

/// Renders to cover `min_w`×`min_h` (keeping the aspect ratio), in at most
/// `max_pixels`; RGBA, or RGB when every pixel is opaque.
pub(crate) fn render(
    data: &[u8],
    (min_w, min_h): (u32, u32),
    max_pixels: u64,
) -> Result<Pixels, TransformError> {
    let tree = parse(data, max_pixels)?;
    let size = tree.size();
    let (w, h) = (size.width(), size.height());
    let mut scale = (min_w as f32 / w).max(min_h as f32 / h);
    let area = f64::from(w * scale) * f64::from(h * scale);
    if area > max_pixels as f64 {
        scale *= (max_pixels as f64 / area).sqrt() as f32;
    }
    let (out_w, out_h) = (pixels(w * scale), pixels(h * scale));
    let mut pixmap = tiny_skia::Pixmap::new(out_w, out_h)
        .ok_or_else(|| bad(format!("cannot render at {out_w}x{out_h}")))?;
    let transform = tiny_skia::Transform::from_scale(out_w as f32 / w, out_h as f32 / h);
    catch_unwind(AssertUnwindSafe(|| {
        resvg::render(&tree, transform, &mut pixmap.as_mut());
    }))
    .map_err(|_| bad("the renderer failed on this document"))?;
    let mut rgba = Vec::with_capacity(out_w as usize * out_h as usize * 4);
    for px in pixmap.pixels() {
        let c = px.demultiply();
        rgba.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    Ok(Pixels {
        width: out_w,
        height: out_h,
        channels: 4,
        data: rgba,
    }
    .drop_opaque_alpha())
}

/// Parses with the caps above; embedded rasters over `max_pixels` refuse
/// the document.
fn parse(data: &[u8], max_pixels: u64) -> Result<usvg::Tree, TransformError> {
    let text = std::str::from_utf8(data).map_err(|_| bad("not UTF-8 text"))?;
    let xml = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: MAX_NODES,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, xml).map_err(bad)?;
    check(&doc)?;
    let oversized = Arc::new(AtomicBool::new(false));
    let flag = oversized.clone();
    let options = usvg::Options {
        resources_dir: None,
        font_family: "DejaVu Sans".into(),
        fontdb: fonts(),
        image_href_resolver: ImageHrefResolver {
            resolve_data: Box::new(move |_mime, data, _| {
                let kind = embedded(data, max_pixels);
                if kind.is_none() {
                    flag.store(true, Ordering::Relaxed);
                }
                kind
            }),
            // Refused by `check` already; never read a path or a URL.
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let tree = catch_unwind(AssertUnwindSafe(|| {
        usvg::Tree::from_xmltree(&doc, &options)
    }))
    .map_err(|_| bad("the parser failed on this document"))?
    .map_err(bad)?;
    if oversized.load(Ordering::Relaxed) {
        return Err(bad(
            "an embedded image is not a PNG, JPEG, GIF or WebP within the pixel limit",
        ));
    }
    Ok(tree)
}

/// An embedded `data:` raster, when its header is one `resvg` draws and
/// within the pixel limit.
fn embedded(data: Arc<Vec<u8>>, max_pixels: u64) -> Option<ImageKind> {
    // By format first: an embedded SVG is never parsed (no recursion).
    let format = codec::sniff(&data)?;
    let kind: fn(Arc<Vec<u8>>) -> ImageKind = match format {
        codec::Format::Png => ImageKind::PNG,
        codec::Format::Jpeg => ImageKind::JPEG,
        codec::Format::Gif => ImageKind::GIF,
        codec::Format::WebP => ImageKind::WEBP,
        _ => return None,
    };
    let header = codec::probe(&data, format).ok()?;
    let pixels = u64::from(header.width) * u64::from(header.height);
    (pixels <= max_pixels).then(|| kind(data))
}

/// The bundled faces, loaded once, as the only fonts SVG text can use.
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            for face in [super::text::SANS, super::text::SERIF, super::text::MONO] {
                db.load_font_source(fontdb::Source::Binary(Arc::new(face)));
            }
            db.set_sans_serif_family("DejaVu Sans");
            db.set_serif_family("DejaVu Serif");
            db.set_monospace_family("DejaVu Sans Mono");
            db.set_cursive_family("DejaVu Sans");
            db.set_fantasy_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

/// Refuses external references, deep nesting and `<use>` bombs.
fn check(doc: &roxmltree::Document<'_>) -> Result<(), TransformError> {
    let mut ids = HashMap::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        if let Some(href) = href(&node) {
            let local = href.starts_with('#') || href.starts_with("data:");
            if !local && node.tag_name().name() != "a" {
                return Err(bad(format!(
                    "references `{}` outside the document; only #fragments and data: URLs are allowed",
                    href.chars().take(80).collect::<String>()
                )));
            }
        }
        if let Some(id) = node.attribute("id") {
            ids.entry(id).or_insert(node);
        }
    }
    let mut walk = Walk {
        ids,
        cost: HashMap::new(),
    };
    walk.cost(doc.root_element(), 1)?;
    Ok(())
}

fn href<'a>(node: &roxmltree::Node<'a, '_>) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == "href")
        .map(|a| a.value().trim())
}

/// Elements each subtree stands for once `<use>` is expanded, and how deep
/// it reaches, memoised.
struct Walk<'a, 'input> {
    ids: HashMap<&'a str, roxmltree::Node<'a, 'input>>,
    cost: HashMap<roxmltree::NodeId, (u64, usize)>,
}

impl<'a, 'input> Walk<'a, 'input> {
    /// `(elements, height)` of the subtree at `node`, found `depth` deep.
    fn cost(
        &mut self,
        node: roxmltree::Node<'a, 'input>,
        depth: usize,
    ) -> Result<(u64, usize), TransformError> {
        let too_deep = || {
            bad(format!(
                "elements nest (through <use> too) deeper than {MAX_DEPTH} levels"
            ))
        };
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        if let Some(&(total, height)) = self.cost.get(&node.id()) {
            if depth + height > MAX_DEPTH {
                return Err(too_deep());
            }
            return Ok((total, height));
        }
        let (mut total, mut height) = (1u64, 1usize);
        let target = (node.tag_name().name() == "use")
            .then(|| href(&node))
            .flatten()
            .and_then(|h| h.strip_prefix('#'))
            .and_then(|id| self.ids.get(id).copied());
        let children = node.children().filter(|c| c.is_element());
        for child in children.chain(target) {
            let (n, h) = self.cost(child, depth + 1)?;
            total = total.saturating_add(n);
            height = height.max(h + 1);
        }
        if total > MAX_EXPANDED {
            return Err(bad(format!(
                "<use> expansion makes more than {MAX_EXPANDED} elements"
            )));
        }
        self.cost.insert(node.id(), (total, height));
        Ok((total, height))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str =
        r#"xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink""#;

    fn refused(svg: &str) -> String {
        match size(svg.as_bytes()) {
            Err(TransformError::NotAnImage(why)) => why,
            other => panic!("{svg:.80}: {other:?}"),
        }
    }

    #[test]
    fn renders_at_the_size_asked_for() {
        let svg = format!(
            r#"<svg {NS} width="40" height="20"><rect width="20" height="20" fill="red"/></svg>"#
        );
        assert_eq!(size(svg.as_bytes()).unwrap(), (40, 20));
        let p = render(svg.as_bytes(), (400, 0), u64::MAX).unwrap();
        assert_eq!((p.width, p.height, p.channels), (400, 200, 4));
        let at = |x: usize, y: usize| &p.data[(y * 400 + x) * 4..][..4];
        assert_eq!(at(100, 100), &[255, 0, 0, 255]);
        assert_eq!(at(300, 100)[3], 0, "transparent where nothing is drawn");
        // Capped by the pixel budget, aspect kept.
        let small = render(svg.as_bytes(), (4000, 2000), 20_000).unwrap();
        assert_eq!((small.width, small.height), (200, 100));
    }

    #[test]
    fn refuses_what_leaves_the_document() {
        for href in [
            "file:///etc/passwd",
            "/etc/passwd",
            "http://169.254.169.254/latest/meta-data",
            "other.svg#x",
        ] {
            for element in ["image", "use", "feImage"] {
                let svg = format!(
                    r#"<svg {NS} width="10" height="10"><{element} xlink:href="{href}" width="10" height="10"/></svg>"#
                );
                assert!(refused(&svg).contains("outside the document"), "{svg}");
                let svg2 = svg.replace("xlink:href", "href");
                assert!(refused(&svg2).contains("outside the document"), "{svg2}");
            }
        }
        // A hyperlink loads nothing.
        let link = format!(
            r#"<svg {NS} width="10" height="10"><a href="https://example.com/"><rect width="5" height="5"/></a></svg>"#
        );
        assert_eq!(size(link.as_bytes()).unwrap(), (10, 10));
    }

    #[test]
    fn refuses_entity_and_use_bombs_and_deep_nesting() {
        let mut laughs = String::from("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"lol\">");
        for i in 1..10 {
            let prev = format!("&l{};", i - 1).repeat(10);
            laughs.push_str(&format!("<!ENTITY l{i} \"{prev}\">"));
        }
        laughs.push_str(&format!(
            "]><svg {NS} width=\"9\" height=\"9\"><text>&l9;</text></svg>"
        ));
        refused(&laughs);

        let mut bomb =
            format!(r#"<svg {NS} width="9" height="9"><defs><rect id="a0" width="1" height="1"/>"#);
        for i in 1..8 {
            bomb.push_str(&format!(r#"<g id="a{i}">"#));
            bomb.push_str(&format!(r##"<use xlink:href="#a{}"/>"##, i - 1).repeat(10));
            bomb.push_str("</g>");
        }
        bomb.push_str(r##"</defs><use xlink:href="#a7"/></svg>"##);
        assert!(refused(&bomb).contains("expansion"));

        let deep = format!(
            "<svg {NS} width=\"9\" height=\"9\">{}{}</svg>",
            "<g>".repeat(5000),
            "</g>".repeat(5000)
        );
        assert!(refused(&deep).contains("deeper"));
        // A <use> that contains itself.
        let cycle = format!(
            r##"<svg {NS} width="9" height="9"><g id="a"><use xlink:href="#a"/></g></svg>"##
        );
        refused(&cycle);
    }

    #[test]
    fn nesting_at_the_limit_renders_on_a_small_stack() {
        let depth = MAX_DEPTH - 2;
        let svg = format!(
            r#"<svg {NS} width="8" height="8">{}<rect width="8" height="8"/>{}</svg>"#,
            "<g>".repeat(depth),
            "</g>".repeat(depth)
        );
        // tokio's blocking threads have 2 MiB stacks.
        let p = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || render(svg.as_bytes(), (8, 8), u64::MAX).map(|p| p.channels))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(p.unwrap(), 3, "an opaque render drops its alpha");
    }

    #[test]
    fn embedded_rasters_are_checked_against_the_pixel_limit() {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(300, 300, image::Rgb([0, 200, 0]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        use base64::Engine;
        let svg = format!(
            r#"<svg {NS} width="30" height="30"><image width="30" height="30" xlink:href="data:image/png;base64,{}"/></svg>"#,
            base64::engine::general_purpose::STANDARD.encode(&png)
        );
        let p = render(svg.as_bytes(), (30, 30), 1_000_000).unwrap();
        assert_eq!(&p.data[(15 * 30 + 15) * 3..][..3], &[0, 200, 0]);
        match render(svg.as_bytes(), (30, 30), 50_000) {
            Err(TransformError::NotAnImage(why)) => assert!(why.contains("embedded"), "{why}"),
            other => panic!("{other:?}"),
        }
        // An SVG inside an SVG is refused, not parsed.
        let inner = format!(r#"<svg {NS} width="9" height="9"/>"#);
        let nested = format!(
            r#"<svg {NS} width="30" height="30"><image width="30" height="30" href="data:image/svg+xml;base64,{}"/></svg>"#,
            base64::engine::general_purpose::STANDARD.encode(inner)
        );
        assert!(refused(&nested).contains("embedded"));
    }
}
