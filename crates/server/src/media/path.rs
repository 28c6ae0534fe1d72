//! Request paths: percent-decoded once, then checked so that nothing but a
//! plain `/a/b/c.ext` reaches auth or storage.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// Longest decoded path accepted, in bytes.
pub(crate) const MAX_PATH_BYTES: usize = 1024;

/// Decodes a raw (still percent-encoded) URI path once and validates it.
/// Returns the normalized path, which starts with `/`; `/` itself is returned
/// as is (it names no file).
pub(crate) fn normalize(raw: &str) -> Result<String, &'static str> {
    let bytes: Cow<'_, [u8]> = percent_decode_str(raw).into();
    if bytes.len() > MAX_PATH_BYTES {
        return Err("path is longer than 1024 bytes");
    }
    let path = String::from_utf8(bytes.into_owned()).map_err(|_| "path is not valid UTF-8")?;
    if !path.starts_with('/') {
        return Err("path must start with /");
    }
    if path.contains('\0') {
        return Err("path contains NUL");
    }
    if path.contains('\\') {
        return Err("path contains a backslash");
    }
    if path.chars().any(char::is_control) {
        return Err("path contains a control character");
    }
    if path == "/" {
        return Ok(path);
    }
    for segment in path[1..].split('/') {
        match segment {
            "" => return Err("path has an empty segment"),
            "." | ".." => return Err("path has a . or .. segment"),
            _ => {}
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_table() {
        let ok: &[(&str, &str)] = &[
            ("/a.jpg", "/a.jpg"),
            ("/a/b/c.jpg", "/a/b/c.jpg"),
            ("/with%20space.jpg", "/with space.jpg"),
            ("/%C3%BC.jpg", "/ü.jpg"),
            ("/a%2Fb.jpg", "/a/b.jpg"),
            ("/%252e%252e/x", "/%2e%2e/x"),
            ("/..a/b..", "/..a/b.."),
            ("/", "/"),
        ];
        for (raw, want) in ok {
            assert_eq!(normalize(raw).as_deref(), Ok(*want), "{raw}");
        }
        let bad = [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc/passwd",
            "/a/%2e/b",
            "/a//b",
            "//etc/passwd",
            "/a/",
            "/a%00.jpg",
            "/a%5Cb",
            "/a\\b",
            "/%FF.jpg",
            "/%0a.jpg",
            "a.jpg",
        ];
        for raw in bad {
            assert!(normalize(raw).is_err(), "{raw} accepted");
        }
        assert!(normalize(&format!("/{}", "a".repeat(1024))).is_err());
        assert!(normalize(&format!("/{}", "a".repeat(1023))).is_ok());
    }
}
