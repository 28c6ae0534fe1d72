//! The auth gate: decides, before anything touches the cache, storage or
//! pixels, whether a request may proceed and with which secure parameters.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use signet_auth::{
    authenticate_jwt, authorize_jwt, verify_md5, Failure, Grant, JwtOptions, KeyRing, VerifiedJwt,
};

use crate::config::{Config, Scheme};
use crate::media::query::Credentials;

/// A `[[protect]]` entry.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) prefix: String,
    pub(crate) accept_jwt: bool,
    pub(crate) accept_md5: bool,
    /// Strict profile for everything under the prefix (empty: none).
    pub(crate) profile: String,
}

/// What the gate lets through.
#[derive(Debug)]
pub(crate) struct Access<'g> {
    /// The verified token, if one was presented.
    pub(crate) grant: Option<Grant>,
    /// The protection rule covering the path, if any.
    pub(crate) rule: Option<&'g Rule>,
}

/// Bytes of recently verified JWTs kept (tokens, claims and bookkeeping).
const VERIFIED_BYTES: u64 = 8 << 20;
/// How long a verified JWT is kept after it was first seen.
const VERIFIED_FOR: Duration = Duration::from_secs(600);

#[derive(Debug)]
pub(crate) struct Gate {
    rules: Vec<Rule>,
    jwt: JwtOptions,
    /// Tokens whose header and signature already checked out, by the exact
    /// token text. A cached token skips the base64, the JSON and the HMAC;
    /// its time, audience and scope are still checked on every request
    /// (`authorize_jwt`). Only good signatures get in, so nobody without a
    /// key can fill it; the key ring never changes while the process runs.
    /// Lookups hash first (moka, randomly keyed SipHash) and only compare
    /// whole strings on an equal hash, so a forger learns nothing from timing.
    verified: Cache<String, Arc<VerifiedJwt>>,
}

impl Gate {
    pub(crate) fn new(config: &Config) -> Gate {
        let rules = config
            .protect
            .iter()
            .map(|p| Rule {
                prefix: p.prefix.clone(),
                accept_jwt: p.accept.contains(&Scheme::Jwt),
                accept_md5: p.accept.contains(&Scheme::Md5),
                profile: p.profile.clone(),
            })
            .collect();
        Gate {
            rules,
            jwt: JwtOptions {
                leeway: config.jwt_leeway.as_secs(),
            },
            verified: Cache::builder()
                .max_capacity(VERIFIED_BYTES)
                .weigher(|token: &String, v: &Arc<VerifiedJwt>| {
                    u32::try_from(token.len() + v.weight() + 256).unwrap_or(u32::MAX)
                })
                .time_to_live(VERIFIED_FOR)
                .build(),
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule with the longest prefix of `path`.
    fn rule_for(&self, path: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .filter(|r| path.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())
    }

    /// Checks the credentials of a request for `path` at unix time `now`
    /// against the keys of `ring`.
    ///
    /// A path under a rule needs a valid token of an accepted scheme (any
    /// other token, or none, is `missing token`). A token on a public path is
    /// still verified, and a bad one is refused.
    pub(crate) fn check(
        &self,
        ring: &KeyRing,
        path: &str,
        creds: &Credentials,
        now: i64,
    ) -> Result<Access<'_>, Failure> {
        let rule = self.rule_for(path);
        let uses_md5 = creds.exp.is_some() || creds.sig.is_some();
        if creds.jwt.is_some() && uses_md5 {
            return Err(Failure::InvalidPayload);
        }
        let grant = if let Some(token) = &creds.jwt {
            if rule.is_some_and(|r| !r.accept_jwt) {
                return Err(Failure::MissingToken);
            }
            let verified = match self.verified.get(token.as_str()) {
                Some(v) => v,
                None => {
                    let v = Arc::new(authenticate_jwt(ring, token)?);
                    self.verified.insert(token.clone(), v.clone());
                    v
                }
            };
            Some(authorize_jwt(&verified, path, now, self.jwt)?)
        } else if uses_md5 {
            if rule.is_some_and(|r| !r.accept_md5) {
                return Err(Failure::MissingToken);
            }
            Some(verify_md5(
                ring,
                path,
                creds.exp.as_deref(),
                creds.sig.as_deref(),
                now,
            )?)
        } else if rule.is_some() {
            return Err(Failure::MissingToken);
        } else {
            None
        };
        Ok(Access { grant, rule })
    }
}

#[cfg(test)]
mod tests {
    use signet_auth::{sign_jwt, sign_md5, KeyKind};

    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn gate() -> (Gate, KeyRing) {
        let config = crate::config::test_config(
            "[[protect]]\nprefix = \"/private/jwt-only/\"\naccept = [\"jwt\"]\n\
             [[protect]]\nprefix = \"/md5/\"\naccept = [\"md5\"]\n",
        );
        let ring = config.key_ring(&|_| None).unwrap();
        (Gate::new(&config), ring)
    }

