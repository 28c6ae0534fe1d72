//! DASH manifest (`.mpd`) URI rewriting, for signed streams, the way
//! [`rewrite`](crate::rewrite) does HLS: every URI the manifest names on
//! this store gets the query a callback returns for it; nothing is fetched.
//!
//! - `BaseURL` chains (MPD → Period → AdaptationSet → Representation) are
//!   resolved as a player resolves them. A `BaseURL` ending in `/` is a
//!   folder and is left as written (a query on it would not reach the
//!   URIs under it: RFC 3986 drops it); one naming a file (the on-demand
//!   profile's single-file representations) is signed for that file.
//!   Under an absolute `http(s)` base everything is another host's and is
//!   left alone.
//! - `SegmentURL@media`/`@index`, `Initialization@sourceURL`,
//!   `RepresentationIndex@sourceURL`, `Location` and `PatchLocation` name
//!   files: each is signed for its file.
//! - `SegmentTemplate@media`/`@initialization`/`@index`/
//!   `@bitstreamSwitching` with `$…$` identifiers name many files, so they
//!   are signed for the **folder** the template resolves into (the path up
//!   to the last `/` before the first `$`), passed to the callback with a
//!   trailing `/`; the player keeps the query when it fills the template in.
//!   A template without identifiers names one file.
//!
//! URIs are checked as in HLS playlists (`.`/`..`, `//host` and schemes
//! other than `http(s)` refuse the manifest); the document is parsed with
//! a node cap and no DTD, and edited in place, so everything else is served
//! byte for byte as stored.

use std::ops::Range;

use roxmltree::{Document, Node, ParsingOptions};

use crate::{signed, MAX_URIS};

/// XML nodes in one manifest (a 2-hour VOD with a `SegmentList` of 2 s
/// segments is ~4 000).
pub const MAX_NODES: u32 = 1_000_000;

/// Where relative URIs of an element resolve.
#[derive(Clone)]
enum Base {
    /// A folder of this store (`/`-terminated).
    Here(String),
    /// An absolute `http(s)` base: another host's.
    Elsewhere,
}

struct Rewriter<'q> {
    query: &'q mut dyn FnMut(&str) -> Result<String, String>,
    edits: Vec<(Range<usize>, String)>,
    uris: usize,
}

/// Rewrites the manifest `mpd`, found at `mpd_path` (starting with `/`), as
/// the module docs say. `query(path)` gets a file's path, or a folder's
/// ending in `/` for a template. Errors are one line for the client.
pub fn rewrite_mpd(
    mpd: &str,
    mpd_path: &str,
    query: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(mpd, options)
        .map_err(|e| format!("not a DASH manifest: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "MPD" {
        return Err("not a DASH manifest: the root element is not MPD".to_owned());
    }
    let folder = &mpd_path[..mpd_path.rfind('/').map_or(0, |i| i + 1)];
    let mut r = Rewriter {
        query,
        edits: Vec::new(),
        uris: 0,
    };
    r.element(mpd, root, &Base::Here(folder.to_owned()))?;
    let mut out = mpd.to_owned();
    r.edits
        .sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, text) in r.edits {
        out.replace_range(range, &text);
    }
    Ok(out)
}

