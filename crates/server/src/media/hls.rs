//! Signed HLS playlists. A `.m3u8` requested with a valid token is served
//! with every URI it names — variant playlists, media segments, and the
//! `URI="…"` attribute of any tag (`EXT-X-MAP`, `EXT-X-KEY`, `EXT-X-MEDIA`,
//! `EXT-X-I-FRAME-STREAM-INF`, …) — carrying a token for that file, of the
//! scheme that opened the playlist and expiring with it. So one signed
//! playlist URL plays the whole stream, and each token opens one file.
//!
//! The rewrite is line by line (RFC 8216 §4.1: one tag or URI a line) and
//! never fetches anything. `http(s)://` URIs are left alone (another host's
//! business, or a URL the author made absolute on purpose); any other
//! scheme (`data:`, `file:`, …) and any `.`/`..` segment refuse the whole
//! playlist.

use std::fmt::Write as _;

use crate::media::path;

/// Largest playlist rewritten (a 2 000-segment VOD playlist is ~150 KB).
pub(crate) const MAX_PLAYLIST_BYTES: u64 = 4 << 20;
/// Longest line accepted.
const MAX_LINE_BYTES: usize = 16 << 10;
/// Most URIs signed in one playlist.
const MAX_URIS: usize = 100_000;

/// Whether a storage key names an HLS playlist.
pub(crate) fn is_playlist(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("m3u8"))
}

/// Rewrites `playlist` (at `playlist_path`, a normalized path) so that each
/// URI of this store carries `token(path)`, a query fragment such as
/// `jwt=…` or `exp=…&sig=…` for the file at that normalized path. Errors
/// are one line for the client (422).
pub(crate) fn rewrite(
    playlist: &str,
    playlist_path: &str,
    token: &mut dyn FnMut(&str) -> Result<String, String>,
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
            signed(uri, folder, &mut *token).map_err(|why| format!("playlist line {number}: {why}"))
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

/// `uri` with the token of the file it names, or as it is for `http(s)`.
fn signed(
    uri: &str,
    folder: &str,
    token: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let end = uri.find(['?', '#']).unwrap_or(uri.len());
    let (target, tail) = uri.split_at(end);
    if let Some(colon) = target.find(':') {
        let scheme = &target[..colon];
        let is_scheme = !scheme.is_empty()
            && !scheme.contains('/')
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if is_scheme {
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
                return Ok(uri.to_owned());
            }
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
    let file = path::normalize(&joined).map_err(|why| format!("`{uri}`: {why}"))?;
    let query = token(&file)?;
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
mod tests {
    use super::*;

    /// Signs as `t=<path>`, so tests see which file each token is for.
    fn by_path(playlist: &str, at: &str) -> Result<String, String> {
        rewrite(playlist, at, &mut |p: &str| Ok(format!("t={p}")))
    }

    #[test]
    fn every_uri_of_a_master_playlist_gets_its_own_token() {
        let master = "#EXTM3U\r\n\
            #EXT-X-VERSION:6\r\n\
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"audio/en.m3u8\"\r\n\
            #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.4d401f,mp4a.40.2\",AUDIO=\"a\"\r\n\
            low/index.m3u8\r\n\
            #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=80000,URI=\"low/iframes.m3u8\"\r\n\
            # a comment, kept\r\n\
            \r\n\
            https://cdn.example.com/other.m3u8\r\n\
            /videos/abs/index.m3u8?lang=en\r\n";
        let out = by_path(master, "/videos/s/master.m3u8").unwrap();
        let want = "#EXTM3U\n\
            #EXT-X-VERSION:6\n\
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"audio/en.m3u8?t=/videos/s/audio/en.m3u8\"\n\
            #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.4d401f,mp4a.40.2\",AUDIO=\"a\"\n\
            low/index.m3u8?t=/videos/s/low/index.m3u8\n\
            #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=80000,URI=\"low/iframes.m3u8?t=/videos/s/low/iframes.m3u8\"\n\
            # a comment, kept\n\
            \n\
            https://cdn.example.com/other.m3u8\n\
            /videos/abs/index.m3u8?lang=en&t=/videos/abs/index.m3u8\n";
        assert_eq!(out, want);
    }

    #[test]
    fn media_playlists_sign_segments_maps_keys_and_byte_ranges() {
        let media = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n\
            #EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n\
            #EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.bin\",IV=0x1\n\
            #EXTINF:4.0,\n#EXT-X-BYTERANGE:1000@720\nseg%20one.m4s\n\
            #EXTINF:4.0,\nseg2.m4s\n#EXT-X-ENDLIST\n";
        let out = by_path(media, "/v/s/index.m3u8").unwrap();
        assert!(
            out.contains("URI=\"init.mp4?t=/v/s/init.mp4\",BYTERANGE=\"720@0\""),
            "{out}"
        );
        assert!(
            out.contains("URI=\"keys/k1.bin?t=/v/s/keys/k1.bin\",IV=0x1"),
            "{out}"
        );
        // The token is for the decoded path, the URI stays as written.
        assert!(
            out.contains("\nseg%20one.m4s?t=/v/s/seg one.m4s\n"),
            "{out}"
        );
        assert!(
            out.contains("\nseg2.m4s?t=/v/s/seg2.m4s\n#EXT-X-ENDLIST\n"),
            "{out}"
        );
    }

    #[test]
    fn tricks_refuse_the_playlist() {
        let cases = [
            ("#EXTM3U\n../other/seg.ts\n", ". or .."),
            ("#EXTM3U\nsub/../../x.ts\n", ". or .."),
            ("#EXTM3U\n%2e%2e/x.ts\n", ". or .."),
            (
                "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"data:text/plain,abc\"\n",
                "`data:`",
            ),
            ("#EXTM3U\nfile:///etc/passwd\n", "`file:`"),
            ("#EXTM3U\njavascript:alert(1)\n", "`javascript:`"),
            ("#EXTM3U\n//evil.example/x.ts\n", "names no file"),
            ("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\n", "not closed"),
            ("not a playlist\nseg.ts\n", "#EXTM3U"),
            ("#EXTM3U\na\u{0}b.ts\n", "NUL"),
        ];
        for (playlist, says) in cases {
            let err = by_path(playlist, "/v/index.m3u8").unwrap_err();
            assert!(err.contains(says), "{playlist:?}: {err}");
        }
        // `X-URI=` and a quoted `URI="` inside another value are not URIs.
        let odd = "#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID=\"x\",VALUE=\"URI=\\\"no\",X-URI=\"k\"\n";
        assert_eq!(
            by_path(odd, "/v/i.m3u8").unwrap(),
            odd.trim_end().to_owned() + "\n"
        );
    }

    #[test]
    fn limits_answer_fast() {
        let long = format!("#EXTM3U\n{}\n", "a".repeat(MAX_LINE_BYTES + 1));
        assert!(by_path(&long, "/v/i.m3u8")
            .unwrap_err()
            .contains("longer than"));
        let many = format!("#EXTM3U\n{}", "s.ts\n".repeat(MAX_URIS + 1));
        let started = std::time::Instant::now();
        assert!(by_path(&many, "/v/i.m3u8")
            .unwrap_err()
            .contains("more than"));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(is_playlist("v/a.M3U8") && !is_playlist("v/a.m3u") && !is_playlist("m3u8"));
    }
}
