//! Query strings: `name=value` pairs, form-decoded (`+` is a space), and the
//! split between auth parameters and image options.

use percent_encoding::percent_decode;

/// Decodes a raw query string into pairs, in order. A name without `=` has an
/// empty value. Fails on text that is not UTF-8 once decoded.
pub(crate) fn parse(raw: &str) -> Result<Pairs, String> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let name =
            decode(name).ok_or_else(|| "query parameter name is not valid UTF-8".to_owned())?;
        let value = decode(value).ok_or_else(|| format!("value of `{name}` is not valid UTF-8"))?;
        out.push((name, value));
    }
    Ok(out)
}

fn decode(s: &str) -> Option<String> {
    if !s.contains(['%', '+']) {
        // Most names and values: nothing to decode, one copy.
        return Some(s.to_owned());
    }
    let spaced = s.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// The token parameters of a request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) jwt: Option<String>,
    pub(crate) exp: Option<String>,
    pub(crate) sig: Option<String>,
}

/// Decoded `name=value` pairs, in URL order.
pub(crate) type Pairs = Vec<(String, String)>;

/// The path segment that starts a token-in-path URL (`path_tokens`).
pub(crate) const PATH_TOKEN_PREFIX: &str = "/_jwt/";

/// A raw request path split into its token-in-path JWT and the path after
/// it, when it has the `/_jwt/<token>/` form.
pub(crate) fn split_path_token(raw: &str) -> Option<(&str, &str)> {
    let rest = raw.strip_prefix(PATH_TOKEN_PREFIX)?;
    let end = rest.find('/')?;
    Some((&rest[..end], &rest[end..]))
}

/// The raw path as the access log shows it: a path token replaced.
pub(crate) fn logged_path(raw: &str) -> std::borrow::Cow<'_, str> {
    match split_path_token(raw) {
        Some((_, rest)) => format!("{PATH_TOKEN_PREFIX}-{rest}").into(),
        None => raw.into(),
    }
}

/// Splits pairs into credentials (`jwt`, `exp`, `sig`: never options, never
/// logged) and the rest. A token parameter given twice
/// is an error (which copy would count is ambiguous).
pub(crate) fn split_credentials(pairs: Pairs) -> Result<(Credentials, Pairs), &'static str> {
    let mut creds = Credentials::default();
    let mut rest = Vec::new();
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "jwt" => &mut creds.jwt,
            "exp" => &mut creds.exp,
            "sig" => &mut creds.sig,
            _ => {
                rest.push((name, value));
                continue;
            }
        };
        if slot.replace(value).is_some() {
            return Err("a token parameter is given more than once");
        }
    }
    Ok((creds, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_tokens_split_off_and_never_reach_the_log() {
        assert_eq!(
            split_path_token("/_jwt/aaa.bbb.ccc/v/s/master.m3u8"),
            Some(("aaa.bbb.ccc", "/v/s/master.m3u8"))
        );
        assert_eq!(
            split_path_token("/_jwt/aaa.bbb.ccc"),
            None,
            "no path after it"
        );
        assert_eq!(split_path_token("/v/_jwt/x/a.ts"), None);
        assert_eq!(
            logged_path("/_jwt/secret.token.here/v/a.ts"),
            "/_jwt/-/v/a.ts"
        );
        assert_eq!(logged_path("/v/a.ts"), "/v/a.ts");
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn parse_table() {
        assert_eq!(parse("").unwrap(), p(&[]));
        assert_eq!(parse("w=400&&h=3").unwrap(), p(&[("w", "400"), ("h", "3")]));
        assert_eq!(
            parse("text=Hello+World%21").unwrap(),
            p(&[("text", "Hello World!")])
        );
        assert_eq!(parse("text=a%2Bb").unwrap(), p(&[("text", "a+b")]));
        assert_eq!(parse("flag").unwrap(), p(&[("flag", "")]));
        assert_eq!(parse("t=%E4%BD%A0").unwrap(), p(&[("t", "你")]));
        assert_eq!(parse("a=b=c").unwrap(), p(&[("a", "b=c")]));
        assert!(parse("t=%FF").is_err());
        assert!(parse("%FF=1").is_err());
    }

    #[test]
    fn credentials_are_split_out_once() {
        let (c, rest) =
            split_credentials(p(&[("w", "1"), ("jwt", "t"), ("exp", "5"), ("sig", "s")])).unwrap();
        assert_eq!(c.jwt.as_deref(), Some("t"));
        assert_eq!((c.exp.as_deref(), c.sig.as_deref()), (Some("5"), Some("s")));
        assert_eq!(rest, p(&[("w", "1")]));
        assert!(split_credentials(p(&[("jwt", "a"), ("jwt", "b")])).is_err());
        assert!(split_credentials(p(&[("sig", "a"), ("sig", "a")])).is_err());
        assert_eq!(
            split_credentials(p(&[("w", "1")])).unwrap().0,
            Credentials::default()
        );
    }
}
