//! Conditional and range requests (RFC 9110 §13–14): `If-None-Match` and
//! `If-Range` read with the `headers` crate, `Range` with
//! `http-range-header` (tower-http's parser). Shared by originals and
//! variants.

use std::ops::Range;
use std::time::SystemTime;

use headers::{ETag, HeaderMapExt, IfNoneMatch, IfRange, LastModified};
use http::{header, HeaderMap};
use http_range_header::RangeUnsatisfiableError;

/// Whether `If-None-Match` lists `etag` (weak comparison) or is `*`: the
/// client's copy is current, answer 304.
pub(crate) fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(condition) = headers.typed_get::<IfNoneMatch>() else {
        return false;
    };
    match etag.parse::<ETag>() {
        Ok(tag) => !condition.precondition_passes(&tag),
        Err(_) => false,
    }
}

/// What a request's `Range` asks of a representation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeAsk {
    Whole,
    Part(Range<u64>),
    Unsatisfiable,
}

/// The single range asked for, honouring `If-Range` against the current
/// `etag` and modification time. Malformed or multiple ranges, and an
/// `If-Range` that does not match (or cannot be read), get the whole
/// representation, as RFC 9110 allows.
pub(crate) fn requested_range(
    headers: &HeaderMap,
    etag: &str,
    modified: SystemTime,
    size: u64,
) -> RangeAsk {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeAsk::Whole;
    };
    if headers.contains_key(header::IF_RANGE) {
        let Some(condition) = headers.typed_get::<IfRange>() else {
            return RangeAsk::Whole;
        };
        let tag = etag.parse::<ETag>().ok();
        if condition.is_modified(tag.as_ref(), Some(&LastModified::from(modified))) {
            return RangeAsk::Whole;
        }
    }
    parse_range(value, size)
}

fn parse_range(value: &str, size: u64) -> RangeAsk {
    let parsed = match http_range_header::parse_range_header(value) {
        Ok(parsed) if parsed.len() == 1 => parsed,
        _ => return RangeAsk::Whole,
    };
    match parsed.validate(size) {
        Ok(ranges) => match ranges.first() {
            Some(r) => RangeAsk::Part(*r.start()..r.end().saturating_add(1)),
            // Only a suffix range of an empty file: nothing to send.
            None => RangeAsk::Unsatisfiable,
        },
        Err(RangeUnsatisfiableError::Unsatisfiable) => RangeAsk::Unsatisfiable,
        Err(_) => RangeAsk::Whole,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use http::HeaderValue;

    use super::*;

    #[test]
    fn range_table() {
        use RangeAsk::*;
        let cases: &[(&str, u64, RangeAsk)] = &[
            ("bytes=0-0", 10, Part(0..1)),
            ("bytes=0-9", 10, Part(0..10)),
            ("bytes=2-5", 10, Part(2..6)),
            ("bytes=5-100", 10, Part(5..10)),
            ("bytes=5-", 10, Part(5..10)),
            ("bytes=-3", 10, Part(7..10)),
            ("bytes=-30", 10, Part(0..10)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-1", 0, Unsatisfiable),
            ("bytes=5-2", 10, Whole),
            ("bytes=0-1,3-4", 10, Whole),
            ("items=0-1", 10, Whole),
            ("bytes=a-b", 10, Whole),
            ("bytes=+1-2", 10, Whole),
            ("bytes=", 10, Whole),
            ("bytes=-", 10, Whole),
            ("bytes=0-18446744073709551615", 10, Part(0..10)),
        ];
        for (v, size, want) in cases {
            assert_eq!(&parse_range(v, *size), want, "{v} of {size}");
        }
    }

    #[test]
    fn if_none_match_forms() {
        let mut h = HeaderMap::new();
        assert!(!none_match(&h, "\"a\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"a\""),
        );
        assert!(none_match(&h, "\"a\""));
        assert!(!none_match(&h, "\"b\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(none_match(&h, "\"b\""));
    }

    #[test]
    fn if_range_sends_the_part_only_while_the_validator_matches() {
        let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let date = httpdate::fmt_http_date(modified);
        let earlier = httpdate::fmt_http_date(modified - Duration::from_secs(60));
        let ask = |if_range: Option<&str>| {
            let mut h = HeaderMap::new();
            h.insert(header::RANGE, HeaderValue::from_static("bytes=2-3"));
            if let Some(v) = if_range {
                h.insert(header::IF_RANGE, HeaderValue::from_str(v).unwrap());
            }
            requested_range(&h, "\"v1\"", modified, 10)
        };
        assert_eq!(ask(None), RangeAsk::Part(2..4));
        assert_eq!(ask(Some("\"v1\"")), RangeAsk::Part(2..4));
        assert_eq!(ask(Some("\"stale\"")), RangeAsk::Whole);
        assert_eq!(ask(Some("W/\"v1\"")), RangeAsk::Whole, "weak never matches");
        assert_eq!(ask(Some(&date)), RangeAsk::Part(2..4));
        assert_eq!(ask(Some(&earlier)), RangeAsk::Whole, "changed since");
        assert_eq!(ask(Some("not a validator")), RangeAsk::Whole);
    }
}
