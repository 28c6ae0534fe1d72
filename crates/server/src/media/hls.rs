//! Signed HLS playlists. A `.m3u8` requested with a valid token is served
//! with every URI it names carrying a token for that file, of the scheme
//! that opened the playlist and expiring with it (the flow is in
//! `media/mod.rs`, the model in docs/security.md). `signet-hls` rewrites
//! the text; here each URI's path is normalized as a request path would be
//! (`.`/`..`, also percent-encoded, NUL and the like refuse the playlist)
//! and signed.

use crate::media::path;

/// Largest playlist rewritten (a 2 000-segment VOD playlist is ~150 KB).
pub(crate) const MAX_PLAYLIST_BYTES: u64 = 4 << 20;

/// Whether a storage key names an HLS playlist.
pub(crate) fn is_playlist(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("m3u8"))
}

/// Rewrites `playlist` (at the normalized `playlist_path`) so that each URI
/// of this store carries `token(file)`, `file` being the normalized path
/// the URI names. Errors are one line for the client (422).
pub(crate) fn rewrite(
    playlist: &str,
    playlist_path: &str,
    token: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    signet_hls::rewrite(playlist, playlist_path, &mut |raw: &str| {
        let file = path::normalize(raw).map_err(str::to_owned)?;
        token(&file)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_path(playlist: &str, at: &str) -> Result<String, String> {
        rewrite(playlist, at, &mut |p: &str| Ok(format!("t={p}")))
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
        assert!(is_playlist("v/a.M3U8") && !is_playlist("v/a.m3u") && !is_playlist("m3u8"));
    }
}
