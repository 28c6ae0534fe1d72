//! Table tests of option parsing.

use super::*;

fn one(name: &str, value: &str) -> Result<String, String> {
    match parse_options([(name, value)]) {
        Ok(o) => Ok(o.canonical_string()),
        Err(e) => Err(e[0].reason.clone()),
    }
}

#[test]
fn valid_values_and_aliases() {
    let cases: &[(&str, &str, &str)] = &[
        ("w", "400", "w=400"),
        ("scale.width", "400", "w=400"),
        ("w", "400px", "w=400"),
        ("w", "50%", "w=50%"),
        ("h", " 30 ", "h=30"),
        ("scale.height", "25.5%", "h=25.5%"),
        ("s", "800", "s=800"),
        ("thumbnail", "120", "thumbnail=120"),
        ("scale.option", "FILL", "scale.option=fill"),
        ("dpr", "2", "dpr=2"),
        ("dpr", "1.5", "dpr=1.5"),
        ("crop.x", "10", "cx=10"),
        ("crop.height", "50%", "ch=50%"),
        ("crop.type", "trim", "crop.type=trim"),
        ("crop.type", "Face", "crop.type=face"),
        ("crop.pad.x", "20%", "crop.pad.width=20%"),
        ("gif.lossy", "TRUE", "gif.lossy=50"),
        (
            "crop.area",
            " 0.10, 0.2,0.5000,0.8 ",
            "crop.area=0.1,0.2,0.5,0.8",
        ),
        ("crop.pad.y", "8", "crop.pad.height=8"),
        ("canvas.color", "#FF0000", "canvas.color=ff0000ff"),
        ("canvas.position", "NorthEast", "canvas.position=northeast"),
        ("rotate", "-90", "rotate=-90"),
        ("flip", "true", "flip=true"),
        ("flop", "0", "flop=false"),
        ("brightness", "-100", "brightness=-100"),
        ("grayscale", "yes", "grayscale=true"),
        ("colorize.color", "rgb(1,2,3)", "colorize.color=010203ff"),
        ("format", "WebP", "format=webp"),
        ("quality", "80", "q=80"),
        ("subsampling", "4:4:4", "subsampling=4:4:4"),
        ("text", "Hello, wörld ✓ 你好", "text=Hello, wörld ✓ 你好"),
        ("text.size", "10%", "text.size=10%"),
        ("text.size", "30", "text.size=30%"),
        ("text.size", "48px", "text.size=48"),
        ("text.text64", "SGVsbG8gV29ybGQ=", "text=Hello World"),
        ("text.text64", "SGVsbG8gV29ybGQ", "text=Hello World"),
        ("text.text64", "4pyTIG9r", "text=✓ ok"),
        ("text.0.text64", "4pyTIG9r", "text=✓ ok"),
        ("text.0.text", "Top", "text=Top"),
        ("text.text", "Top", "text=Top"),
        ("watermark.image", "/a.png", "watermark=/a.png"),
        ("text.2.text", "Two", "text.2.text=Two"),
        ("text.2", "Two", "text.2.text=Two"),
        ("text.0.position.x", "-35%", "text.position.x=-35%"),
        ("watermark.position.y", "-0", "watermark.position.y=0"),
        ("text.9.position.gravity", "North", "text.9.position=north"),
        ("text.position.gravity", "south", "text.position=south"),
        ("watermark.1", "/b.png", "watermark.1.image=/b.png"),
        ("watermark.1.image", "/b.png", "watermark.1.image=/b.png"),
        ("watermark.0.image", "/a.png", "watermark=/a.png"),
        (
            "watermark.3.scale.width",
            "20%",
            "watermark.3.scale.width=20%",
        ),
        ("text.align", "right", "text.align=right"),
        (
            "text.font.family",
            "Open Sans",
            "text.font.family=Open Sans",
        ),
        ("watermark", "/logos/mark.png", "watermark=/logos/mark.png"),
        ("watermark.position", "TILE", "watermark.position=tile"),
        ("profile", "thumb-small", "profile=thumb-small"),
        ("poster", "AUTO", "poster=auto"),
        ("poster", "3.50", "poster=3.5"),
        ("poster", "0", "poster=0"),
        ("poster", "86400", "poster=86400"),
    ];
    for (name, value, want) in cases {
        assert_eq!(one(name, value).as_deref(), Ok(*want), "{name}={value}");
    }
}

