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

/// A manifest rewritten once per source version, with a marker where each
/// token goes: a request then only signs and splices (`render`).
#[derive(Debug)]
pub(crate) struct Template {
    /// Text between the tokens: one more piece than `slots`.
    pieces: Vec<String>,
    /// For each token, in order, the path it is for.
    slots: Vec<String>,
    /// DASH: tokens are written XML-escaped.
    xml: bool,
}

impl Template {
    /// Rewrites `text` as [`rewrite`] does, with markers for the tokens.
    /// The markers carry a random nonce, so text in the manifest cannot
    /// pose as one.
    pub(crate) fn parse(
        kind: Manifest,
        text: &str,
        manifest_path: &str,
    ) -> Result<Template, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|_| "no randomness for a manifest".to_owned())?;
        let marker = format!("SIGNETTOKEN{}N", hex::encode(nonce));
        let mut slots = Vec::new();
        let out = rewrite(kind, text, manifest_path, &mut |path: &str| {
            slots.push(path.to_owned());
            Ok(format!("{marker}{}E", slots.len() - 1))
        })?;
        let mut pieces = Vec::with_capacity(slots.len() + 1);
        let mut rest = out.as_str();
        let mut order = Vec::with_capacity(slots.len());
        while let Some(at) = rest.find(&marker) {
            pieces.push(rest[..at].to_owned());
            let after = &rest[at + marker.len()..];
            let end = after.find('E').ok_or("a token marker was cut")?;
            let slot: usize = after[..end].parse().map_err(|_| "a token marker was cut")?;
            order.push(slots.get(slot).ok_or("a token marker was cut")?.clone());
            rest = &after[end + 1..];
        }
        pieces.push(rest.to_owned());
        Ok(Template {
            pieces,
            slots: order,
            xml: kind == Manifest::Dash,
        })
    }

    /// The manifest with `token(path)` in each slot.
    pub(crate) fn render(
        &self,
        token: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<String, String> {
        let text: usize = self.pieces.iter().map(String::len).sum();
        let mut out = String::with_capacity(text + self.slots.len() * 200);
        for (piece, path) in self.pieces.iter().zip(&self.slots) {
            out.push_str(piece);
            let query = token(path)?;
            if self.xml {
                out.push_str(&signet_hls::escape_xml(&query));
            } else {
                out.push_str(&query);
            }
        }
        if let Some(last) = self.pieces.last() {
            out.push_str(last);
        }
        Ok(out)
    }

    /// Bytes held, for the cache's budget.
    pub(crate) fn weight(&self) -> u32 {
        let bytes: usize = self
            .pieces
            .iter()
            .chain(&self.slots)
            .map(|s| s.len() + 24)
            .sum();
        u32::try_from(bytes).unwrap_or(u32::MAX)
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
    fn a_template_renders_what_a_rewrite_writes() {
        // Numbered tokens: each run must ask for the same paths in order.
        let n = std::cell::Cell::new(0);
        let token = |p: &str| -> Result<String, String> {
            n.set(n.get() + 1);
            Ok(format!("exp=1&sig={}{p}", n.get()))
        };
        let both = |kind, text: &str, at: &str| {
            n.set(0);
            let direct = rewrite(kind, text, at, &mut { token }).unwrap();
            n.set(0);
            let t = Template::parse(kind, text, at).unwrap();
            assert_eq!(t.render(&mut { token }).unwrap(), direct);
            direct
        };
        let hls = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\na.ts\n#c\nb%20c.ts?x=1\n";
        both(Manifest::Hls, hls, "/v/i.m3u8");
        // A token can refuse its path at render time (MD5 on a folder).
        let t = Template::parse(Manifest::Hls, hls, "/v/i.m3u8").unwrap();
        assert!(t.render(&mut |_: &str| Err("no".to_owned())).is_err());
        let mpd = r#"<MPD><Period><AdaptationSet><Representation><SegmentList><SegmentURL media="s&amp;1.m4s"/><SegmentURL media="s2.m4s"/></SegmentList></Representation></AdaptationSet></Period></MPD>"#;
        let direct = both(Manifest::Dash, mpd, "/v/m.mpd");
        assert!(direct.contains("exp=1&amp;sig=1"), "{direct}");
        // Text that looks like a marker is only text.
        let tricky = "#EXTM3U\n#SIGNETTOKEN00N0E\nx.ts\n";
        let t = Template::parse(Manifest::Hls, tricky, "/v/i.m3u8").unwrap();
        assert_eq!(
            t.render(&mut |p: &str| Ok(format!("t={p}"))).unwrap(),
            "#EXTM3U\n#SIGNETTOKEN00N0E\nx.ts?t=/v/x.ts\n"
        );
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
