//! Parsing and validation of image options from flat `name=value` pairs.
//!
//! Every option of SPEC §4 is listed once in [`SPECS`] with its aliases and
//! the kind of value it takes. Parsing resolves aliases to one canonical name,
//! checks every value, and reports all failures at once.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::values::{Color, Gravity};

/// The kind of value an option takes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Pixels (a non-negative integer) or `N%`.
    Length,
    /// A [`Kind::Length`] that may be negative (an overlay's offset: from
    /// the opposite edge).
    Offset,
    /// Pixels only, at least 1.
    Pixels,
    /// An integer in an inclusive range.
    Int(i64, i64),
    /// A decimal number in an inclusive range.
    Number(f64, f64),
    Bool,
    Color,
    Gravity,
    /// A gravity or `tile`.
    Placement,
    /// A level 0–100, or `true` (50) / `false` (0).
    Level,
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
    /// Free UTF-8 text (overlay text), at most 1 KiB.
    Text,
    /// Overlay text in base64 (standard or URL-safe alphabet, padding
    /// optional), stored decoded as [`Kind::Text`] under `text`.
    Text64,
    /// Sirv's `text.size`: a bare number or `N%` is the width of the text
    /// block in % of the image (1–100), `Npx` the font size in pixels.
    TextSize,
    /// A name: letters, digits, space, `_`, `-`, `.`; at most 100 bytes.
    Name,
    /// A path in storage: starts with `/`, no `.`/`..` segments.
    StoragePath,
    /// A time in a video, seconds from 0 to 86400 (at most 3 decimals), or
    /// `auto`.
    Moment,
    /// An aspect ratio, `W:H` with whole numbers 1–10000 (`16:9`).
    Ratio,
    /// A region of the source as fractions of its size, `x,y,w,h` (each
    /// 0–1, at most 4 decimals; w and h above 0, x+w and y+h at most 1).
    Area,
}

struct Spec {
    name: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
}