#[test]
fn invalid_values() {
    let cases: &[(&str, &str)] = &[
        ("nope", "1"),
        ("W", "400"),
        ("w", "-1"),
        ("w", "abc"),
        ("w", "0%"),
        ("w", "1001%"),
        ("w", "100001"),
        ("s", "0"),
        ("thumbnail", "10%"),
        ("scale.option", "stretch"),
        ("dpr", "5"),
        ("dpr", "0.5"),
        ("dpr", "NaN"),
        ("crop.type", "smart"),
        ("canvas.color", "nocolour"),
        ("canvas.position", "middle"),
        ("rotate", "181"),
        ("rotate", "1.5"),
        ("flip", "maybe"),
        ("hue", "101"),
        ("blur", "-1"),
        ("opacity", "101"),
        ("format", "bmp"),
        ("q", "0"),
        ("q", "101"),
        ("subsampling", "4:1:1"),
        ("text", "bell\u{7}"),
        ("text.font.family", "../etc"),
        ("watermark", "relative.png"),
        ("watermark", "/a/../b.png"),
        ("watermark.position", "everywhere"),
        ("profile", ""),
        ("profile", "a/b"),
    ];
    for (name, value) in cases {
        assert!(one(name, value).is_err(), "{name}={value} accepted");
    }
}

#[test]
fn every_failure_is_reported_once_with_its_name_and_value() {
    let err = parse_options([("w", "x"), ("h", "10"), ("bogus", "1"), ("q", "500")]).unwrap_err();
    let lines: Vec<String> = err.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("w=x: "));
    assert_eq!(lines[1], "bogus=1: unknown option");
    assert!(lines[2].starts_with("q=500: "));
}

#[test]
fn duplicates_under_any_alias_are_errors() {
    assert!(parse_options([("w", "1"), ("scale.width", "2")]).is_err());
    assert!(parse_options([("q", "1"), ("quality", "1")]).is_err());
}

#[test]
fn order_and_aliases_do_not_change_the_set() {
    let a = parse_options([("w", "400"), ("format", "webp"), ("quality", "70")]).unwrap();
    let b = parse_options([("q", "70"), ("scale.width", "400px"), ("format", "WEBP")]).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.canonical_string(), "format=webp&q=70&w=400");
}

#[test]
fn names_are_unique() {
    let mut all: Vec<&str> = SPECS
        .iter()
        .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()))
        .collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n);
}

/// One valid and one invalid value for every option; the test fails when an
/// option is added without a row here.
const EVERY_OPTION: &[(&str, &str, &str)] = &[
    ("w", "10%", "ten"),
    ("h", "300", "-3"),
    ("s", "640", "1%"),
    ("thumbnail", "90", "0"),
    ("scale.option", "noup", "up"),
    ("dpr", "3", "4.5"),
    ("cx", "12", "x"),
    ("cy", "5%", "5%%"),
    ("cw", "200", "200.5"),
    ("ch", "100%", "2000%"),
    ("crop.type", "trim", "auto"),
    ("crop.aspectratio", "16:9", "16/9"),
    ("canvas.aspectratio", "4:3", "0:3"),
    ("canvas.border.width", "10", "-1"),
    ("canvas.border.height", "5%", "thin"),
    ("canvas.border.color", "black", "noir"),
    ("canvas.border.opacity", "50", "150"),
    ("frame.style", "mirror", "wood"),
    ("png.optimize", "true", "max"),
    ("watermark.scale.option", "FILL", "crop"),
    ("watermark.rotate", "-45", "400"),
    ("watermark.layer", "back", "middle"),
    ("frame.color", "f5e6d3", "beige-ish"),
    ("frame.width", "20", "-20"),
    ("frame.rim.color", "000", "000000000"),
    ("frame.rim.width", "2", "1001"),
    ("canvas.width", "120%", "wide"),
    ("canvas.height", "800", "-1"),
    ("canvas.color", "rgba(0,0,0,0.5)", "rgba(0,0,0,2)"),
    ("canvas.position", "south", "down"),
    ("canvas.opacity", "40", "140"),
    ("rotate", "180", "-181"),
    ("flip", "1", "2"),
    ("flop", "no", "nope"),
    ("brightness", "50", "100.5"),
    ("contrast", "-20", "-101"),
    ("saturation", "100", "200"),
    ("lightness", "-5", "five"),
    ("hue", "-100", "360"),
    ("exposure", "-100", "101"),
    ("shadows", "100", "1.5"),
    ("highlights", "-40", "-101"),
    ("colorlevel.black", "254", "255"),
    ("colorlevel.white", "1", "0"),
    ("vignette.value", "40", "101"),
    ("colortone", "Texas", "purple"),
    ("colortone.color", "ff8800", "#ff88"),
    ("colortone.level", "70", "101"),
    ("colortone.mode", "tint", "overlay"),
    ("vignette.color", "ffffff80", "light"),
    ("grayscale", "false", "grey"),
    ("blur", "100", "101"),
    ("sharpen", "0", "-5"),
    ("colorize.color", "orange", "fff0"),
    ("colorize.opacity", "60", "61%"),
    ("opacity", "0", "-1"),
    ("format", "optimal", "tiff"),
    ("q", "1", "0"),
    ("progressive", "true", "sometimes"),
    ("subsampling", "4:2:0", "420"),
    ("webp-fallback", "png", "gif"),
    ("text", "Ça va?\nOui", "tab\there"),
    ("text.size", "24", "big"),
    ("crop.confidence", "60", "101"),
    ("histogram", "rgb", "rgba"),
    ("watermark.crop.x", "10%", "-10"),
    ("watermark.crop.y", "4", "4.5"),
    ("watermark.crop.width", "50%", "half"),
    ("watermark.crop.height", "20", "0%"),
    ("watermark.canvas.color", "white", "whiteish"),
    ("watermark.canvas.opacity", "60", "160"),
    ("watermark.canvas.width", "120%", "wide"),
    ("watermark.canvas.height", "80", "-80"),
    ("gif.lossy", "80", "101"),
    ("crop.area", "0.25,0,0.5,0.5", "0.75,0,0.5,0.5"),
    ("crop.pad.width", "10%", "wide"),
    ("crop.pad.height", "12", "-12"),
    ("text.text64", "SGk=", "not base64!"),
    ("text.font.size", "36", "0"),
    ("text.outline.opacity", "50", "-5"),
    ("text.outline.blur", "3", "51"),
    ("text.font.weight", "Semi-Bold", "900"),
    ("text.font.style", "italic", "oblique"),
    ("text.color", "#abc", "#ab"),
    ("text.opacity", "100", "101"),
    ("text.position", "southwest", "left"),
    ("text.position.x", "10%", "ten"),
    ("text.position.y", "-8", "--8"),
    ("text.font.family", "DejaVu Serif", "<script>"),
    ("text.align", "left", "justify"),
    ("text.background.color", "black", "blackish"),
    ("text.background.opacity", "50", "50.5"),
    ("text.outline.color", "rgb(255,0,0)", "rgb(256,0,0)"),
    ("text.outline.width", "3", "51"),
    ("watermark", "/brand/mark.png", "/brand//mark.png"),
    ("watermark.position", "northwest", "top"),
    ("watermark.position.x", "-20%", "-x"),
    ("watermark.position.y", "5%", "5 %"),
    ("watermark.scale.width", "25%", "0%"),
    ("watermark.scale.height", "64", "64.5"),
    ("watermark.opacity", "30", "300"),
    ("profile", "Thumbs_2x", ".hidden"),
    ("poster", "12.25", "-1"),
];

