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
        ("text.align", "right", "text.align=right"),
        (
            "text.font.family",
            "Open Sans",
            "text.font.family=Open Sans",
        ),
        ("watermark", "/logos/mark.png", "watermark=/logos/mark.png"),
        ("watermark.position", "TILE", "watermark.position=tile"),
        ("profile", "thumb-small", "profile=thumb-small"),
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
        ("subsampling", "4:2:2"),
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
