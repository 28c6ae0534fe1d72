//! The typed plan the pipeline reads: a validated option set turned, once,
//! into the values each stage needs (lengths, gravities, colours, enums),
//! with the defaults written here and nowhere else. Stages never look an
//! option up by name.

use crate::options::{layer_name, MAX_LAYERS};
use crate::values::{Color, Gravity};
use crate::Options;

/// Pixels, or a percentage of a dimension the stage knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    Px(u32),
    Percent(f64),
}

impl Length {
    /// Reads a canonical length (`400`, `12.5%`).
    fn parse(v: &str) -> Option<Length> {
        match v.strip_suffix('%') {
            Some(pct) => pct.parse().ok().map(Length::Percent),
            None => v.parse().ok().map(Length::Px),
        }
    }

    /// The length in pixels against `whole`.
    pub fn of(self, whole: u32) -> f64 {
        match self {
            Length::Px(n) => f64::from(n),
            Length::Percent(p) => f64::from(whole) * p / 100.0,
        }
    }
}

/// An overlay's offset (`text.position.x`, `watermark.position.y`): a
/// length, negative when measured from the opposite edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offset {
    pub length: Length,
    pub negative: bool,
}

impl Offset {
    fn parse(v: &str) -> Option<Offset> {
        let (negative, rest) = match v.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        Length::parse(rest).map(|length| Offset { length, negative })
    }

    /// The signed offset in pixels against `whole`.
    pub fn of(self, whole: u32) -> f64 {
        let v = self.length.of(whole);
        if self.negative {
            -v
        } else {
            v
        }
    }
}

/// The canonical spelling, as in the option set (for error messages).
impl std::fmt::Display for Length {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Length::Px(n) => write!(f, "{n}"),
            Length::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// `scale.option`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleOption {
    /// Fit inside the box (the default).
    #[default]
    Fit,
    /// Cover the box, then crop to it.
    Fill,
    /// Stretch to the box.
    Ignore,
    /// Fit, but never larger than the source.
    NoUp,
}

/// The size options (SPEC §4 "size").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub w: Option<Length>,
    pub h: Option<Length>,
    /// Longest side.
    pub s: Option<u32>,
    /// Fit in N×N.
    pub thumbnail: Option<u32>,
    pub scale: ScaleOption,
    /// Multiplies `w`, `h`, `s` and `thumbnail`.
    pub dpr: f64,
}

/// `cx`/`cy`/`cw`/`ch` and `crop.type=trim`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crop {
    pub x: Option<Length>,
    pub y: Option<Length>,
    pub w: Option<Length>,
    pub h: Option<Length>,
    pub trim: bool,
    /// `crop.aspectratio`: width and height of the ratio to crop to.
    pub aspect: Option<(u32, u32)>,
    /// `crop.type=face`.
    pub face: Option<FaceCrop>,
    /// `crop.area`: x, y, width, height as fractions of the source, cut
    /// before sizing (what `crop.type=poi` becomes).
    pub area: Option<[f64; 4]>,
}

/// `crop.type=face`: crop to the faces found with at least `confidence` %
/// (`crop.confidence`), padded by `crop.pad.width`/`.height` on each side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceCrop {
    pub confidence: u32,
    pub pad_w: Option<Length>,
    pub pad_h: Option<Length>,
}

impl Crop {
    /// Whether a region is cut from the decoded image before sizing
    /// (`crop.type=trim`, `crop.type=face`, `crop.area`).
    pub fn cuts_first(&self) -> bool {
        self.trim || self.face.is_some() || self.area.is_some()
    }

    pub fn is_set(&self) -> bool {
        self.x.is_some()
            || self.y.is_some()
            || self.w.is_some()
            || self.h.is_some()
            || self.aspect.is_some()
    }
}

/// `canvas.*`; a canvas is drawn when a width or a height is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Canvas {
    pub width: Option<Length>,
    pub height: Option<Length>,
    pub color: Color,
    /// 0–100.
    pub opacity: u32,
    pub position: Gravity,
    /// `canvas.aspectratio`: the canvas grows to this ratio.
    pub aspect: Option<(u32, u32)>,
    /// `canvas.border.*`: a band around everything, `(width, height)` px or
    /// % of the canvas, in `border_color` (default white) at
    /// `border_opacity` %.
    pub border: Option<(Option<Length>, Option<Length>)>,
    pub border_color: Color,
    pub border_opacity: u32,
}