const fn opt(name: &'static str, aliases: &'static [&'static str], kind: Kind) -> Spec {
    Spec {
        name,
        aliases,
        kind,
    }
}

const FORMATS: &[&str] = &[
    "jpg", "jpeg", "png", "webp", "avif", "gif", "optimal", "original",
];

/// Every option, by canonical name. Keep in step with docs/url-api.md.
const SPECS: &[Spec] = &[
    // size
    opt("w", &["scale.width", "width"], Kind::Length),
    opt("h", &["scale.height", "height"], Kind::Length),
    opt("s", &[], Kind::Pixels),
    opt("thumbnail", &[], Kind::Pixels),
    opt(
        "scale.option",
        &[],
        Kind::OneOf(&["fit", "fill", "ignore", "noup"]),
    ),
    opt("dpr", &[], Kind::Number(1.0, 4.0)),
    // crop
    opt("cx", &["crop.x"], Kind::Length),
    opt("cy", &["crop.y"], Kind::Length),
    opt("cw", &["crop.width"], Kind::Length),
    opt("ch", &["crop.height"], Kind::Length),
    opt("crop.type", &[], Kind::OneOf(&["trim", "poi", "face"])),
    opt("crop.confidence", &[], Kind::Int(0, 100)),
    opt("crop.pad.width", &["crop.pad.x"], Kind::Length),
    opt("crop.pad.height", &["crop.pad.y"], Kind::Length),
    opt("crop.area", &[], Kind::Area),
    opt("crop.aspectratio", &[], Kind::Ratio),
    // canvas
    opt("canvas.width", &[], Kind::Length),
    opt("canvas.height", &[], Kind::Length),
    opt("canvas.color", &[], Kind::Color),
    opt("canvas.position", &[], Kind::Gravity),
    opt("canvas.opacity", &[], Kind::Int(0, 100)),
    opt("canvas.aspectratio", &[], Kind::Ratio),
    opt("canvas.border.width", &[], Kind::Length),
    opt("canvas.border.height", &[], Kind::Length),
    opt("canvas.border.color", &[], Kind::Color),
    opt("canvas.border.opacity", &[], Kind::Int(0, 100)),
    // orientation
    opt("rotate", &[], Kind::Int(-180, 180)),
    opt("flip", &[], Kind::Bool),
    opt("flop", &[], Kind::Bool),
    // adjustments
    opt("brightness", &[], Kind::Int(-100, 100)),
    opt("contrast", &[], Kind::Int(-100, 100)),
    opt("saturation", &[], Kind::Int(-100, 100)),
    opt("lightness", &[], Kind::Int(-100, 100)),
    opt("hue", &[], Kind::Int(-100, 100)),
    opt("exposure", &[], Kind::Int(-100, 100)),
    opt("shadows", &[], Kind::Int(-100, 100)),
    opt("highlights", &[], Kind::Int(-100, 100)),
    opt("colorlevel.black", &[], Kind::Int(0, 254)),
    opt("colorlevel.white", &[], Kind::Int(1, 255)),
    opt("grayscale", &[], Kind::Bool),
    opt("blur", &[], Kind::Int(0, 100)),
    opt("sharpen", &[], Kind::Int(0, 100)),
    opt("colorize.color", &[], Kind::Color),
    opt("colorize.opacity", &[], Kind::Int(0, 100)),
    opt(
        "colortone",
        &[],
        Kind::OneOf(&["sepia", "warm", "cold", "texas", "sunlight", "none"]),
    ),
    opt("colortone.color", &[], Kind::Color),
    opt("colortone.level", &[], Kind::Int(0, 100)),
    opt(
        "colortone.mode",
        &[],
        Kind::OneOf(&["solid", "tint", "highlights", "shadows"]),
    ),
    opt("vignette.value", &["vignette"], Kind::Int(0, 100)),
    opt("vignette.color", &[], Kind::Color),
    opt("opacity", &[], Kind::Int(0, 100)),
    opt(
        "histogram",
        &[],
        Kind::OneOf(&["rgb", "r", "g", "b", "true"]),
    ),
    // format
    opt("format", &[], Kind::OneOf(FORMATS)),
    opt("q", &["quality"], Kind::Int(1, 100)),
    opt("progressive", &[], Kind::Bool),
    opt(
        "subsampling",
        &[],
        Kind::OneOf(&["4:2:0", "4:2:2", "4:4:4"]),
    ),
    opt("webp-fallback", &[], Kind::OneOf(&["jpg", "jpeg", "png"])),
    opt("png.optimize", &[], Kind::Bool),
    opt("gif.lossy", &[], Kind::Level),
    // text
    opt("text", &["text.text"], Kind::Text),
    opt("text.text64", &[], Kind::Text64),
    opt("text.size", &[], Kind::TextSize),
    opt("text.color", &[], Kind::Color),
    opt("text.opacity", &[], Kind::Int(0, 100)),
    opt("text.position", &["text.position.gravity"], Kind::Gravity),
    opt("text.position.x", &[], Kind::Offset),
    opt("text.position.y", &[], Kind::Offset),
    opt("text.font.family", &[], Kind::Name),
    opt("text.font.size", &[], Kind::Pixels),
    opt(
        "text.font.weight",
        &[],
        Kind::OneOf(&[
            "light",
            "normal",
            "semi-bold",
            "bold",
            "extra-bold",
            "300",
            "400",
            "500",
            "600",
            "700",
            "800",
        ]),
    ),
    opt("text.font.style", &[], Kind::OneOf(&["normal", "italic"])),
    opt("text.align", &[], Kind::OneOf(&["left", "center", "right"])),
    opt("text.background.color", &[], Kind::Color),
    opt("text.background.opacity", &[], Kind::Int(0, 100)),
    opt("text.outline.color", &[], Kind::Color),
    opt("text.outline.width", &[], Kind::Int(0, 50)),
    opt("text.outline.opacity", &[], Kind::Int(0, 100)),
    opt("text.outline.blur", &[], Kind::Int(0, 50)),
    // watermark
    opt("watermark", &["watermark.image"], Kind::StoragePath),
    opt(
        "watermark.position",
        &["watermark.position.gravity"],
        Kind::Placement,
    ),
    opt("watermark.position.x", &[], Kind::Offset),
    opt("watermark.position.y", &[], Kind::Offset),
    opt("watermark.scale.width", &[], Kind::Length),
    opt("watermark.scale.height", &[], Kind::Length),
    opt("watermark.opacity", &[], Kind::Int(0, 100)),
    opt(
        "watermark.scale.option",
        &[],
        Kind::OneOf(&["noup", "fit", "fill", "ignore"]),
    ),
    opt("watermark.rotate", &[], Kind::Int(-180, 180)),
    opt("watermark.layer", &[], Kind::OneOf(&["front", "back"])),
    opt("watermark.crop.x", &[], Kind::Length),
    opt("watermark.crop.y", &[], Kind::Length),
    opt("watermark.crop.width", &[], Kind::Length),
    opt("watermark.crop.height", &[], Kind::Length),
    opt("watermark.canvas.color", &[], Kind::Color),
    opt("watermark.canvas.opacity", &[], Kind::Int(0, 100)),
    opt("watermark.canvas.width", &[], Kind::Length),
    opt("watermark.canvas.height", &[], Kind::Length),
    // profile
    opt(
        "frame.style",
        &[],
        Kind::OneOf(&["solid", "mirror", "edge", "dither", "none"]),
    ),
    opt("frame.color", &[], Kind::Color),
    opt("frame.width", &[], Kind::Length),
    opt("frame.rim.color", &[], Kind::Color),
    opt("frame.rim.width", &[], Kind::Int(0, 1000)),
    opt("profile", &[], Kind::Name),
    // a video's frame as the image (docs/video.md)
    opt("poster", &[], Kind::Moment),
];

/// Canonical names of every option.
pub const OPTION_NAMES: [&str; SPECS.len()] = {
    let mut names = [""; SPECS.len()];
    let mut i = 0;
    while i < SPECS.len() {
        names[i] = SPECS[i].name;
        i += 1;
    }
    names
};

/// A rejected option, shown to clients as `name=value: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    pub name: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for OptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}: {}", self.name, self.value, self.reason)
    }
}

