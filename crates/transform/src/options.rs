//! Parsing and validation of image options from flat `name=value` pairs.
//!
//! Every option of SPEC §4 is listed once in [`SPECS`] with its aliases and
//! the kind of value it takes. Parsing resolves aliases to one canonical name,
//! checks every value, and reports all failures at once.

use std::collections::BTreeMap;

use crate::values::{Color, Gravity};

/// The kind of value an option takes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Pixels (a non-negative integer) or `N%`.
    Length,
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
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
    /// Free UTF-8 text (overlay text), at most 1 KiB.
    Text,
    /// A name: letters, digits, space, `_`, `-`, `.`; at most 100 bytes.
    Name,
    /// A path in storage: starts with `/`, no `.`/`..` segments.
    StoragePath,
    /// A time in a video, seconds from 0 to 86400 (at most 3 decimals), or
    /// `auto`.
    Moment,
    /// An aspect ratio, `W:H` with whole numbers 1–10000 (`16:9`).
    Ratio,
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
    opt("crop.type", &[], Kind::OneOf(&["trim", "poi"])),
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
    opt("colortone.mode", &[], Kind::OneOf(&["solid", "tint"])),
    opt("vignette.value", &["vignette"], Kind::Int(0, 100)),
    opt("vignette.color", &[], Kind::Color),
    opt("opacity", &[], Kind::Int(0, 100)),
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
    // text
    opt("text", &[], Kind::Text),
    opt("text.size", &[], Kind::Length),
    opt("text.color", &[], Kind::Color),
    opt("text.opacity", &[], Kind::Int(0, 100)),
    opt("text.position", &[], Kind::Gravity),
    opt("text.position.x", &[], Kind::Length),
    opt("text.position.y", &[], Kind::Length),
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
    opt("watermark", &[], Kind::StoragePath),
    opt("watermark.position", &[], Kind::Placement),
    opt("watermark.position.x", &[], Kind::Length),
    opt("watermark.position.y", &[], Kind::Length),
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
/// aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Options {
    values: BTreeMap<&'static str, String>,
}

impl Options {
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.values.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Removes an option, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    /// Sets a canonical option (for merging validated layers).
    pub(crate) fn set(&mut self, name: &'static str, value: String) {
        self.values.insert(name, value);
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

fn escape(v: &str) -> std::borrow::Cow<'_, str> {
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
        let fail = |reason: String| OptionError {
            name: name.to_owned(),
            value: value.to_owned(),
            reason,
        };
        let Some(spec) = find(name) else {
            errors.push(fail("unknown option".to_owned()));
            continue;
        };
        match check(spec.kind, value) {
            Ok(canonical) => {
                if values.insert(spec.name, canonical).is_some() {
                    errors.push(fail("given more than once".to_owned()));
                }
            }
            Err(reason) => errors.push(fail(reason)),
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

/// The canonical name of an option given by any of its names (`width` and
/// `scale.width` are `w`), or `None` for a name that is not an option. The
/// one alias table: no other crate spells aliases out.
pub fn canonical_name(name: &str) -> Option<&'static str> {
    find(name).map(|s| s.name)
}

/// One option checked on its own: its canonical name and value
/// (`("scale.option", "NOUP")` is `("scale.option", "noup")`).
pub fn canonical_option(name: &str, value: &str) -> Result<(&'static str, String), OptionError> {
    let fail = |reason: String| OptionError {
        name: name.to_owned(),
        value: value.to_owned(),
        reason,
    };
    let spec = find(name).ok_or_else(|| fail("unknown option".to_owned()))?;
    check(spec.kind, value)
        .map(|v| (spec.name, v))
        .map_err(fail)
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

#[cfg(test)]
mod tests;