/// `frame.style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameStyle {
    Solid,
    Mirror,
    Edge,
    Dither,
}

/// Sirv's `frame.*`: a band around the finished image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub style: FrameStyle,
    /// Default white.
    pub color: Color,
    /// px or % of the image's shorter side; default 5 %.
    pub width: Length,
    /// Default black.
    pub rim_color: Color,
    /// px; default 0 (1 when only `frame.rim.color` is given).
    pub rim_width: u32,
}

/// `rotate`, `flip`, `flop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    /// Degrees, −180…180, positive clockwise.
    pub rotate: i32,
    pub flip: bool,
    pub flop: bool,
}

/// The colour and detail adjustments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adjust {
    pub brightness: i32,
    pub contrast: i32,
    pub saturation: i32,
    pub lightness: i32,
    pub hue: i32,
    /// Sirv's `exposure`, -100 to 100: ±2 stops, in linear light.
    pub exposure: i32,
    /// Sirv's `shadows` and `highlights`, -100 to 100: lift or lower the
    /// dark or the bright tones, leaving the other end alone.
    pub shadows: i32,
    pub highlights: i32,
    /// Sirv's `colorlevel.black` and `.white`: the input levels stretched to
    /// 0–255 (black below white).
    pub levels: (u8, u8),
    pub grayscale: bool,
    /// The colour and its opacity (0–100, default 50).
    pub colorize: Option<(Color, u32)>,
    /// Sirv's `colortone`: a colour, a strength 0–100 and how it is laid on.
    pub colortone: Option<(Color, u32, ToneMode)>,
    /// Sirv's `vignette.value` (1–100) and `.color` (default black).
    pub vignette: Option<(u32, Color)>,
    pub blur: u32,
    pub sharpen: u32,
    /// 0–100; `None` leaves alpha alone.
    pub opacity: Option<u32>,
}

/// `colortone.mode`: `solid` maps each pixel's luma through black → colour
/// → white (a duotone); `tint` lays the colour over the pixel (soft light),
/// keeping its own colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToneMode {
    Solid,
    Tint,
    /// The duotone of `Solid`, weighted by each pixel's luma: bright parts
    /// toned, shadows kept.
    Highlights,
    /// The duotone weighted by the inverse of luma: shadows toned.
    Shadows,
}

/// A `colortone` preset: its colour, strength and mode (signet's readings of
/// Sirv's names; docs/url-api.md).
fn tone_preset(name: &str) -> Option<(Color, u32, ToneMode)> {
    let c = |r, g, b| Color { r, g, b, a: 255 };
    Some(match name {
        "sepia" => (c(162, 116, 66), 100, ToneMode::Solid),
        "texas" => (c(196, 118, 52), 65, ToneMode::Solid),
        "warm" => (c(255, 160, 64), 45, ToneMode::Tint),
        "sunlight" => (c(255, 214, 120), 40, ToneMode::Tint),
        "cold" => (c(64, 136, 255), 45, ToneMode::Tint),
        _ => return None,
    })
}

/// `text.align`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A text overlay (`text` and `text.*`), when `text` has something to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub text: String,
    pub font_family: Option<String>,
    /// `text.size`: a percentage is the width of the text block against the
    /// image's (Sirv's meaning: the font is fitted to it); pixels are the
    /// font size. `None` (and no `font_size`) is a font 8 % of the image
    /// width.
    pub size: Option<Length>,
    /// `text.font.size`, px; wins over `size`.
    pub font_size: Option<u32>,
    /// `text.font.weight` as a number, 300 (light) to 800 (extra-bold).
    pub weight: u16,
    /// `text.font.style=italic`.
    pub italic: bool,
    pub color: Color,
    /// 0–100, for text, outline and background.
    pub opacity: u32,
    pub position: Gravity,
    pub x: Option<Offset>,
    pub y: Option<Offset>,
    pub align: Align,
    pub background: Option<Color>,
    /// 0–100.
    pub background_opacity: u32,
    pub outline_color: Color,
    pub outline_width: u32,
    /// 0–100, on top of `opacity`.
    pub outline_opacity: u32,
    /// px of softening of the outline's edge (a box blur of the ring).
    pub outline_blur: u32,
}