    fn jwt(ring: &KeyRing, aud: &str) -> Credentials {
        let key = ring.signing_key(KeyKind::Jwt, None).unwrap();
        let token = sign_jwt(key, &[aud.to_owned()], NOW, 60, &Default::default()).unwrap();
        Credentials {
            jwt: Some(token),
            ..Default::default()
        }
    }

    fn md5(ring: &KeyRing, path: &str) -> Credentials {
        let key = ring.signing_key(KeyKind::Md5, None).unwrap();
        let sig = sign_md5(key, path, NOW + 60).unwrap();
        Credentials {
            exp: Some((NOW + 60).to_string()),
            sig: Some(sig),
            jwt: None,
        }
    }

    fn outcome((g, ring): &(Gate, KeyRing), path: &str, c: &Credentials) -> &'static str {
        match g.check(ring, path, c, NOW) {
            Ok(a) if a.grant.is_some() => "granted",
            Ok(_) => "public",
            Err(f) => f.reason(),
        }
    }

    #[test]
    fn policy_table() {
        let g = gate();
        let r = &g.1;
        let none = Credentials::default();
        let cases: Vec<(&str, Credentials, &str)> = vec![
            ("/public.jpg", none.clone(), "public"),
            ("/privatex.jpg", none.clone(), "public"),
            ("/private/a.jpg", none.clone(), "missing token"),
            ("/private/a.jpg", jwt(r, "/private/"), "granted"),
            ("/private/a.jpg", md5(r, "/private/a.jpg"), "granted"),
            ("/private/jwt-only/a.jpg", jwt(r, "/"), "granted"),
            (
                "/private/jwt-only/a.jpg",
                md5(r, "/private/jwt-only/a.jpg"),
                "missing token",
            ),
            ("/md5/a.mp4", md5(r, "/md5/a.mp4"), "granted"),
            ("/md5/a.mp4", jwt(r, "/"), "missing token"),
            ("/public.jpg", jwt(r, "/public.jpg"), "granted"),
            ("/public.jpg", jwt(r, "/other.jpg"), "audience mismatch"),
            (
                "/public.jpg",
                Credentials {
                    jwt: Some("garbage".into()),
                    ..Default::default()
                },
                "invalid payload",
            ),
            ("/public.jpg", md5(r, "/other.jpg"), "signature mismatch"),
            (
                "/private/a.jpg",
                Credentials {
                    jwt: Some("x.y.z".into()),
                    exp: Some("1".into()),
                    sig: None,
                },
                "invalid payload",
            ),
        ];
        for (path, creds, want) in &cases {
            assert_eq!(outcome(&g, path, creds), *want, "{path} {creds:?}");
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let (g, _) = gate();
        assert_eq!(
            g.rule_for("/private/jwt-only/x").unwrap().prefix,
            "/private/jwt-only/"
        );
        assert_eq!(g.rule_for("/private/x").unwrap().prefix, "/private/");
        assert!(g.rule_for("/x").is_none());
    }

    #[test]
    fn a_remembered_token_is_still_checked_for_path_time_and_signature() {
        let (g, ring) = gate();
        let c = jwt(&ring, "/private/jwt-only/a.jpg");
        let token = c.jwt.clone().unwrap();
        let reason = |path: &str, c: &Credentials, now: i64| match g.check(&ring, path, c, now) {
            Ok(_) => "granted",
            Err(f) => f.reason(),
        };
        assert_eq!(reason("/private/jwt-only/a.jpg", &c, NOW), "granted");
        assert!(g.verified.contains_key(&token), "kept after a success");
        assert_eq!(reason("/private/jwt-only/a.jpg", &c, NOW), "granted");
        assert_eq!(
            reason("/private/jwt-only/b.jpg", &c, NOW),
            "audience mismatch"
        );
        assert_eq!(
            reason("/private/jwt-only/a.jpg", &c, NOW + 60),
            "expired key"
        );
        // One character changed: another string, so verified afresh.
        let last = token.chars().last().unwrap();
        let forged = format!(
            "{}{}",
            &token[..token.len() - 1],
            if last == 'A' { 'E' } else { 'A' }
        );
        let f = Credentials {
            jwt: Some(forged.clone()),
            ..Default::default()
        };
        assert_eq!(
            reason("/private/jwt-only/a.jpg", &f, NOW),
            "signature mismatch"
        );
        assert!(!g.verified.contains_key(&forged), "failures are not kept");
    }
}
