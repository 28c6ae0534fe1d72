//! Fuzz targets. Each takes arbitrary bytes, must never panic, and asserts a
//! property where there is one to assert; each returns whether the input was
//! accepted (so the seeds' tests can check that they reach the property):
//!
//! - [`jwt`]: raw token text, or claims signed with a real key (so the fuzzer
//!   gets past the signature into claim parsing). An accepted token has
//!   claims that parse as JSON, an `exp` in the future and an `aud` that
//!   covers the path.
//! - [`md5`]: `path\nexp\nsig`. An accepted signature is the real one and
//!   not expired.
//! - [`mask`]: `mask\npath`. An accepted path starts with the mask (and is
//!   the mask itself when the mask names a file) and has no `.`/`..`
//!   segment, backslash or NUL.
//! - [`options`]: `query\nsecure`, each `name=value&…`, merged on a JWT URL
//!   with a default profile and (by the first byte) a strict profile.
//!   Secure args always win over the query, the strict profile over both,
//!   and overlay options only come from trusted layers.
//! - [`pipeline`]: an option set (picked by the first byte) and a source
//!   file, through decode → resize → encode under the production limits.
//!   Output is non-empty, within the output limit, and a JPEG/PNG/WebP/GIF
//!   result reads back at the size reported.
//! - [`progressive`]: a JPEG file. Where the 1/8-scale fast path for
//!   progressive files takes it and both it and the whole stream decode,
//!   the two give the very same pixels (differential: our stream rewrite
//!   against libjpeg-turbo reading every scan).
//! - [`playlist`]: an HLS playlist, rewritten as for a signed stream. A
//!   rewritten playlist has as many lines as the original, and every URI
//!   line is either an `http(s)` URL left alone or carries the query. Text
//!   starting with `<` is a DASH manifest instead: its rewrite is still a
//!   manifest the rewriter reads.
//!
//! - [`heif`], [`jxl`], [`svg`], [`raster`] (TIFF, BMP, ICO): a source file
//!   of that family (by its first bytes; others are declined) through the
//!   pipeline at `w=48` as PNG under tighter limits (4 MP sources): the
//!   same output properties as [`pipeline`]. One target per decoder, so
//!   each corpus stays on its own code.
//!
//! - [`animation`]: an animated GIF, WebP or APNG (by its first bytes) with
//!   an option set picked by its length, through every frame's decode,
//!   stages and an animated encode, under the decoder targets' limits: the
//!   output properties of [`pipeline`]. Our own code here reads WebP `ANMF`
//!   offsets and composites frames, and writes GIF frame rectangles.
//!
//! - [`font`]: a font file as `/Fonts/` in storage or `fallback_font` hands
//!   it over: refused or accepted by the server's check, and when accepted
//!   drawn with (Latin, CJK, a symbol, an outline, a fitted second layer)
//!   as a family and as the fallback: never a panic, the image's size kept.
//!
//! `make fuzz` drives them with AFL++ (`src/bin/*.rs`); `tests/replay.rs`
//! runs every seed and every saved regression through them in `make test`.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use signet_auth::{
    mask_matches, md5_signature, scope_matches, verify_jwt, verify_md5, JwtOptions, Key, KeyKind,
    KeyRing,
};
use signet_transform::pipeline::{self, negotiate, Accepts, Encoders, Format, Job, Limits};
use signet_transform::{is_overlay, merge, parse_options, Layers, Options};

/// The clock for token targets.
pub const NOW: i64 = 1_800_000_000;

/// The production defaults of `[limits]` (SPEC §8).
pub const LIMITS: Limits = Limits {
    max_source_pixels: 100_000_000,
    max_output_pixels: 40_000_000,
    max_metadata_bytes: 8 << 20,
    max_animation_frames: 1000,
};

const JWT_SECRET: &[u8] = b"fuzz-jwt-secret-0123456789abcdef";
const SCOPED_SECRET: &[u8] = b"fuzz-scoped-secret-0123456789abc";
const MD5_SECRET: &[u8] = b"fuzz-md5-secret";