/// Where a watermark goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    At(Gravity),
    Tile,
}

/// A watermark overlay (`watermark` and `watermark.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct Watermark {
    /// The image's path in storage (the server loads it).
    pub path: String,
    pub position: Placement,
    pub x: Option<Offset>,
    pub y: Option<Offset>,
    pub width: Option<Length>,
    pub height: Option<Length>,
    /// 0–100.
    pub opacity: u32,
    /// `watermark.scale.option`: how the mark meets its box (default
    /// `noup`, as Sirv's).
    pub scale: ScaleOption,
    /// `watermark.rotate`, degrees clockwise.
    pub rotate: i32,
    /// `watermark.layer=back`: drawn behind the image (seen where it is
    /// transparent).
    pub behind: bool,
    /// `watermark.crop.x`/`.y`/`.width`/`.height`: a region of the mark
    /// image (px or % of it), cut before anything else.
    pub crop: Option<[Option<Length>; 4]>,
    /// `watermark.canvas.*`: a sheet behind the scaled mark.
    pub canvas: Option<MarkCanvas>,
}

/// `watermark.canvas.*`: a sheet of `color` at `opacity` %, `width` ×
/// `height` (px, or % of the scaled mark; default the mark's size, never
/// smaller than it), the mark centred on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkCanvas {
    pub color: Color,
    pub opacity: u32,
    pub width: Option<Length>,
    pub height: Option<Length>,
}

/// `subsampling`: chroma resolution of JPEG and AVIF output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subsampling {
    Sub420,
    /// 4:2:2: full vertical chroma resolution, half horizontal.
    Sub422,
    Sub444,
}

/// The encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encode {
    /// 1–100, default 80.
    pub quality: u8,
    /// Whether `q` was given (a lossless animated WebP stays lossless
    /// unless it was).
    pub quality_set: bool,
    pub progressive: bool,
    /// JPEG: 4:2:0 unless asked.
    pub subsampling: Subsampling,
    /// AVIF: 4:4:4 unless asked (sharp's default; 4:2:0 loses ~1.3 dB of
    /// RGB PSNR for ~20 % fewer bytes, docs/formats.md).
    pub avif_subsampling: Subsampling,
    /// `png.optimize`: PNG (and APNG) at zlib's best compression instead of
    /// its fast level: smaller files, more CPU.
    pub png_optimize: bool,
    /// `gif.lossy`, 0–100: how far a GIF's pixels may move to extend runs
    /// of one colour (0: exact).
    pub gif_lossy: u8,
}

/// `format`, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Jpeg,
    Png,
    Gif,
    WebP,
    Avif,
    Optimal,
    Original,
}

impl FormatChoice {
    /// `format`, read alone (negotiation needs nothing else, per request).
    pub fn of(options: &Options) -> Option<FormatChoice> {
        Some(match options.get("format")? {
            "jpg" | "jpeg" => FormatChoice::Jpeg,
            "png" => FormatChoice::Png,
            "gif" => FormatChoice::Gif,
            "webp" => FormatChoice::WebP,
            "avif" => FormatChoice::Avif,
            "optimal" => FormatChoice::Optimal,
            "original" => FormatChoice::Original,
            _ => return None,
        })
    }
}

/// `webp-fallback`: what `format=webp` gives a client without WebP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    Jpeg,
    Png,
}

impl Fallback {
    /// `webp-fallback`, read alone.
    pub fn of(options: &Options) -> Option<Fallback> {
        options.get("webp-fallback").map(|f| match f {
            "png" => Fallback::Png,
            _ => Fallback::Jpeg,
        })
    }
}

/// Everything the pipeline does to one image, in stage order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub size: Size,
    pub crop: Crop,
    pub canvas: Option<Canvas>,
    pub frame: Option<Frame>,
    pub turn: Turn,
    pub adjust: Adjust,
    /// Text layers in order (`text`, `text.1.text`, …), drawn one over the
    /// other.
    pub texts: Vec<Text>,
    /// Watermarks in order (`watermark`, `watermark.1.image`, …).
    pub watermarks: Vec<Watermark>,
    /// `histogram`: red, green, blue shown (the image replaced by a chart
    /// of its levels).
    pub histogram: Option<[bool; 3]>,
    pub encode: Encode,
    pub format: Option<FormatChoice>,
    pub webp_fallback: Option<Fallback>,
}

