//! HLS playlist URI rewriting, for signed streams: each URI a playlist
//! names — URI lines (variant playlists, media segments) and the `URI="…"`
//! attribute of any tag (`EXT-X-MAP`, `EXT-X-KEY`, `EXT-X-MEDIA`,
//! `EXT-X-I-FRAME-STREAM-INF`, …) — resolved against the playlist's folder
//! and given the query a callback returns for it. Pure: text in, text out;
//! nothing is fetched. The server decides what a path is and signs it.
//!
//! The rewrite is line by line (RFC 8216 §4.1: one tag or URI a line).
//! `http(s)://` URIs are left alone (another host's business, or a URL the
//! author made absolute on purpose); any other scheme (`data:`, `file:`, …)
//! and `//host` refuse the whole playlist.

// Playlists come from buckets: never panic on them.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::fmt::Write as _;

mod dash;
pub use dash::{escape_xml, rewrite_mpd, MAX_NODES};

/// Longest line accepted.
pub const MAX_LINE_BYTES: usize = 16 << 10;
/// Most URIs signed in one playlist.
pub const MAX_URIS: usize = 100_000;

/// Rewrites `playlist`, found at `playlist_path` (starting with `/`), so
/// that each URI of the same store carries `query(path)`: `path` is the
/// URI resolved against the playlist's folder, still percent-encoded as
/// written, and `query` returns what to append (`jwt=…`, `exp=…&sig=…`) or
/// why the path is refused. Errors are one line for the client.
pub fn rewrite(
    playlist: &str,
    playlist_path: &str,
    query: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let folder = &playlist_path[..playlist_path.rfind('/').map_or(0, |i| i + 1)];
    let mut lines = playlist.split('\n');
    let first = lines.next().unwrap_or("").trim_end_matches('\r');
    if first.trim_start_matches('\u{feff}') != "#EXTM3U" {
        return Err("not an HLS playlist: the first line is not #EXTM3U".to_owned());
    }
    let mut out = String::with_capacity(playlist.len() * 2);
    out.push_str(first);
    let mut uris = 0usize;
    for (n, raw) in lines.enumerate() {
        let line = raw.trim_end_matches('\r');
        let number = n + 2;
        if line.len() > MAX_LINE_BYTES {
            return Err(format!(
                "playlist line {number} is longer than {MAX_LINE_BYTES} bytes"
            ));
        }
        out.push('\n');
        let mut sign = |uri: &str| -> Result<String, String> {
            uris += 1;
            if uris > MAX_URIS {
                return Err(format!("playlist names more than {MAX_URIS} URIs"));
            }
            signed(uri, folder, &mut *query).map_err(|why| format!("playlist line {number}: {why}"))
        };
        if line.trim().is_empty() {
            out.push_str(line);
        } else if line.starts_with("#EXT") {
            out.push_str(&tag_with_signed_uris(line, &mut sign)?);
        } else if line.starts_with('#') {
            out.push_str(line); // a comment
        } else {
            out.push_str(&sign(line.trim())?);
        }
    }
    Ok(out)
}

/// A tag line with each `URI="…"` attribute signed.
fn tag_with_signed_uris(
    line: &str,
    sign: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(line.len() * 2);
    let mut rest = line;
    while let Some(at) = find_uri_attribute(rest) {
        let value_start = at + "URI=\"".len();
        let Some(len) = rest[value_start..].find('"') else {
            return Err("a URI attribute is not closed".to_owned());
        };
        out.push_str(&rest[..value_start]);
        out.push_str(&sign(&rest[value_start..value_start + len])?);
        rest = &rest[value_start + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The offset of the next `URI="` attribute (after `:` or `,`, so
/// `X-URI=` or a quoted value containing `URI="` does not count).
fn find_uri_attribute(s: &str) -> Option<usize> {
    let mut quoted = false;
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b':' | b',' if !quoted && s[i + 1..].starts_with("URI=\"") => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// `uri` with the query for the file it names, or as it is for `http(s)`.
fn signed(
    uri: &str,
    folder: &str,
    query_for: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let end = uri.find(['?', '#']).unwrap_or(uri.len());
    let (target, tail) = uri.split_at(end);
    // Only a full `http(s)://` URL is another host's; `http:seg.ts` and
    // every other scheme are refused.
    let head = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    if head.starts_with("http://") || head.starts_with("https://") {
        return Ok(uri.to_owned());
    }
    if let Some(colon) = target.find(':') {
        let scheme = &target[..colon];
        let is_scheme = !scheme.is_empty()
            && !scheme.contains('/')
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if is_scheme {
            return Err(format!("a `{scheme}:` URI is refused"));
        }
    }
    if target.is_empty() || target.starts_with("//") {
        return Err(format!("`{uri}` names no file of this store"));
    }
    let joined = if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("{folder}{target}")
    };
    let query = query_for(&joined).map_err(|why| format!("`{uri}`: {why}"))?;
    let (query_part, fragment) = tail.split_at(tail.find('#').unwrap_or(tail.len()));
    let mut out = String::with_capacity(uri.len() + query.len() + 2);
    out.push_str(target);
    if query_part.is_empty() {
        let _ = write!(out, "?{query}");
    } else {
        let _ = write!(out, "{query_part}&{query}");
    }
    out.push_str(fragment);
    Ok(out)
}

#[cfg(test)]
mod tests;