impl Rewriter<'_> {
    fn element(&mut self, src: &str, node: Node<'_, '_>, base: &Base) -> Result<(), String> {
        let mut base = base.clone();
        // The first BaseURL child sets the base of everything under `node`
        // (the others are alternatives a player may switch to: signed too).
        let mut first = true;
        for b in node.children().filter(|c| c.has_tag_name("BaseURL")) {
            let text = b.text().unwrap_or("").trim();
            let here = self.base_url(b, text, &base)?;
            if first {
                base = here;
                first = false;
            }
        }
        let attributes: &[&str] = match node.tag_name().name() {
            "SegmentURL" => &["media", "index"],
            "Initialization" | "RepresentationIndex" => &["sourceURL"],
            "SegmentTemplate" => &["media", "initialization", "index", "bitstreamSwitching"],
            "Location" | "PatchLocation" => {
                let text = node.text().unwrap_or("").trim();
                if !text.is_empty() {
                    self.text_uri(node, text, &base)?;
                }
                &[]
            }
            _ => &[],
        };
        for attr in node.attributes() {
            if attr.namespace().is_none() && attributes.contains(&attr.name()) {
                let template = node.has_tag_name("SegmentTemplate") && attr.value().contains('$');
                let signed = self.uri(attr.value(), &base, template)?;
                if let Some(signed) = signed {
                    let range = attr.range_value();
                    check_quoted(src, &range)?;
                    self.edits.push((range, escape_xml(&signed)));
                }
            }
        }
        for child in node
            .children()
            .filter(|c| c.is_element() && !c.has_tag_name("BaseURL"))
        {
            self.element(src, child, &base)?;
        }
        Ok(())
    }

    /// Signs a `BaseURL` naming a file, and returns the base it sets.
    fn base_url(&mut self, node: Node<'_, '_>, text: &str, base: &Base) -> Result<Base, String> {
        let Base::Here(folder) = base else {
            return Ok(Base::Elsewhere);
        };
        let head = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        if head.starts_with("http://") || head.starts_with("https://") {
            return Ok(Base::Elsewhere);
        }
        if text.is_empty() {
            return Ok(base.clone());
        }
        let joined = if text.starts_with('/') {
            text.to_owned()
        } else {
            format!("{folder}{text}")
        };
        if !text.ends_with('/') {
            self.text_uri(node, text, base)?;
        }
        // A file's base is its folder; a query or fragment does not count.
        let path = &joined[..joined.find(['?', '#']).unwrap_or(joined.len())];
        if path
            .split('/')
            .any(|s| s == "." || s == ".." || s.contains('%'))
        {
            // `signed` refuses these for files; for a folder base, here.
            return Err(format!("BaseURL `{text}` names no folder of this store"));
        }
        Ok(Base::Here(
            path[..path.rfind('/').map_or(0, |i| i + 1)].to_owned(),
        ))
    }

    /// Signs the text of `node` (one URI).
    fn text_uri(&mut self, node: Node<'_, '_>, text: &str, base: &Base) -> Result<(), String> {
        let Some(signed) = self.uri(text, base, false)? else {
            return Ok(());
        };
        let children: Vec<Node<'_, '_>> = node.children().collect();
        let [only] = children.as_slice() else {
            return Err(format!(
                "<{}> must hold just its URI",
                node.tag_name().name()
            ));
        };
        if !only.is_text() {
            return Err(format!(
                "<{}> must hold just its URI",
                node.tag_name().name()
            ));
        }
        self.edits.push((only.range(), escape_xml(&signed)));
        Ok(())
    }

    /// `uri` signed under `base`, or `None` when it is another host's.
    fn uri(&mut self, uri: &str, base: &Base, template: bool) -> Result<Option<String>, String> {
        let Base::Here(folder) = base else {
            return Ok(None);
        };
        self.uris += 1;
        if self.uris > MAX_URIS {
            return Err(format!("the manifest names more than {MAX_URIS} URIs"));
        }
        let query = &mut *self.query;
        if !template {
            return signed(uri, folder, query)
                .map(Some)
                .map_err(|why| format!("manifest: {why}"));
        }
        // No `.`/`..` segment anywhere in the template, where a player
        // would resolve it after filling the identifiers in.
        let path = &uri[..uri.find(['?', '#']).unwrap_or(uri.len())];
        let dotted = path.split('/').any(|s| {
            let s = s.replace("%2e", ".").replace("%2E", ".");
            s == "." || s == ".."
        });
        if dotted {
            return Err(format!("manifest: `{uri}`: a . or .. segment is refused"));
        }
        // The folder the template's files are in: up to the last `/`
        // before the first identifier.
        let fixed = &uri[..uri.find('$').unwrap_or(uri.len())];
        let dir = &fixed[..fixed.rfind('/').map_or(0, |i| i + 1)];
        let mut folder_query = |_file: &str| -> Result<String, String> {
            let target = if dir.starts_with('/') {
                dir.to_owned()
            } else {
                format!("{folder}{dir}")
            };
            query(&target)
        };
        // `signed` checks the template as a URI and appends the query.
        signed(uri, folder, &mut folder_query)
            .map(Some)
            .map_err(|why| format!("manifest: {why}"))
    }
}

/// The value range must sit between matching quotes (`roxmltree` computes
/// it from lengths it caps).
fn check_quoted(src: &str, range: &Range<usize>) -> Result<(), String> {
    let bytes = src.as_bytes();
    let before = range.start.checked_sub(1).and_then(|i| bytes.get(i));
    match (before, bytes.get(range.end)) {
        (Some(&q), Some(&e)) if (q == b'"' || q == b'\'') && q == e => Ok(()),
        _ => Err("the manifest has an attribute signet cannot edit in place".to_owned()),
    }
}

