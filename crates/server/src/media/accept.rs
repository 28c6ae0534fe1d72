//! What a client's `Accept` header says it decodes, read into the small
//! typed value `signet_transform::pipeline::negotiate` takes (the pipeline
//! never sees a header).

use http::{header, HeaderMap};
use signet_transform::pipeline::Accepts;

/// The image formats the request's `Accept` lists.
pub(crate) fn of(headers: &HeaderMap) -> Accepts {
    parse(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

/// The image formats an `Accept` value lists with a non-zero quality.
/// Wildcards do not count: browsers name the image formats they decode.
pub(crate) fn parse(accept: Option<&str>) -> Accepts {
    let accept = accept.unwrap_or("");
    Accepts {
        avif: lists(accept, "image/avif"),
        webp: lists(accept, "image/webp"),
    }
}

fn lists(accept: &str, mime: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let matches = parts.next().is_some_and(|m| m.eq_ignore_ascii_case(mime));
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        matches && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_table() {
        let cases: &[(Option<&str>, bool, bool)] = &[
            (None, false, false),
            (Some("*/*"), false, false),
            (Some("image/*"), false, false),
            (Some("image/avif,image/webp,*/*"), true, true),
            (Some("image/webp;q=0.9, image/png"), false, true),
            (Some("IMAGE/AVIF"), true, false),
            (Some("image/avif;q=0, image/webp;q=0.0"), false, false),
            (Some("text/html, image/avif ; q=0.5"), true, false),
        ];
        for &(accept, avif, webp) in cases {
            assert_eq!(parse(accept), Accepts { avif, webp }, "{accept:?}");
        }
    }
}
