//! Filename masks: how a JWT `aud` (and a key's `scope`) names the files it covers.
//!
//! Paths are normalized, decoded, and start with `/`. A mask is compared as a
//! string prefix, except that a mask whose last segment has an extension names
//! exactly one file: `/a/b.jpg` covers `/a/b.jpg`, not `/a/b.jpg.bak`.

/// Whether the audience mask `mask` covers `path`.
///
/// Forms: `/` (any file), `/path/t` (any path starting with it, so also
/// `/path/t1/…`), `/path/to/` (that folder and below), `/path/to/file.jpg`
/// (that file only). A mask without a leading `/` is read as if it had one.
/// A mask holding a `.`/`..` segment, a backslash or a NUL covers nothing,
/// and nothing covers such a path: the server refuses those paths before
/// auth, and the matcher does not rely on it.
pub fn mask_matches(mask: &str, path: &str) -> bool {
    let Some(mask) = clean_mask(mask) else {
        return false;
    };
    if !path.starts_with('/') || escapes(path) {
        return false;
    }
    if names_one_file(&mask) {
        return path == mask;
    }
    path.starts_with(mask.as_ref())
}

/// Whether a key whose scope is `scope` may authorize `path`. Scopes follow
/// the same rules as masks; an empty scope means `/`.
pub fn scope_matches(scope: &str, path: &str) -> bool {
    if scope.is_empty() {
        return mask_matches("/", path);
    }
    mask_matches(scope, path)
}

fn escapes(path: &str) -> bool {
    path.contains(['\\', '\0']) || path.split('/').any(|seg| seg == "." || seg == "..")
}

fn clean_mask(mask: &str) -> Option<std::borrow::Cow<'_, str>> {
    if mask.is_empty() || escapes(mask) {
        return None;
    }
    if mask.starts_with('/') {
        Some(std::borrow::Cow::Borrowed(mask))
    } else {
        Some(std::borrow::Cow::Owned(format!("/{mask}")))
    }
}

/// A mask names a single file when its last segment has an extension
/// (a dot that is neither its first nor its last character).
fn names_one_file(mask: &str) -> bool {
    let last = mask.rsplit('/').next().unwrap_or("");
    match last.rfind('.') {
        Some(dot) => dot > 0 && dot + 1 < last.len(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_table() {
        // (mask, path, expected)
        let cases: &[(&str, &str, bool)] = &[
            ("/", "/a.jpg", true),
            ("/", "/deep/folder/a.jpg", true),
            ("/path/t", "/path/to/a.jpg", true),
            ("/path/t", "/path/t1/a.jpg", true),
            ("/path/t", "/path/x/a.jpg", false),
            ("/path/t", "/other/path/t/a.jpg", false),
            ("/path/to/", "/path/to/a.jpg", true),
            ("/path/to/", "/path/to/sub/a.jpg", true),
            ("/path/to/", "/path/tome/a.jpg", false),
            ("/path/to/", "/path/to", false),
            ("/path/to/file.jpg", "/path/to/file.jpg", true),
            ("/path/to/file.jpg", "/path/to/file.jpg.bak", false),
            ("/path/to/file.jpg", "/path/to/file.jpg/x.png", false),
            ("/path/to/file.jpg", "/path/to/file.jpeg", false),
            ("/path/to/file.jpg", "/path/to/File.jpg", false),
            ("/example-image.jpg", "/example-image.jpg", true),
            ("example-image.jpg", "/example-image.jpg", true),
            ("path/to/", "/path/to/a.jpg", true),
            ("", "/a.jpg", false),
            ("/a/../", "/a/../b.jpg", false),
            ("/a/./", "/a/b.jpg", false),
            ("/a\\b", "/a\\b/c.jpg", false),
            ("/a\0", "/a\0b.jpg", false),
            // a trailing dot or a leading dot is not an extension: prefix rules
            ("/path/v1.", "/path/v1./a.jpg", true),
            ("/path/.hidden", "/path/.hidden/a.jpg", true),
            ("/a.jpg", "a.jpg", false),
            // nothing covers a path that could escape, whatever the mask
            ("/a/", "/a/../b.jpg", false),
            ("/", "/a/./b.jpg", false),
            ("/", "/..", false),
            ("/a", "/a\\..\\b.jpg", false),
            ("/", "/a\0.jpg", false),
        ];
        for (mask, path, want) in cases {
            assert_eq!(
                mask_matches(mask, path),
                *want,
                "mask {mask:?} path {path:?}"
            );
        }
    }

    #[test]
    fn empty_scope_is_everything() {
        assert!(scope_matches("", "/a/b.jpg"));
        assert!(scope_matches("/a/", "/a/b.jpg"));
        assert!(!scope_matches("/b/", "/a/b.jpg"));
    }
}