/// Paths the token targets verify against.
const PATHS: [&str; 4] = [
    "/private/a/b.jpg",
    "/a b/ü.png",
    "/x",
    "/scoped/deep/f.webp",
];

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let keys = [
            ("main", KeyKind::Jwt, JWT_SECRET, "/"),
            ("scoped", KeyKind::Jwt, SCOPED_SECRET, "/scoped/"),
            ("md5", KeyKind::Md5, MD5_SECRET, "/"),
        ];
        let keys = keys
            .into_iter()
            .map(|(id, kind, secret, scope)| Key::new(id, kind, secret.to_vec(), scope))
            .collect::<Result<Vec<_>, _>>()
            .expect("fixed keys are valid");
        KeyRing::new(keys).expect("fixed key ids are unique")
    })
}

/// Splits `data` into at most `n` UTF-8 (lossy) parts at `\n`.
fn parts(data: &[u8], n: usize) -> Vec<String> {
    data.splitn(n, |&b| b == b'\n')
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// Byte 0: bit 0 = raw token (0) or signed claims (1); bits 1–2 = path;
/// bits 3–4 = header (plain, `kid: main`, `kid: scoped`, no kid but signed
/// with the scoped key). The rest is the token text or the claims JSON.
pub fn jwt(data: &[u8]) -> bool {
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    let path = PATHS[usize::from(mode >> 1) & 3];
    let scoped = matches!((mode >> 3) & 3, 2 | 3);
    let token = if mode & 1 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let header = match (mode >> 3) & 3 {
            1 => r#"{"alg":"HS256","typ":"JWT","kid":"main"}"#,
            2 => r#"{"alg":"HS256","typ":"JWT","kid":"scoped"}"#,
            _ => r#"{"alg":"HS256","typ":"JWT"}"#,
        };
        let secret = if scoped { SCOPED_SECRET } else { JWT_SECRET };
        sign_raw(header.as_bytes(), rest, secret)
    };
    let Ok(grant) = verify_jwt(ring(), &token, path, NOW, JwtOptions::default()) else {
        return false;
    };
    assert!(grant.expires_at > NOW, "accepted an expired token");
    if grant.key_id == "scoped" {
        assert!(
            scope_matches("/scoped/", path),
            "scoped key outside its scope"
        );
    }
    // Only a token we signed can pass, so its payload is ours to read back.
    let payload = token.split('.').nth(1).unwrap_or("");
    let claims = URL_SAFE_NO_PAD
        .decode(payload)
        .expect("an accepted payload is base64url");
    let claims: Value = serde_json::from_slice(&claims).expect("accepted claims are JSON");
    let covered = match &claims["aud"] {
        Value::String(mask) => mask_matches(mask, path),
        Value::Array(masks) => masks
            .iter()
            .any(|m| m.as_str().is_some_and(|m| mask_matches(m, path))),
        _ => false,
    };
    assert!(covered, "accepted a token whose aud does not cover {path}");
    true
}