/// A validated option set: canonical names to canonical values, in name
/// order, so equal sets compare and hash equal whatever the URL's order or
/// aliases. Names are static but for overlay layers past the first
/// (`text.2.color`), which are made once when parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Options {
    values: BTreeMap<Cow<'static, str>, String>,
}

impl Options {
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// Removes an option, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    /// Copies every option of `other` over this set's (for merging
    /// validated layers), `keep` choosing which.
    pub(crate) fn overlay(&mut self, other: &Options, keep: impl Fn(&str) -> bool) {
        for (name, value) in &other.values {
            if keep(name) {
                self.values.insert(name.clone(), value.clone());
            }
        }
    }

    /// `name=value` pairs joined with `&`, in canonical order. Values have
    /// `\`, `&`, `=` and line breaks backslash-escaped, so that different
    /// sets never share a string (it is part of the cache key): `text=a\&w\=5`
    /// is one option, `text=a&w=5` two.
    pub fn canonical_string(&self) -> String {
        let parts: Vec<String> = self
            .iter()
            .map(|(k, v)| format!("{k}={}", escape(v)))
            .collect();
        parts.join("&")
    }
}

fn escape(v: &str) -> Cow<'_, str> {
    if !v.contains(['\\', '&', '=', '\n']) {
        return v.into();
    }
    let mut out = String::with_capacity(v.len() + 4);
    for c in v.chars() {
        match c {
            '\\' | '&' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.into()
}

/// Parses and validates `pairs`. An option given twice (under any alias) is an error.
pub fn parse_options<'a, I>(pairs: I) -> Result<Options, Vec<OptionError>>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, value) in pairs {
        match canonical_option(name, value) {
            Ok((canonical, v)) => {
                if values.insert(canonical, v).is_some() {
                    errors.push(OptionError {
                        name: name.to_owned(),
                        value: value.to_owned(),
                        reason: "given more than once".to_owned(),
                    });
                }
            }
            Err(e) => errors.push(e),
        }
    }
    // Levels need a range: black below white.
    if let (Some(black), Some(white)) = (
        values.get("colorlevel.black"),
        values.get("colorlevel.white"),
    ) {
        let (b, w) = (
            black.parse::<u32>().unwrap_or(0),
            white.parse::<u32>().unwrap_or(255),
        );
        if b >= w {
            errors.push(OptionError {
                name: "colorlevel.black".to_owned(),
                value: black.clone(),
                reason: format!("must be below colorlevel.white ({w})"),
            });
        }
    }
    if errors.is_empty() {
        Ok(Options { values })
    } else {
        Err(errors)
    }
}