/// Text as XML attribute or element content (what the rewrite writes
/// each signed URI as).
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_path(mpd: &str, at: &str) -> Result<String, String> {
        rewrite_mpd(mpd, at, &mut |p: &str| Ok(format!("t={p}&x=1")))
    }

    #[test]
    fn templates_are_signed_for_their_folder_and_lists_per_file() {
        let mpd = r#"<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">
  <Period>
    <AdaptationSet mimeType="video/mp4">
      <SegmentTemplate initialization="init-$RepresentationID$.m4s" media='chunk-$RepresentationID$-$Number%05d$.m4s' startNumber="1"/>
      <Representation id="0" bandwidth="1"/>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4">
      <BaseURL>audio/</BaseURL>
      <Representation id="a" bandwidth="1">
        <SegmentList>
          <Initialization sourceURL="init.mp4"/>
          <SegmentURL media="s1.m4s"/>
          <SegmentURL media="/abs/s2.m4s?v=2"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
    <AdaptationSet>
      <Representation id="od" bandwidth="1"><BaseURL>od/video.mp4</BaseURL><SegmentBase indexRange="0-99"/></Representation>
    </AdaptationSet>
    <AdaptationSet>
      <BaseURL>https://cdn.example.com/v/</BaseURL>
      <SegmentTemplate media="x-$Number$.m4s"/>
    </AdaptationSet>
  </Period>
</MPD>"#;
        let out = by_path(mpd, "/videos/s/manifest.mpd").unwrap();
        for want in [
            r#"initialization="init-$RepresentationID$.m4s?t=/videos/s/&amp;x=1""#,
            r#"media='chunk-$RepresentationID$-$Number%05d$.m4s?t=/videos/s/&amp;x=1'"#,
            r#"<BaseURL>audio/</BaseURL>"#,
            r#"sourceURL="init.mp4?t=/videos/s/audio/init.mp4&amp;x=1""#,
            r#"media="s1.m4s?t=/videos/s/audio/s1.m4s&amp;x=1""#,
            r#"media="/abs/s2.m4s?v=2&amp;t=/abs/s2.m4s&amp;x=1""#,
            r#"<BaseURL>od/video.mp4?t=/videos/s/od/video.mp4&amp;x=1</BaseURL>"#,
            r#"<BaseURL>https://cdn.example.com/v/</BaseURL>"#,
            r#"media="x-$Number$.m4s""#,
        ] {
            assert!(out.contains(want), "{want}\nin\n{out}");
        }
        // Everything else is as stored.
        assert!(out.starts_with("<?xml version=\"1.0\"?>\n<MPD xmlns="));
        // The result is still XML a player reads.
        assert!(Document::parse(&out).is_ok());
    }

    #[test]
    fn tricks_refuse_the_manifest() {
        let wrap = |inner: &str| {
            format!("<MPD><Period><AdaptationSet>{inner}</AdaptationSet></Period></MPD>")
        };
        for (inner, says) in [
            (r#"<SegmentTemplate media="../x-$Number$.m4s"/>"#, ". or .."),
            (
                r#"<SegmentList><SegmentURL media="file:///etc/passwd"/></SegmentList>"#,
                "file:",
            ),
            (
                r#"<SegmentList><SegmentURL media="//evil.example/x"/></SegmentList>"#,
                "no file",
            ),
            (
                r#"<BaseURL>../../</BaseURL><SegmentTemplate media="$Number$.m4s"/>"#,
                "no folder",
            ),
            (r#"<BaseURL>data:text/plain,x</BaseURL>"#, "data:"),
        ] {
            let err = by_path(&wrap(inner), "/v/m.mpd").unwrap_err();
            assert!(err.contains(says), "{inner}: {err}");
        }
        let err = by_path("<html/>", "/v/m.mpd").unwrap_err();
        assert!(err.contains("not MPD"), "{err}");
        let err = by_path("<!DOCTYPE MPD [<!ENTITY a 'b'>]><MPD/>", "/v/m.mpd").unwrap_err();
        assert!(err.contains("not a DASH manifest"), "{err}");
    }
}