/// A compact JWS over exactly these header and payload bytes.
fn sign_raw(header: &[u8], payload: &[u8], secret: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// `path\nexp\nsig`; a missing part is an absent query value.
pub fn md5(data: &[u8]) -> bool {
    let p = parts(data, 3);
    let path = p.first().map(String::as_str).unwrap_or("");
    let exp = p.get(1).map(String::as_str);
    let sig = p.get(2).map(String::as_str);
    let Ok(grant) = verify_md5(ring(), path, exp, sig, NOW) else {
        return false;
    };
    assert!(grant.expires_at > NOW, "accepted an expired signature");
    let (exp, sig) = (exp.unwrap_or(""), sig.unwrap_or(""));
    let bare = path.strip_prefix('/').unwrap_or(path);
    let expected = hex_lower(&md5_signature(bare, exp, MD5_SECRET));
    assert_eq!(sig.to_ascii_lowercase(), expected, "accepted a wrong sig");
    true
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `mask\npath`.
pub fn mask(data: &[u8]) -> bool {
    let p = parts(data, 2);
    let (Some(mask), Some(path)) = (p.first(), p.get(1)) else {
        return false;
    };
    let verdicts = [mask_matches(mask, path), scope_matches(mask, path)];
    for accepted in verdicts {
        if !accepted {
            continue;
        }
        assert!(
            !path.contains(['\\', '\0']) && !path.split('/').any(|s| s == "." || s == ".."),
            "accepted a path that escapes: {path:?}"
        );
        let mask = if mask.is_empty() { "/" } else { mask.as_str() };
        let rooted = if mask.starts_with('/') {
            mask.to_owned()
        } else {
            format!("/{mask}")
        };
        assert!(path.starts_with(&rooted), "{path:?} accepted by {rooted:?}");
        let last = rooted.rsplit('/').next().unwrap_or("");
        let one_file = last.rfind('.').is_some_and(|d| d > 0 && d + 1 < last.len());
        if one_file {
            assert_eq!(path, &rooted, "a file mask accepted another path");
        }
    }
    verdicts[0]
}

fn pairs(text: &str) -> Vec<(&str, &str)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

/// Byte 0 bit 0: a strict profile is present. Then `query\nsecure`.
pub fn options(data: &[u8]) -> bool {
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    let p = parts(rest, 2);
    let query_text = p.first().map(String::as_str).unwrap_or("");
    let secure_text = p.get(1).map(String::as_str).unwrap_or("");
    let (Ok(query), Ok(secure)) = (
        parse_options(pairs(query_text)),
        parse_options(pairs(secure_text)),
    ) else {
        return false;
    };
    let default_profile =
        parse_options([("q", "90"), ("text", "DEFAULT")]).expect("a valid default profile");
    let strict = if mode & 1 == 1 {
        parse_options([("watermark", "/wm.png"), ("w", "100"), ("format", "jpg")])
            .expect("a valid strict profile")
    } else {
        Options::default()
    };
    let merged = merge(&Layers {
        default_profile: &default_profile,
        named_profile: &Options::default(),
        named_profile_from_args: false,
        query: &query,
        secure: &secure,
        strict_profile: &strict,
        jwt: true,
    });
    for (name, value) in strict.iter() {
        assert_eq!(merged.get(name), Some(value), "strict {name} lost");
    }
    for (name, value) in secure.iter() {
        if strict.get(name).is_none() {
            assert_eq!(merged.get(name), Some(value), "secure {name} lost");
        }
    }
    for (name, value) in merged.iter() {
        if is_overlay(name) {
            let trusted = [&strict, &secure, &default_profile]
                .into_iter()
                .find_map(|layer| layer.get(name));
            assert_eq!(Some(value), trusted, "overlay {name} from the query");
        }
    }
    // The canonical string is the cache key: equal sets, equal strings.
    let again = merge(&Layers {
        default_profile: &default_profile,
        named_profile: &Options::default(),
        named_profile_from_args: false,
        query: &query,
        secure: &secure,
        strict_profile: &strict,
        jwt: true,
    });
    assert_eq!(merged.canonical_string(), again.canonical_string());
    true
}

/// Option sets the pipeline target picks from with its first byte: sizes,
/// every output format, trim, crop, canvas, rotation, adjustments, text.
pub const PIPELINE_OPTIONS: [&str; 14] = [
    "w=64",
    "w=40&h=30&scale.option=fill&format=jpg",
    "s=50&format=png",
    "w=32&format=webp&q=50",
    "thumbnail=20&format=gif",
    "w=16&format=avif",
    "crop.type=trim&w=30",
    "rotate=33&w=20&blur=5&text=Hi&format=png",
    "cw=50%&ch=50%&w=64&canvas.width=80&canvas.height=80&canvas.color=red",
    "w=4000&h=4000&scale.option=fill&format=jpg",
    // Sirv's headline example: tone, mirrored frame, text fitted to 40 %.
    "w=48&colortone=texas&frame.style=mirror&text=Hello&text.size=40%&text.position=northeast&format=png",
    "w=40&crop.aspectratio=16:9&canvas.aspectratio=1:1&canvas.border.width=3&vignette.value=60\
     &exposure=30&shadows=-20&highlights=40&colorlevel.black=10&colorlevel.white=240&text=Ab\
     &text.font.weight=bold&text.font.style=italic&text.outline.width=2&text.outline.blur=2\
     &frame.style=dither&frame.rim.width=1&subsampling=4:2:2&format=jpg",
    // Face detection, shaped to a filled square, under two text layers.
    "crop.type=face&crop.pad.width=20%&crop.pad.height=10%&w=32&h=32&scale.option=fill\
     &text.0.text=A&text.1.text64=Qg&text.1.position=south&format=png",
    // A POI crop as the server passes it, after a trim.
    "crop.type=trim&crop.area=0.1,0.2,0.8,0.5&w=24&format=jpg",
];

/// Byte 0 picks [`PIPELINE_OPTIONS`]; the rest is the source file.
pub fn pipeline(data: &[u8]) -> bool {
    let Some((&pick, source)) = data.split_first() else {
        return false;
    };
    let text = PIPELINE_OPTIONS[usize::from(pick) % PIPELINE_OPTIONS.len()];
    let options = parse_options(pairs(text)).expect("fixed option sets are valid");
    // What ?info and the EXIF/IPTC text variables read, from the same bytes.
    let described = pipeline::describe(source);
    transformed(source, &options, &LIMITS).is_some() || described.is_some()
}

/// `source` through the pipeline as the server runs it for a client
/// without `Accept`; a result is checked: non-empty, within the output
/// limit, and it reads back at the size reported.
fn transformed(source: &[u8], options: &Options, limits: &Limits) -> Option<pipeline::Output> {
    let job = Job {
        options,
        target: negotiate(options, Accepts::default(), false).target,
        watermarks: &[],
        fonts: Default::default(),
        encoders: Encoders::default(),
        deadline: None,
    };
    let out = pipeline::process(source, &job, limits).ok()?;
    assert!(!out.bytes.is_empty(), "empty output");
    assert!(
        u64::from(out.width) * u64::from(out.height) <= limits.max_output_pixels,
        "output over the pixel limit"
    );
    let size = pipeline::dimensions(&out.bytes).expect("our output reads back");
    assert_eq!(size, (out.width, out.height), "reported size differs");
    Some(out)
}

/// Limits of the per-decoder targets: small enough that a fuzzed header
/// cannot make one run slow.
const DECODER_LIMITS: Limits = Limits {
    max_source_pixels: 4_000_000,
    max_output_pixels: 4_000_000,
    max_metadata_bytes: 1 << 20,
    max_animation_frames: 200,
};

/// A source of one of `family` through the pipeline at `w=48`, as PNG.
fn source_of(data: &[u8], family: &[Format]) -> bool {
    if !pipeline::sniff(data).is_some_and(|f| family.contains(&f)) {
        return false;
    }
    let _ = pipeline::describe(data);
    let options = parse_options([("w", "48"), ("format", "png")]).expect("fixed options");
    let Some(out) = transformed(data, &options, &DECODER_LIMITS) else {
        return false;
    };
    assert_eq!(out.format, Format::Png, "asked for PNG");
    true
}

/// A font file as storage or `fallback_font` hands it over: checked as the
/// server checks it, and when accepted, drawn with — Latin, CJK and a
/// symbol, outlined, as a family and as the fallback — on a small image.
pub fn font(data: &[u8]) -> bool {
    if pipeline::check_font(data).is_err() {
        return false;
    }
    static SOURCE: OnceLock<Vec<u8>> = OnceLock::new();
    let source = SOURCE.get_or_init(|| {
        let image = pipeline::stages::synthetic(48, 32);
        pipeline::stages::encode(&image, Format::Png, 80).expect("a PNG of synthetic pixels")
    });
    let options = parse_options(pairs(
        "text=Hi \u{4f60}\u{597d} \u{2713}&text.font.family=F&text.font.size=20\
         &text.outline.width=1&text.1.text=Wide&text.1.size=90&format=png",
    ))
    .expect("fixed options");
    let user = [("F", data)];
    let job = Job {
        options: &options,
        target: negotiate(&options, Accepts::default(), false).target,
        watermarks: &[],
        fonts: pipeline::Fonts {
            user: &user,
            fallback: Some(data),
        },
        encoders: Encoders::default(),
        deadline: None,
    };
    let out = pipeline::process(source, &job, &LIMITS).expect("text never fails a transform");
    assert_eq!(
        (out.width, out.height),
        (48, 32),
        "text does not change the size"
    );
    true
}

/// See the module docs.
pub fn heif(data: &[u8]) -> bool {
    source_of(data, &[Format::Avif, Format::Heic])
}

/// See the module docs.
pub fn jxl(data: &[u8]) -> bool {
    source_of(data, &[Format::Jxl])
}

/// See the module docs.
pub fn svg(data: &[u8]) -> bool {
    source_of(data, &[Format::Svg])
}

/// Option sets of [`animation`]: animated outputs, overlays, trim.
const ANIMATION_OPTIONS: [&str; 4] = [
    "w=24&format=gif",
    "w=24&format=webp",
    "w=20&text=Hi&crop.type=trim",
    "h=16&rotate=90&format=gif&canvas.width=30&canvas.height=30",
];

/// See the module docs.
pub fn animation(data: &[u8]) -> bool {
    if !pipeline::sniff(data).is_some_and(|f| [Format::Gif, Format::WebP, Format::Png].contains(&f))
    {
        return false;
    }
    let text = ANIMATION_OPTIONS[data.len() % ANIMATION_OPTIONS.len()];
    let options = parse_options(pairs(text)).expect("fixed option sets are valid");
    transformed(data, &options, &DECODER_LIMITS).is_some()
}

/// See the module docs.
pub fn raster(data: &[u8]) -> bool {
    source_of(data, &[Format::Tiff, Format::Bmp, Format::Ico])
}

/// Largest source the progressive target decodes (libjpeg-turbo holds a
/// progressive file's coefficients for the whole image).
const PROGRESSIVE_MAX_PIXELS: u64 = 4_000_000;

/// See the module docs.
pub fn progressive(data: &[u8]) -> bool {
    let Ok((w, h)) = pipeline::dimensions(data) else {
        return false;
    };
    if u64::from(w) * u64::from(h) > PROGRESSIVE_MAX_PIXELS {
        return false;
    }
    let Some((whole, fast)) = pipeline::stages::eighth_both_ways(data) else {
        return false;
    };
    assert!(whole == fast, "the DC-only rewrite changed the 1/8 image");
    true
}

/// See the module docs.
pub fn playlist(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let mut query = |raw: &str| -> Result<String, String> {
        if raw.split('/').any(|s| s == ".." || s == ".") {
            return Err("dot segment".to_owned());
        }
        Ok("tok=1".to_owned())
    };
    if text.trim_start().starts_with('<') {
        // A DASH manifest: the rewrite is still a manifest signet reads.
        let Ok(out) = signet_hls::rewrite_mpd(text, "/v/s/manifest.mpd", &mut query) else {
            return false;
        };
        let again = signet_hls::rewrite_mpd(&out, "/v/s/manifest.mpd", &mut |_: &str| {
            Ok("tok=2".to_owned())
        });
        assert!(
            again.is_ok(),
            "a rewritten manifest no longer reads: {again:?}"
        );
        return true;
    }
    let Ok(out) = signet_hls::rewrite(text, "/v/s/index.m3u8", &mut query) else {
        return false;
    };
    assert_eq!(
        out.split('\n').count(),
        text.split('\n').count(),
        "lines lost or added"
    );
    for line in out.split('\n').map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        let absolute = lower.starts_with("http://") || lower.starts_with("https://");
        assert!(
            absolute || line.contains("tok=1"),
            "a URI line without its query: {line}"
        );
    }
    true
}
