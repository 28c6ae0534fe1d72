//! The key ring: named secrets, each for one scheme and limited to a scope.

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretSlice};
use subtle::ConstantTimeEq;

/// Secrets shorter than this are accepted (Sirv's own example key is
/// `topsecret`) but reported by [`KeyRing::weak_keys`] so the server can warn.
pub const WEAK_SECRET_BYTES: usize = 32;

/// Which scheme a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Jwt,
    Md5,
}

/// A problem with a configured key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key id must not be empty")]
    EmptyId,
    #[error("key `{0}` has an empty secret")]
    EmptySecret(String),
    #[error("key `{0}`: secret is not valid base64")]
    BadBase64(String),
    #[error("key `{0}`: scope must start with `/`")]
    BadScope(String),
    #[error("key id `{0}` is used twice for the same kind")]
    DuplicateId(String),
    #[error("no {0} key named `{1}`")]
    Unknown(&'static str, String),
    #[error("no {0} key is configured")]
    NoKey(&'static str),
    #[error("key `{0}` cannot sign this kind of token")]
    CannotSign(String),
}

/// One secret. Its `Debug` never shows the secret (`secrecy` redacts it),
/// and the bytes are zeroed when the key is dropped.
#[derive(Clone, Debug)]
pub struct Key {
    id: String,
    kind: KeyKind,
    secret: SecretSlice<u8>,
    scope: String,
}

impl Key {
    /// A key from its raw secret bytes. An empty scope means `/`.
    pub fn new(
        id: impl Into<String>,
        kind: KeyKind,
        secret: Vec<u8>,
        scope: impl Into<String>,
    ) -> Result<Key, KeyError> {
        let id = id.into();
        let mut scope = scope.into();
        if id.is_empty() {
            return Err(KeyError::EmptyId);
        }
        if secret.is_empty() {
            return Err(KeyError::EmptySecret(id));
        }
        if scope.is_empty() {
            scope = "/".to_owned();
        }
        if !scope.starts_with('/') {
            return Err(KeyError::BadScope(id));
        }
        Ok(Key {
            id,
            kind,
            secret: secret.into(),
            scope,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub fn scope(&self) -> &str {
        &self.scope
    }

    pub(crate) fn secret(&self) -> &[u8] {
        self.secret.expose_secret()
    }

    /// Whether the secret is shorter than [`WEAK_SECRET_BYTES`].
    pub fn is_weak(&self) -> bool {
        self.secret.expose_secret().len() < WEAK_SECRET_BYTES
    }
}

/// Turns a configured secret into bytes: as written, or base64-decoded
/// (standard or URL-safe alphabet, padding optional) when `base64` is set.
pub fn decode_secret(id: &str, secret: &str, base64: bool) -> Result<Vec<u8>, KeyError> {
    if !base64 {
        return Ok(secret.as_bytes().to_vec());
    }
    let trimmed = secret.trim().trim_end_matches('=');
    let engines = [
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(trimmed).ok())
        .ok_or_else(|| KeyError::BadBase64(id.to_owned()))
}

/// All configured keys.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: Vec<Key>,
}

impl KeyRing {
    /// Ids must be unique within a kind (a JWT `kid` only ever names a JWT
    /// key), so a JWT key and an MD5 key may share one, as `env` does.
    pub fn new(keys: Vec<Key>) -> Result<KeyRing, KeyError> {
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.id == k.id && o.kind == k.kind) {
                return Err(KeyError::DuplicateId(k.id.clone()));
            }
        }
        Ok(KeyRing { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Ids of keys whose secret is shorter than [`WEAK_SECRET_BYTES`].
    pub fn weak_keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter(|k| k.is_weak()).map(|k| k.id())
    }

    pub fn of_kind(&self, kind: KeyKind) -> impl Iterator<Item = &Key> {
        self.keys.iter().filter(move |k| k.kind == kind)
    }

    /// The id of the key of `kind` whose secret is `candidate`. Every key's
    /// secret is compared in constant time, and all of them are, whatever
    /// matches, so the time taken says nothing about any secret.
    pub fn id_by_secret(&self, kind: KeyKind, candidate: &[u8]) -> Option<&str> {
        let mut found = None;
        for k in self.of_kind(kind) {
            if bool::from(k.secret().ct_eq(candidate)) && found.is_none() {
                found = Some(k.id());
            }
        }
        found
    }

    /// The key to sign with: the one named `id`, else the first of `kind`.
    pub fn signing_key(&self, kind: KeyKind, id: Option<&str>) -> Result<&Key, KeyError> {
        let label = match kind {
            KeyKind::Jwt => "jwt",
            KeyKind::Md5 => "md5",
        };
        match id {
            Some(id) => self
                .of_kind(kind)
                .find(|k| k.id == id)
                .ok_or_else(|| KeyError::Unknown(label, id.to_owned())),
            None => self.of_kind(kind).next().ok_or(KeyError::NoKey(label)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_decode_as_configured() {
        assert_eq!(
            decode_secret("k", "topsecret", false).unwrap(),
            b"topsecret"
        );
        // "topsecret" in base64, with and without padding, both alphabets
        assert_eq!(
            decode_secret("k", "dG9wc2VjcmV0", true).unwrap(),
            b"topsecret"
        );
        assert_eq!(
            decode_secret("k", "dG9wc2VjcmV0\n", true).unwrap(),
            b"topsecret"
        );
        assert_eq!(decode_secret("k", "-_8=", true).unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_secret("k", "+/8=", true).unwrap(), vec![0xfb, 0xff]);
        assert_eq!(
            decode_secret("k", "not base64!", true),
            Err(KeyError::BadBase64("k".into()))
        );
    }

    #[test]
    fn a_key_is_found_by_its_secret_within_its_kind() {
        let ring = KeyRing::new(vec![
            Key::new("a", KeyKind::Jwt, b"first-secret".to_vec(), "/").unwrap(),
            Key::new("b", KeyKind::Jwt, b"second-secret".to_vec(), "/").unwrap(),
            Key::new("m", KeyKind::Md5, b"md5-secret".to_vec(), "/").unwrap(),
        ])
        .unwrap();
        assert_eq!(ring.id_by_secret(KeyKind::Jwt, b"second-secret"), Some("b"));
        assert_eq!(ring.id_by_secret(KeyKind::Jwt, b"md5-secret"), None);
        assert_eq!(ring.id_by_secret(KeyKind::Jwt, b"second-secre"), None);
        assert_eq!(ring.id_by_secret(KeyKind::Jwt, b""), None);
    }

    #[test]
    fn ring_rejects_bad_keys() {
        let k = |id: &str, s: &[u8], scope: &str| Key::new(id, KeyKind::Jwt, s.to_vec(), scope);
        assert_eq!(k("", b"x", "/").unwrap_err(), KeyError::EmptyId);
        assert_eq!(
            k("a", b"", "/").unwrap_err(),
            KeyError::EmptySecret("a".into())
        );
        assert_eq!(
            k("a", b"x", "private/").unwrap_err(),
            KeyError::BadScope("a".into())
        );
        assert_eq!(k("a", b"x", "").unwrap().scope(), "/");
        let dup = KeyRing::new(vec![k("a", b"x", "/").unwrap(), k("a", b"y", "/").unwrap()]);
        assert_eq!(dup.unwrap_err(), KeyError::DuplicateId("a".into()));
        let md5 = Key::new("a", KeyKind::Md5, b"z".to_vec(), "/").unwrap();
        assert!(
            KeyRing::new(vec![k("a", b"x", "/").unwrap(), md5]).is_ok(),
            "same id, other kind"
        );
    }

    #[test]
    fn weak_keys_are_named_and_debug_hides_secrets() {
        let ring = KeyRing::new(vec![
            Key::new("short", KeyKind::Jwt, b"topsecret".to_vec(), "/").unwrap(),
            Key::new("long", KeyKind::Md5, vec![7; 32], "/").unwrap(),
        ])
        .unwrap();
        assert_eq!(ring.weak_keys().collect::<Vec<_>>(), vec!["short"]);
        assert!(!format!("{ring:?}").contains("topsecret"));
    }

    #[test]
    fn signing_key_selection() {
        let ring = KeyRing::new(vec![
            Key::new("m", KeyKind::Md5, b"s1".to_vec(), "/").unwrap(),
            Key::new("a", KeyKind::Jwt, b"s2".to_vec(), "/").unwrap(),
            Key::new("b", KeyKind::Jwt, b"s3".to_vec(), "/").unwrap(),
        ])
        .unwrap();
        assert_eq!(ring.signing_key(KeyKind::Jwt, None).unwrap().id(), "a");
        assert_eq!(ring.signing_key(KeyKind::Jwt, Some("b")).unwrap().id(), "b");
        assert!(ring.signing_key(KeyKind::Jwt, Some("m")).is_err());
        assert_eq!(ring.signing_key(KeyKind::Md5, None).unwrap().id(), "m");
    }
}