/// Reads options by canonical name; values are validated and canonical, so
/// a value that does not read (never, in practice) counts as not given.
/// The second field is an overlay layer: its reader reads `text.2.color`
/// for `text.color`.
struct Reader<'a>(&'a Options, usize);

impl Reader<'_> {
    fn get(&self, name: &'static str) -> Option<&str> {
        match self.1 {
            0 => self.0.get(name),
            k => self.0.get(&layer_name(name, k)),
        }
    }

    fn layers(&self) -> impl Iterator<Item = Reader<'_>> {
        (0..MAX_LAYERS).map(|k| Reader(self.0, k))
    }

    fn length(&self, name: &'static str) -> Option<Length> {
        self.get(name).and_then(Length::parse)
    }

    fn offset(&self, name: &'static str) -> Option<Offset> {
        self.get(name).and_then(Offset::parse)
    }

    fn int(&self, name: &'static str) -> i32 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    fn count(&self, name: &'static str) -> Option<u32> {
        self.get(name).and_then(|v| v.parse().ok())
    }

    /// A 0–100 option, or `default`.
    fn percent(&self, name: &'static str, default: u32) -> u32 {
        self.count(name).unwrap_or(default).min(100)
    }

    fn flag(&self, name: &'static str) -> bool {
        self.get(name) == Some("true")
    }

    fn ratio(&self, name: &'static str) -> Option<(u32, u32)> {
        let (w, h) = self.get(name)?.split_once(':')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    }

    fn color(&self, name: &'static str) -> Option<Color> {
        self.get(name).and_then(Color::parse)
    }

    fn gravity(&self, name: &'static str) -> Gravity {
        self.get(name)
            .and_then(Gravity::parse)
            .unwrap_or(Gravity::Center)
    }
}