/// The overlay families that take several layers, with the name of the
/// layer's own value inside a numbered layer (`text.1.text`,
/// `watermark.1.image`).
const LAYERED: [(&str, &str); 2] = [("text", "text"), ("watermark", "image")];

/// Text layers and watermarks a URL or profile may give: indices 0–9.
pub const MAX_LAYERS: usize = 10;

/// The canonical name of the single-layer option `name` (`text.color`,
/// `watermark`) in overlay layer `k`: layer 0 is `name` itself, others
/// Sirv's numbered spelling (`text.3.color`, `text.3.text`,
/// `watermark.2.image`). Names of other options are returned as they are.
pub fn layer_name(name: &'static str, k: usize) -> Cow<'static, str> {
    if k == 0 {
        return name.into();
    }
    for (family, itself) in LAYERED {
        if name == family {
            return format!("{family}.{k}.{itself}").into();
        }
        if let Some(rest) = name.strip_prefix(family).and_then(|r| r.strip_prefix('.')) {
            return format!("{family}.{k}.{rest}").into();
        }
    }
    name.into()
}

/// The canonical name of an option given by any of its names (`width` and
/// `scale.width` are `w`; `text.0.text` is `text`), or `None` for a name
/// that is not an option. The one alias table: no other crate spells
/// aliases out.
pub fn canonical_name(name: &str) -> Option<Cow<'static, str>> {
    resolve(name).ok().map(|(spec, k)| stored_name(spec, k))
}

/// One option checked on its own: its canonical name and value
/// (`("scale.option", "NOUP")` is `("scale.option", "noup")`).
pub fn canonical_option(
    name: &str,
    value: &str,
) -> Result<(Cow<'static, str>, String), OptionError> {
    let fail = |reason: String| OptionError {
        name: name.to_owned(),
        value: value.to_owned(),
        reason,
    };
    let (spec, k) = resolve(name).map_err(fail)?;
    check(spec.kind, value)
        .map(|v| (stored_name(spec, k), v))
        .map_err(fail)
}

/// The name an option is stored under: base64 text is stored decoded, as
/// the layer's text.
fn stored_name(spec: &'static Spec, k: usize) -> Cow<'static, str> {
    match spec.kind {
        Kind::Text64 => layer_name("text", k),
        _ => layer_name(spec.name, k),
    }
}

/// The option a name means and its overlay layer (0 for every option that
/// is not in a numbered layer).
fn resolve(name: &str) -> Result<(&'static Spec, usize), String> {
    let unknown = || "unknown option".to_owned();
    for (family, itself) in LAYERED {
        let Some(rest) = name.strip_prefix(family).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let (index, sub) = rest.split_once('.').unwrap_or((rest, ""));
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        let k = index
            .parse::<usize>()
            .ok()
            .filter(|k| *k < MAX_LAYERS && (index == "0" || !index.starts_with('0')))
            .ok_or_else(|| format!("{family} layers are numbered 0 to {}", MAX_LAYERS - 1))?;
        let single = if sub.is_empty() || sub == itself {
            family.to_owned()
        } else {
            format!("{family}.{sub}")
        };
        let spec = find(&single).ok_or_else(unknown)?;
        return Ok((spec, k));
    }
    find(name).map(|spec| (spec, 0)).ok_or_else(unknown)
}

fn find(name: &str) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name))
}

