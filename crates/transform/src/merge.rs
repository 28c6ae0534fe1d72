//! Merging the five option layers of SPEC §4.1 into one effective set.
//!
//! Lowest to highest precedence: server default profile, the named profile,
//! URL query, JWT `args`, the strict profile of the `[[protect]]` entry. On a
//! JWT URL, overlay options (`text*`, `watermark*`) are only taken from
//! trusted layers (default profile, `args`, strict profile, and a profile that
//! `args` named); from the query or a query-chosen profile they are dropped,
//! so nobody holding the URL can remove or alter an overlay.

use crate::Options;

/// The layers of one request. Absent layers are empty `Options`.
#[derive(Debug, Clone, Copy)]
pub struct Layers<'a> {
    pub default_profile: &'a Options,
    pub named_profile: &'a Options,
    /// Whether the named profile was chosen by the token's `args` (trusted)
    /// rather than by the query.
    pub named_profile_from_args: bool,
    pub query: &'a Options,
    /// JWT `args`.
    pub secure: &'a Options,
    pub strict_profile: &'a Options,
    /// Whether the request was authorized by a JWT.
    pub jwt: bool,
}

/// Whether `name` is an overlay option that only trusted layers may set on a
/// JWT URL.
pub fn is_overlay(name: &str) -> bool {
    name == "text"
        || name.starts_with("text.")
        || name == "watermark"
        || name.starts_with("watermark.")
}

/// The effective option set.
pub fn merge(layers: &Layers<'_>) -> Options {
    let untrusted_profile = !layers.named_profile_from_args;
    let stack: [(&Options, bool); 5] = [
        (layers.default_profile, true),
        (layers.named_profile, !untrusted_profile),
        (layers.query, false),
        (layers.secure, true),
        (layers.strict_profile, true),
    ];
    let mut out = Options::default();
    for (layer, trusted) in stack {
        out.overlay(layer, |name| trusted || !layers.jwt || !is_overlay(name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_options;

    fn o(pairs: &[(&str, &str)]) -> Options {
        parse_options(pairs.iter().copied()).unwrap()
    }

    fn merged(l: Layers<'_>) -> String {
        merge(&l).canonical_string()
    }

    #[test]
    fn each_layer_overrides_the_ones_below() {
        let d = o(&[
            ("w", "1"),
            ("q", "10"),
            ("format", "png"),
            ("blur", "1"),
            ("rotate", "5"),
        ]);
        let n = o(&[
            ("q", "20"),
            ("format", "webp"),
            ("blur", "2"),
            ("rotate", "6"),
        ]);
        let qy = o(&[("format", "avif"), ("blur", "3"), ("rotate", "7")]);
        let s = o(&[("blur", "4"), ("rotate", "8")]);
        let st = o(&[("rotate", "9")]);
        let l = Layers {
            default_profile: &d,
            named_profile: &n,
            named_profile_from_args: false,
            query: &qy,
            secure: &s,
            strict_profile: &st,
            jwt: true,
        };
        assert_eq!(merged(l), "blur=4&format=avif&q=20&rotate=9&w=1");
    }

    #[test]
    fn jwt_overlays_come_only_from_trusted_layers() {
        let empty = Options::default();
        let query = o(&[
            ("text", "forged"),
            ("text.opacity", "0"),
            ("watermark.opacity", "0"),
            ("w", "100"),
            ("blur", "50"),
        ]);
        let args = o(&[("text", "Hello"), ("watermark", "/wm.png")]);
        let profile = o(&[
            ("text.color", "ff0000"),
            ("watermark.position", "tile"),
            ("q", "90"),
        ]);
        let base = Layers {
            default_profile: &empty,
            named_profile: &profile,
            named_profile_from_args: false,
            query: &query,
            secure: &args,
            strict_profile: &empty,
            jwt: true,
        };
        // Query and query-chosen profile overlays dropped; other options kept.
        assert_eq!(
            merged(base),
            "blur=50&q=90&text=Hello&w=100&watermark=/wm.png"
        );
        // A profile named by the token's args is trusted.
        let from_args = Layers {
            named_profile_from_args: true,
            ..base
        };
        assert_eq!(
            merged(from_args),
            "blur=50&q=90&text=Hello&text.color=ff0000ff&w=100&watermark=/wm.png&watermark.position=tile"
        );
        // Without a JWT (public or MD5 URL) every layer may set overlays.
        let open = Layers { jwt: false, ..base };
        let all = merge(&open);
        assert_eq!(
            all.get("text"),
            Some("Hello"),
            "args still win over the query"
        );
        assert_eq!(all.get("text.opacity"), Some("0"));
        assert_eq!(all.get("watermark.opacity"), Some("0"));
    }

    #[test]
    fn strict_profile_beats_args_and_default_overlays_are_kept() {
        let default = o(&[("watermark", "/default.png")]);
        let args = o(&[("watermark", "/args.png"), ("text", "a")]);
        let strict = o(&[("watermark", "/strict.png"), ("watermark.opacity", "100")]);
        let empty = Options::default();
        let l = Layers {
            default_profile: &default,
            named_profile: &empty,
            named_profile_from_args: false,
            query: &o(&[("watermark", "/mine.png")]),
            secure: &args,
            strict_profile: &strict,
            jwt: true,
        };
        assert_eq!(
            merged(l),
            "text=a&watermark=/strict.png&watermark.opacity=100"
        );
        let only_default = Layers {
            secure: &empty,
            strict_profile: &empty,
            ..l
        };
        assert_eq!(merged(only_default), "watermark=/default.png");
    }

    #[test]
    fn overlay_names() {
        for n in [
            "text",
            "text.size",
            "text.background.color",
            "watermark",
            "watermark.scale.width",
        ] {
            assert!(is_overlay(n), "{n}");
        }
        for n in ["textual", "w", "watermarks", "profile", "canvas.color"] {
            assert!(!is_overlay(n), "{n}");
        }
    }
}