impl Plan {
    /// The plan of a validated option set.
    pub fn new(options: &Options) -> Plan {
        let r = Reader(options, 0);
        let border = (r.get("canvas.border.width").is_some()
            || r.get("canvas.border.height").is_some())
        .then(|| {
            (
                r.length("canvas.border.width"),
                r.length("canvas.border.height"),
            )
        });
        let canvas = (r.get("canvas.width").is_some()
            || r.get("canvas.height").is_some()
            || r.get("canvas.aspectratio").is_some()
            || border.is_some())
        .then(|| Canvas {
            width: r.length("canvas.width"),
            height: r.length("canvas.height"),
            color: r.color("canvas.color").unwrap_or(Color::WHITE),
            opacity: r.percent("canvas.opacity", 100),
            position: r.gravity("canvas.position"),
            aspect: r.ratio("canvas.aspectratio"),
            border,
            border_color: r.color("canvas.border.color").unwrap_or(Color::WHITE),
            border_opacity: r.percent("canvas.border.opacity", 100),
        });
        Plan {
            size: Size {
                w: r.length("w"),
                h: r.length("h"),
                s: r.count("s"),
                thumbnail: r.count("thumbnail"),
                scale: match r.get("scale.option") {
                    Some("fill") => ScaleOption::Fill,
                    Some("ignore") => ScaleOption::Ignore,
                    Some("noup") => ScaleOption::NoUp,
                    _ => ScaleOption::Fit,
                },
                dpr: r.get("dpr").and_then(|d| d.parse().ok()).unwrap_or(1.0),
            },
            crop: Crop {
                x: r.length("cx"),
                y: r.length("cy"),
                w: r.length("cw"),
                h: r.length("ch"),
                trim: r.get("crop.type") == Some("trim"),
                aspect: r.ratio("crop.aspectratio"),
                area: r.get("crop.area").and_then(|a| {
                    let v: Vec<f64> = a.split(',').filter_map(|n| n.parse().ok()).collect();
                    v.try_into().ok()
                }),
                face: (r.get("crop.type") == Some("face")).then(|| FaceCrop {
                    confidence: r.percent("crop.confidence", 35),
                    pad_w: r.length("crop.pad.width"),
                    pad_h: r.length("crop.pad.height"),
                }),
            },
            canvas,
            frame: frame(&r),
            turn: Turn {
                rotate: r.int("rotate"),
                flip: r.flag("flip"),
                flop: r.flag("flop"),
            },
            adjust: Adjust {
                brightness: r.int("brightness"),
                contrast: r.int("contrast"),
                saturation: r.int("saturation"),
                lightness: r.int("lightness"),
                hue: r.int("hue"),
                exposure: r.int("exposure"),
                shadows: r.int("shadows"),
                highlights: r.int("highlights"),
                levels: (
                    r.count("colorlevel.black").unwrap_or(0).min(254) as u8,
                    r.count("colorlevel.white").unwrap_or(255).clamp(1, 255) as u8,
                ),
                grayscale: r.flag("grayscale"),
                colorize: r
                    .color("colorize.color")
                    .map(|c| (c, r.percent("colorize.opacity", 50))),
                colortone: {
                    let preset = r.get("colortone").and_then(tone_preset);
                    let custom = r.get("colortone.color").is_some();
                    (preset.is_some() || custom).then(|| {
                        let (pc, pl, pm) = preset.unwrap_or((Color::BLACK, 50, ToneMode::Solid));
                        (
                            r.color("colortone.color").unwrap_or(pc),
                            r.count("colortone.level").unwrap_or(pl),
                            match r.get("colortone.mode") {
                                Some("tint") => ToneMode::Tint,
                                Some("solid") => ToneMode::Solid,
                                Some("highlights") => ToneMode::Highlights,
                                Some("shadows") => ToneMode::Shadows,
                                _ => pm,
                            },
                        )
                    })
                },
                vignette: r.count("vignette.value").filter(|v| *v > 0).map(|v| {
                    let black = Color {
                        r: 0,
                        g: 0,
                        b: 0,
                        a: 255,
                    };
                    (v, r.color("vignette.color").unwrap_or(black))
                }),
                blur: r.count("blur").unwrap_or(0),
                sharpen: r.count("sharpen").unwrap_or(0),
                opacity: r.get("opacity").map(|_| r.percent("opacity", 100)),
            },
            texts: r.layers().filter_map(|l| text(&l)).collect(),
            watermarks: r.layers().filter_map(|l| watermark(&l)).collect(),
            histogram: r.get("histogram").map(|h| {
                [
                    h.contains('r') || h == "true",
                    h.contains('g') || h == "true",
                    h.contains('b') || h == "true",
                ]
            }),
            encode: Encode {
                quality: r
                    .count("q")
                    .and_then(|q| u8::try_from(q).ok())
                    .unwrap_or(80),
                quality_set: r.count("q").is_some(),
                progressive: r.flag("progressive"),
                subsampling: match r.get("subsampling") {
                    Some("4:4:4") => Subsampling::Sub444,
                    Some("4:2:2") => Subsampling::Sub422,
                    _ => Subsampling::Sub420,
                },
                avif_subsampling: match r.get("subsampling") {
                    Some("4:2:0") => Subsampling::Sub420,
                    Some("4:2:2") => Subsampling::Sub422,
                    _ => Subsampling::Sub444,
                },
                png_optimize: r.flag("png.optimize"),
                gif_lossy: r.percent("gif.lossy", 0) as u8,
            },
            format: FormatChoice::of(options),
            webp_fallback: Fallback::of(options),
        }
    }
}

/// A frame when `frame.style` names one, or when a frame colour or width is
/// given (then `solid`); `frame.style=none` draws none.
fn frame(r: &Reader<'_>) -> Option<Frame> {
    let style = match r.get("frame.style") {
        Some("none") => return None,
        Some("mirror") => FrameStyle::Mirror,
        Some("edge") => FrameStyle::Edge,
        Some("dither") => FrameStyle::Dither,
        Some(_) => FrameStyle::Solid,
        None if r.get("frame.color").is_some() || r.get("frame.width").is_some() => {
            FrameStyle::Solid
        }
        None => return None,
    };
    Some(Frame {
        style,
        color: r.color("frame.color").unwrap_or(Color::WHITE),
        width: r.length("frame.width").unwrap_or(Length::Percent(5.0)),
        rim_color: r.color("frame.rim.color").unwrap_or(Color::BLACK),
        rim_width: r
            .count("frame.rim.width")
            .unwrap_or(if r.get("frame.rim.color").is_some() {
                1
            } else {
                0
            }),
    })
}