/// Checks a value and returns its canonical spelling.
fn check(kind: Kind, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    match kind {
        Kind::Length => {
            if let Some(pct) = v.strip_suffix('%') {
                let n: f64 = pct
                    .parse()
                    .map_err(|_| "expected pixels or a percentage".to_owned())?;
                if !(n > 0.0 && n <= 1000.0) {
                    return Err("percentage must be above 0 and at most 1000".to_owned());
                }
                Ok(format!("{n}%"))
            } else {
                let px = v.strip_suffix("px").unwrap_or(v);
                let n: u32 = px
                    .parse()
                    .map_err(|_| "expected pixels or a percentage".to_owned())?;
                if n > 100_000 {
                    return Err("at most 100000 pixels".to_owned());
                }
                Ok(n.to_string())
            }
        }
        Kind::Offset => match v.strip_prefix('-') {
            Some(rest) => check(Kind::Length, rest).map(|l| match l.as_str() {
                "0" => l,
                _ => format!("-{l}"),
            }),
            None => check(Kind::Length, v),
        },
        Kind::Pixels => {
            let n: u32 = v
                .parse()
                .map_err(|_| "expected a whole number of pixels".to_owned())?;
            if n == 0 || n > 100_000 {
                return Err("must be between 1 and 100000".to_owned());
            }
            Ok(n.to_string())
        }
        Kind::Int(lo, hi) => {
            let n: i64 = v
                .parse()
                .map_err(|_| format!("expected a whole number from {lo} to {hi}"))?;
            if n < lo || n > hi {
                return Err(format!("must be from {lo} to {hi}"));
            }
            Ok(n.to_string())
        }
        Kind::Number(lo, hi) => {
            let n: f64 = v
                .parse()
                .map_err(|_| format!("expected a number from {lo} to {hi}"))?;
            if !(n >= lo && n <= hi) {
                return Err(format!("must be from {lo} to {hi}"));
            }
            Ok(n.to_string())
        }
        Kind::Level => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok("50".to_owned()),
            "false" | "no" => Ok("0".to_owned()),
            _ => check(Kind::Int(0, 100), v)
                .map_err(|_| "expected a level from 0 to 100, or true/false".to_owned()),
        },
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok("true".to_owned()),
            "false" | "0" | "no" => Ok("false".to_owned()),
            _ => Err("expected true or false".to_owned()),
        },
        Kind::Color => Color::parse(v).map(|c| c.canonical()).ok_or_else(|| {
            "expected a colour (RRGGBB, RRGGBBAA, rgb(), rgba() or a name)".to_owned()
        }),
        Kind::Gravity => Gravity::parse(v)
            .map(|g| g.as_str().to_owned())
            .ok_or_else(|| "expected a gravity (center, north, northeast, …)".to_owned()),
        Kind::Placement => {
            if v.eq_ignore_ascii_case("tile") {
                return Ok("tile".to_owned());
            }
            Gravity::parse(v)
                .map(|g| g.as_str().to_owned())
                .ok_or_else(|| "expected a gravity or tile".to_owned())
        }
        Kind::OneOf(words) => {
            let lower = v.to_ascii_lowercase();
            match words.iter().find(|w| **w == lower) {
                Some(w) => Ok((*w).to_owned()),
                None => Err(format!("expected one of {}", words.join(", "))),
            }
        }
        Kind::Text => {
            if raw.len() > 1024 {
                return Err("longer than 1024 bytes".to_owned());
            }
            if raw.chars().any(|c| c.is_control() && c != '\n') {
                return Err("control characters are not allowed".to_owned());
            }
            Ok(raw.to_owned())
        }
        Kind::Text64 => {
            // A `+` that the query string turned into a space is a `+`.
            let b64 = raw.trim().replace(' ', "+");
            let text = decode_base64(&b64)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| "expected base64 of UTF-8 text".to_owned())?;
            check(Kind::Text, &text)
        }
        Kind::TextSize => {
            if let Some(px) = v.strip_suffix("px") {
                return check(Kind::Pixels, px);
            }
            let n: f64 = v.strip_suffix('%').unwrap_or(v).parse().map_err(|_| {
                "expected a percentage of the width (1-100) or pixels (Npx)".to_owned()
            })?;
            if !(n > 0.0 && n <= 100.0) {
                return Err("percentage must be above 0 and at most 100".to_owned());
            }
            Ok(format!("{n}%"))
        }
        Kind::Name => {
            let ok = !v.is_empty()
                && v.len() <= 100
                && v.chars().all(|c| c.is_alphanumeric() || " _-.".contains(c))
                && !v.starts_with('.');
            if ok {
                Ok(v.to_owned())
            } else {
                Err("expected a name of letters, digits, space, _, - or .".to_owned())
            }
        }
        Kind::StoragePath => {
            let ok = v.starts_with('/')
                && v.len() <= 1024
                && v[1..]
                    .split('/')
                    .all(|s| !s.is_empty() && s != "." && s != "..")
                && !v.contains(['\\', '\0']);
            if ok {
                Ok(v.to_owned())
            } else {
                Err("expected a file path starting with /".to_owned())
            }
        }
        Kind::Ratio => {
            let bad = || "expected an aspect ratio such as 16:9".to_owned();
            let (w, h) = v.split_once(':').ok_or_else(bad)?;
            let (w, h): (u32, u32) = (
                w.trim().parse().map_err(|_| bad())?,
                h.trim().parse().map_err(|_| bad())?,
            );
            if !(1..=10_000).contains(&w) || !(1..=10_000).contains(&h) {
                return Err("both sides must be from 1 to 10000".to_owned());
            }
            Ok(format!("{w}:{h}"))
        }
        Kind::Area => {
            let bad = || "expected x,y,w,h as fractions of the image (0 to 1)".to_owned();
            let parts: Vec<f64> = v
                .split(',')
                .map(|p| {
                    let p = p.trim();
                    let decimals = p.split_once('.').map_or(0, |(_, d)| d.len());
                    p.parse::<f64>()
                        .ok()
                        .filter(|n| (0.0..=1.0).contains(n) && decimals <= 4)
                })
                .collect::<Option<_>>()
                .ok_or_else(bad)?;
            let [x, y, w, h] = parts[..] else {
                return Err(bad());
            };
            if w <= 0.0 || h <= 0.0 || x + w > 1.0001 || y + h > 1.0001 {
                return Err("the region must have a size and lie inside the image".to_owned());
            }
            Ok(format!("{x},{y},{w},{h}"))
        }
        Kind::Moment => {
            if v.eq_ignore_ascii_case("auto") {
                return Ok("auto".to_owned());
            }
            let decimals = v.split_once('.').map_or(0, |(_, d)| d.len());
            let n: f64 = v
                .parse()
                .ok()
                .filter(|_| decimals <= 3 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                .ok_or_else(|| "expected seconds (like 12 or 3.5) or auto".to_owned())?;
            if n > 86_400.0 {
                return Err("at most 86400 seconds".to_owned());
            }
            Ok(n.to_string())
        }
    }
}

/// Standard or URL-safe base64, padding optional.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurpose};
    use base64::Engine as _;
    let config = general_purpose::GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if s.contains(['-', '_']) {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config).decode(s).ok()
}

#[cfg(test)]
mod tests;
