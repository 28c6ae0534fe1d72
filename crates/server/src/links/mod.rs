//! Making public URLs for files: plain or signed (`urls`), one per width for
//! responsive images (`srcset`), and how a URL is to be signed
//! ([`SignMode`], shared by the CLI's `--sign` and the REST API's `sign`).
//! Pure: the base URL, the key ring and the clock are passed in.

pub(crate) mod srcset;
pub(crate) mod urls;

use signet_auth::{KeyKind, KeyRing};

use crate::links::urls::Signer;

/// How a URL is signed, as asked by `--sign` or a REST `sign` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SignMode {
    /// A Sirv-style JWT (the only scheme that carries secure options).
    Jwt,
    /// A JW Player-style MD5 signature.
    Md5,
    /// Unsigned.
    None,
    /// A JWT when a JWT key exists; else MD5 when an MD5 key exists and no
    /// secure options are asked for; else unsigned (or a JWT, which then
    /// fails for want of a key, when secure options are asked for).
    Auto,
}

/// Secure options were asked for with a scheme that cannot carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SecureNeedsJwt;

impl SignMode {
    /// The signer for this mode, given the keys there are and the secure
    /// options asked for.
    pub(crate) fn signer(
        self,
        ring: &KeyRing,
        secure: Vec<(String, String)>,
        audience: Vec<String>,
    ) -> Result<Signer, SecureNeedsJwt> {
        let has = |kind| ring.signing_key(kind, None).is_ok();
        let mode = match self {
            SignMode::Auto if has(KeyKind::Jwt) => SignMode::Jwt,
            SignMode::Auto if secure.is_empty() && has(KeyKind::Md5) => SignMode::Md5,
            SignMode::Auto if secure.is_empty() => SignMode::None,
            SignMode::Auto => SignMode::Jwt,
            other => other,
        };
        match mode {
            SignMode::Jwt | SignMode::Auto => Ok(Signer::Jwt { secure, audience }),
            SignMode::Md5 | SignMode::None if !secure.is_empty() => Err(SecureNeedsJwt),
            SignMode::Md5 => Ok(Signer::Md5),
            SignMode::None => Ok(Signer::None),
        }
    }
}

#[cfg(test)]
mod tests {
    use signet_auth::Key;

    use super::*;

    fn ring(kinds: &[KeyKind]) -> KeyRing {
        let keys = kinds
            .iter()
            .enumerate()
            .map(|(i, &k)| Key::new(format!("k{i}"), k, b"secret".to_vec(), "/").unwrap())
            .collect();
        KeyRing::new(keys).unwrap()
    }

    fn kind(s: &Result<Signer, SecureNeedsJwt>) -> &'static str {
        match s {
            Ok(Signer::Jwt { .. }) => "jwt",
            Ok(Signer::Md5) => "md5",
            Ok(Signer::None) => "none",
            Err(SecureNeedsJwt) => "refused",
        }
    }

    #[test]
    fn sign_modes_pick_a_signer_from_the_keys_and_the_secure_options() {
        use KeyKind::{Jwt, Md5};
        let secure = || vec![("text".to_owned(), "Hi".to_owned())];
        let cases: &[(SignMode, &[KeyKind], bool, &str)] = &[
            (SignMode::Auto, &[Jwt, Md5], false, "jwt"),
            (SignMode::Auto, &[Md5], false, "md5"),
            (SignMode::Auto, &[Md5], true, "jwt"),
            (SignMode::Auto, &[], false, "none"),
            (SignMode::Auto, &[], true, "jwt"),
            (SignMode::Jwt, &[], false, "jwt"),
            (SignMode::Md5, &[Jwt], false, "md5"),
            (SignMode::Md5, &[Md5], true, "refused"),
            (SignMode::None, &[Jwt], true, "refused"),
            (SignMode::None, &[Jwt], false, "none"),
        ];
        for &(mode, keys, with_secure, want) in cases {
            let s = if with_secure { secure() } else { Vec::new() };
            let got = mode.signer(&ring(keys), s, Vec::new());
            assert_eq!(kind(&got), want, "{mode:?} {keys:?} secure={with_secure}");
        }
    }
}
