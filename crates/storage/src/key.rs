//! Object and folder keys: relative, `/`-separated, and unable to escape the store.

use crate::StorageError;

/// Longest key accepted, in bytes (the server's path limit).
const MAX_KEY_BYTES: usize = 1024;

/// The key of an object: `a/b/c.jpg`. No leading `/`, no empty, `.` or `..`
/// segment, no backslash, no control character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn new(key: &str) -> Result<ObjectKey, StorageError> {
        check_segments(key)?;
        Ok(ObjectKey(key.to_owned()))
    }

    /// The key of a normalized URL path (`/a/b.jpg` → `a/b.jpg`).
    pub fn from_path(path: &str) -> Result<ObjectKey, StorageError> {
        ObjectKey::new(path.strip_prefix('/').unwrap_or(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The folder holding this object.
    pub fn parent(&self) -> FolderKey {
        match self.0.rfind('/') {
            Some(i) => FolderKey(self.0[..=i].to_owned()),
            None => FolderKey(String::new()),
        }
    }

    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key of a folder: empty for the root, else `a/b/` (trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FolderKey(String);

impl FolderKey {
    pub fn root() -> FolderKey {
        FolderKey(String::new())
    }

    /// From `a/b`, `/a/b/`, `/` or `` (slashes at either end are optional).
    pub fn new(folder: &str) -> Result<FolderKey, StorageError> {
        let inner = folder.trim_start_matches('/');
        let inner = inner.strip_suffix('/').unwrap_or(inner);
        if inner.is_empty() {
            return Ok(FolderKey::root());
        }
        check_segments(inner)?;
        Ok(FolderKey(format!("{inner}/")))
    }

    /// `""` or `a/b/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The key of `name` inside this folder.
    pub fn join(&self, name: &str) -> Result<ObjectKey, StorageError> {
        ObjectKey::new(&format!("{}{name}", self.0))
    }
}

fn check_segments(key: &str) -> Result<(), StorageError> {
    if key.is_empty() {
        return Err(StorageError::InvalidKey("empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(StorageError::InvalidKey("longer than 1024 bytes"));
    }
    if key.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(StorageError::InvalidKey("backslash or control character"));
    }
    for seg in key.split('/') {
        match seg {
            "" => return Err(StorageError::InvalidKey("empty segment")),
            "." | ".." => return Err(StorageError::InvalidKey("dot segment")),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys() {
        let ok = [
            "a.jpg",
            "a/b/c.jpg",
            "sp ace/ü.jpg",
            "a+b/%2F.jpg",
            "..a/b..",
            ".hidden",
        ];
        for k in ok {
            assert_eq!(ObjectKey::new(k).unwrap().as_str(), k);
        }
        let bad = [
            "", "/a.jpg", "a//b", "a/", "../a", "a/../b", "./a", "a/.", "a\\b", "a\0b", "a\nb",
        ];
        for k in bad {
            assert!(ObjectKey::new(k).is_err(), "{k:?} accepted");
        }
        assert!(ObjectKey::new(&"a".repeat(1025)).is_err());
        assert_eq!(
            ObjectKey::from_path("/a/b.jpg").unwrap().as_str(),
            "a/b.jpg"
        );
    }

    #[test]
    fn folder_keys() {
        for (input, want) in [
            ("", ""),
            ("/", ""),
            ("a", "a/"),
            ("/a/b/", "a/b/"),
            ("a/b", "a/b/"),
        ] {
            assert_eq!(FolderKey::new(input).unwrap().as_str(), want);
        }
        for bad in ["a//b", "../x", "a/../b", "a\\b"] {
            assert!(FolderKey::new(bad).is_err(), "{bad:?} accepted");
        }
        let k = ObjectKey::new("a/b/c.jpg").unwrap();
        assert_eq!(k.parent().as_str(), "a/b/");
        assert_eq!(k.file_name(), "c.jpg");
        assert_eq!(ObjectKey::new("c.jpg").unwrap().parent(), FolderKey::root());
        assert_eq!(
            FolderKey::new("a").unwrap().join("x.png").unwrap().as_str(),
            "a/x.png"
        );
    }
}