/// The storage paths of the watermarks of an option set, in layer order
/// (what the server loads and hands to the pipeline).
pub fn watermark_paths(options: &Options) -> Vec<&str> {
    (0..MAX_LAYERS)
        .filter_map(|k| options.get(&layer_name("watermark", k)))
        .collect()
}

/// A watermark when the layer names an image.
fn watermark(r: &Reader<'_>) -> Option<Watermark> {
    let path = r.get("watermark")?;
    Some(Watermark {
        path: path.to_owned(),
        position: match r.get("watermark.position") {
            Some("tile") => Placement::Tile,
            _ => Placement::At(r.gravity("watermark.position")),
        },
        x: r.offset("watermark.position.x"),
        y: r.offset("watermark.position.y"),
        width: r.length("watermark.scale.width"),
        height: r.length("watermark.scale.height"),
        opacity: r.percent("watermark.opacity", 100),
        scale: match r.get("watermark.scale.option") {
            Some("fit") => ScaleOption::Fit,
            Some("fill") => ScaleOption::Fill,
            Some("ignore") => ScaleOption::Ignore,
            _ => ScaleOption::NoUp,
        },
        rotate: r.int("watermark.rotate"),
        behind: r.get("watermark.layer") == Some("back"),
        crop: {
            let parts = [
                r.length("watermark.crop.x"),
                r.length("watermark.crop.y"),
                r.length("watermark.crop.width"),
                r.length("watermark.crop.height"),
            ];
            parts.iter().any(Option::is_some).then_some(parts)
        },
        canvas: [
            "watermark.canvas.color",
            "watermark.canvas.width",
            "watermark.canvas.height",
        ]
        .iter()
        .any(|n| r.get(n).is_some())
        .then(|| MarkCanvas {
            color: r.color("watermark.canvas.color").unwrap_or(Color::WHITE),
            opacity: r.percent("watermark.canvas.opacity", 100),
            width: r.length("watermark.canvas.width"),
            height: r.length("watermark.canvas.height"),
        }),
    })
}

