//! Signed HLS playlists and DASH manifests. A `.m3u8` or `.mpd` requested
//! with a valid token is served with every URI it names carrying a token
//! for that file (for a DASH `SegmentTemplate`, for the folder its files
//! are in), of the scheme that opened it and expiring with it (the flow is
//! in `media/mod.rs`, the model in docs/security.md). `signet-hls` rewrites
//! the text; here each URI's path is normalized as a request path would be
//! (`.`/`..`, also percent-encoded, NUL and the like refuse the manifest)
//! and signed.

use crate::media::path;

/// Largest playlist rewritten (a 2 000-segment VOD playlist is ~150 KB).
pub(crate) const MAX_PLAYLIST_BYTES: u64 = 4 << 20;

/// The kinds of stream manifest signet signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Manifest {
    Hls,
    Dash,
}

impl Manifest {
    /// The manifest a storage key names, by its extension.
    pub(crate) fn of(key: &str) -> Option<Manifest> {
        let name = key.rsplit('/').next().unwrap_or(key);
        let (_, ext) = name.rsplit_once('.')?;
        if ext.eq_ignore_ascii_case("m3u8") {
            Some(Manifest::Hls)
        } else if ext.eq_ignore_ascii_case("mpd") {
            Some(Manifest::Dash)
        } else {
            None
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Manifest::Hls => "application/vnd.apple.mpegurl",
            Manifest::Dash => "application/dash+xml",
        }
    }
}

/// Rewrites `text` (at the normalized `manifest_path`) so that each URI
/// of this store carries `token(path)`, `path` being the normalized path
/// of the file the URI names, or of the folder (ending in `/`) a DASH
/// template's files are in. Errors are one line for the client (422).
pub(crate) fn rewrite(
    kind: Manifest,
    text: &str,
    manifest_path: &str,
    token: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut normalized = |raw: &str| -> Result<String, String> {
        match raw.strip_suffix('/') {
            Some(folder) if !folder.is_empty() => {
                let folder = path::normalize(folder).map_err(str::to_owned)?;
                token(&format!("{folder}/"))
            }
            _ => token(&path::normalize(raw).map_err(str::to_owned)?),
        }
    };
    match kind {
        Manifest::Hls => signet_hls::rewrite(text, manifest_path, &mut normalized),
        Manifest::Dash => signet_hls::rewrite_mpd(text, manifest_path, &mut normalized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_path(playlist: &str, at: &str) -> Result<String, String> {
        rewrite(Manifest::Hls, playlist, at, &mut |p: &str| {
            Ok(format!("t={p}"))
        })
    }

    #[test]
    fn tokens_are_for_the_decoded_path_and_tricks_refuse_the_playlist() {
        let out = by_path("#EXTM3U\nseg%20one.ts\n", "/v/s/i.m3u8").unwrap();
        assert_eq!(out, "#EXTM3U\nseg%20one.ts?t=/v/s/seg one.ts\n");
        for (playlist, says) in [
            ("#EXTM3U\n../other/seg.ts\n", ". or .."),
            ("#EXTM3U\nsub/../../x.ts\n", ". or .."),
            ("#EXTM3U\n%2e%2e/x.ts\n", ". or .."),
            ("#EXTM3U\n#EXT-X-MAP:URI=\"./init.mp4\"\n", ". or .."),
            ("#EXTM3U\na%00b.ts\n", "NUL"),
            ("#EXTM3U\na%5Cb.ts\n", "backslash"),
        ] {
            let err = by_path(playlist, "/v/index.m3u8").unwrap_err();
            assert!(err.contains(says), "{playlist:?}: {err}");
        }
        assert_eq!(Manifest::of("v/a.M3U8"), Some(Manifest::Hls));
        assert_eq!(Manifest::of("v/a.mpd"), Some(Manifest::Dash));
        assert_eq!(Manifest::of("v/a.m3u"), None);
        assert_eq!(Manifest::of("m3u8"), None);
    }

    #[test]
    fn a_dash_template_is_signed_for_its_normalized_folder() {
        let mpd = r#"<MPD><Period><AdaptationSet><SegmentTemplate media="hd%20x/seg-$Number$.m4s"/></AdaptationSet></Period></MPD>"#;
        let out = rewrite(Manifest::Dash, mpd, "/v/s/m.mpd", &mut |p: &str| {
            Ok(format!("t={p}"))
        })
        .unwrap();
        assert!(
            out.contains(r#"media="hd%20x/seg-$Number$.m4s?t=/v/s/hd x/""#),
            "{out}"
        );
    }
}