#[test]
fn layers_are_numbered_0_to_9_of_known_options() {
    for (name, reason) in [
        ("text.10.text", "text layers are numbered 0 to 9"),
        ("text.01.text", "text layers are numbered 0 to 9"),
        ("watermark.12", "watermark layers are numbered 0 to 9"),
        ("text.1.colour", "unknown option"),
        ("text.1.scale.width", "unknown option"),
        ("watermark.1.text", "unknown option"),
    ] {
        assert_eq!(one(name, "1"), Err(reason.to_owned()), "{name}");
    }
    // Sizes past 100 % and base64 of bytes that are not UTF-8 or of control
    // characters are refused like the plain options.
    assert!(one("text.size", "101").is_err());
    assert!(one("text.text64", "/w==").is_err());
    assert!(one("text.text64", "CQ==").is_err(), "a tab");
    // The same layer given twice under two spellings.
    let err = parse_options([("text.1", "a"), ("text.1.text64", "Yg==")]).unwrap_err();
    assert_eq!(err[0].reason, "given more than once");
    // A `+` of base64 that a query string turned into a space.
    assert_eq!(
        one("text.text64", "+/8=").is_err(),
        one("text.text64", " /8=").is_err()
    );
}

#[test]
fn poster_times_are_plain_seconds() {
    for bad in [
        "1e3", "inf", "NaN", "86400.5", "1.2345", "+3", " . ", "3:00",
    ] {
        assert!(one("poster", bad).is_err(), "poster={bad}");
    }
}

#[test]
fn every_option_has_a_valid_and_an_invalid_case() {
    for name in OPTION_NAMES {
        assert!(
            EVERY_OPTION.iter().any(|(n, _, _)| *n == name),
            "no table row for {name}"
        );
    }
    for (name, good, bad) in EVERY_OPTION {
        assert!(
            one(name, good).is_ok(),
            "{name}={good} refused: {:?}",
            one(name, good)
        );
        let err = parse_options([(*name, *bad)]).unwrap_err();
        assert_eq!(err.len(), 1, "{name}={bad}");
        assert_eq!((err[0].name.as_str(), err[0].value.as_str()), (*name, *bad));
        assert!(!err[0].reason.is_empty());
    }
}

#[test]
fn canonical_strings_are_injective_for_free_text() {
    let one = parse_options([("text", "a&w=5")]).unwrap();
    let two = parse_options([("text", "a"), ("w", "5")]).unwrap();
    assert_ne!(one.canonical_string(), two.canonical_string());
    assert_eq!(one.canonical_string(), r"text=a\&w\=5");
    let slash = parse_options([("text", r"a\&w\=5")]).unwrap();
    assert_ne!(slash.canonical_string(), one.canonical_string());
    let lines = parse_options([("text", "a\nb")]).unwrap();
    assert_eq!(lines.canonical_string(), r"text=a\nb");
    let literal = parse_options([("text", r"a\nb")]).unwrap();
    assert_ne!(literal.canonical_string(), lines.canonical_string());
}