fn text(r: &Reader<'_>) -> Option<Text> {
    let text = r.get("text").filter(|t| !t.trim().is_empty())?;
    Some(Text {
        text: text.to_owned(),
        font_family: r.get("text.font.family").map(str::to_owned),
        size: r.length("text.size"),
        font_size: r.count("text.font.size"),
        weight: match r.get("text.font.weight") {
            Some("light") => 300,
            Some("semi-bold") => 600,
            Some("bold") => 700,
            Some("extra-bold") => 800,
            Some(n) => n.parse().unwrap_or(400),
            None => 400,
        },
        italic: r.get("text.font.style") == Some("italic"),
        color: r.color("text.color").unwrap_or(Color::BLACK),
        opacity: r.percent("text.opacity", 100),
        position: r.gravity("text.position"),
        x: r.offset("text.position.x"),
        y: r.offset("text.position.y"),
        align: match r.get("text.align") {
            Some("left") => Align::Left,
            Some("right") => Align::Right,
            _ => Align::Center,
        },
        background: r.color("text.background.color"),
        background_opacity: r.percent("text.background.opacity", 100),
        outline_color: r.color("text.outline.color").unwrap_or(Color::WHITE),
        outline_width: r.count("text.outline.width").unwrap_or(0),
        outline_opacity: r.percent("text.outline.opacity", 100),
        outline_blur: r.count("text.outline.blur").unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_options;

    fn plan(pairs: &[(&str, &str)]) -> Plan {
        Plan::new(&parse_options(pairs.iter().copied()).unwrap())
    }

    #[test]
    fn defaults_are_written_once() {
        let p = plan(&[]);
        assert_eq!(p.size.scale, ScaleOption::Fit);
        assert_eq!(p.size.dpr, 1.0);
        assert_eq!((p.size.w, p.canvas), (None, None));
        assert!(p.texts.is_empty());
        assert_eq!(
            p.encode,
            Encode {
                quality: 80,
                quality_set: false,
                progressive: false,
                subsampling: Subsampling::Sub420,
                avif_subsampling: Subsampling::Sub444,
                png_optimize: false,
                gif_lossy: 0,
            }
        );
        assert_eq!(p.adjust.opacity, None);
        assert!(!p.crop.is_set() && p.watermarks.is_empty() && p.format.is_none());
    }

    #[test]
    fn every_alias_and_spelling_reads_the_same() {
        let a = plan(&[
            ("scale.width", "50%"),
            ("height", "300px"),
            ("scale.option", "NOUP"),
            ("quality", "70"),
            ("format", "JPEG"),
            ("crop.x", "10"),
        ]);
        let b = plan(&[
            ("w", "50%"),
            ("h", "300"),
            ("scale.option", "noup"),
            ("q", "70"),
            ("format", "jpg"),
            ("cx", "10"),
        ]);
        assert_eq!(a, b);
        assert_eq!(a.size.w, Some(Length::Percent(50.0)));
        assert_eq!(a.size.h, Some(Length::Px(300)));
        assert_eq!(a.size.scale, ScaleOption::NoUp);
        assert_eq!(a.format, Some(FormatChoice::Jpeg));
        assert_eq!(a.crop.x.map(|l| l.to_string()).as_deref(), Some("10"));
    }

    #[test]
    fn overlays_and_adjustments_read_typed() {
        let p = plan(&[
            ("text", "Hi"),
            ("text.color", "red"),
            ("text.align", "left"),
            ("text.opacity", "40"),
            ("watermark", "/w.png"),
            ("watermark.position", "tile"),
            ("colorize.color", "00ff00"),
            ("opacity", "30"),
            ("canvas.height", "120%"),
        ]);
        let text = &p.texts[0];
        assert_eq!((text.align, text.opacity), (Align::Left, 40));
        assert_eq!(text.color, Color::parse("red").unwrap());
        let mark = &p.watermarks[0];
        assert_eq!((mark.position, mark.opacity), (Placement::Tile, 100));
        assert_eq!(p.adjust.colorize.map(|(_, o)| o), Some(50));
        assert_eq!(p.adjust.opacity, Some(30));
        let canvas = p.canvas.unwrap();
        assert_eq!(
            (canvas.width, canvas.height),
            (None, Some(Length::Percent(120.0)))
        );
        assert_eq!(canvas.color, Color::WHITE);
        assert!(
            plan(&[("text", "   ")]).texts.is_empty(),
            "blank text draws nothing"
        );
    }

    #[test]
    fn numbered_layers_read_as_their_own_overlays() {
        let p = plan(&[
            ("text.0.text", "Top"),
            ("text.0.position", "north"),
            ("text.1.text", "Bottom"),
            ("text.1.position.gravity", "south"),
            ("text.1.color", "ff0000"),
            ("text.3", "Third"),
            ("text.2.text", " "),
            ("watermark", "/a.png"),
            ("watermark.2.image", "/c.png"),
            ("watermark.2.opacity", "40"),
            ("watermark.1", "/b.png"),
        ]);
        let texts: Vec<_> = p
            .texts
            .iter()
            .map(|t| (t.text.as_str(), t.position))
            .collect();
        assert_eq!(
            texts,
            [
                ("Top", Gravity::North),
                ("Bottom", Gravity::South),
                ("Third", Gravity::Center)
            ],
            "layer 2 is blank: nothing to draw"
        );
        assert_eq!(p.texts[1].color, Color::parse("ff0000").unwrap());
        assert_eq!(
            p.texts[0].color,
            Color::BLACK,
            "each layer has its own options"
        );
        let marks: Vec<_> = p
            .watermarks
            .iter()
            .map(|m| (m.path.as_str(), m.opacity))
            .collect();
        assert_eq!(marks, [("/a.png", 100), ("/b.png", 100), ("/c.png", 40)]);
        let options = parse_options([("watermark.1", "/b.png"), ("watermark", "/a.png")]).unwrap();
        assert_eq!(watermark_paths(&options), ["/a.png", "/b.png"]);
    }
}
