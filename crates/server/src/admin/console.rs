//! The web console at `/console` on the admin listener: three static files
//! compiled into the binary (no CDN, works offline) that talk to the REST API
//! of the same listener. Never routed on the media listener.

use http::{header, HeaderValue, Method, Response};

use crate::config::Config;
use crate::http::body::{empty, full, Body};
use crate::http::error::Error;

const INDEX: &str = include_str!("../../console/index.html");
const SCRIPT: &str = include_str!("../../console/console.js");
const STYLE: &str = include_str!("../../console/console.css");

/// The console's answer for `path`, or `None` when the path is not its.
pub(crate) fn handle(
    config: &Config,
    method: &Method,
    path: &str,
) -> Option<Result<Response<Body>, Error>> {
    let (body, content_type) = match path {
        "/console" | "/console/" | "/console/index.html" => (INDEX, "text/html; charset=utf-8"),
        "/console/console.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "/console/console.css" => (STYLE, "text/css; charset=utf-8"),
        _ if path.starts_with("/console/") => return Some(Err(Error::NotFound)),
        _ => return None,
    };
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Some(Err(Error::MethodNotAllowed { allow: "GET, HEAD" }));
    }
    let mut r = Response::new(if *method == Method::HEAD {
        empty()
    } else {
        full(body)
    });
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if let Ok(csp) = HeaderValue::from_str(&policy(config)) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Some(Ok(r))
}

/// Only our own script and style; previews from the media origin; API calls
/// to this origin; no framing, no plugins, no inline code.
fn policy(config: &Config) -> String {
    let media = media_origin(config);
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: {media}; \
         connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of `public_url` (where signed URLs point), read
/// with `http::Uri`; anything but a plain http(s) host gives `'self'`, so
/// no configured text can add a directive to the policy.
fn media_origin(config: &Config) -> String {
    let Ok(uri) = config.public_base().parse::<http::Uri>() else {
        return "'self'".to_owned();
    };
    let plain_host = |h: &str| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
    };
    match (uri.scheme_str(), uri.host()) {
        (Some(scheme @ ("http" | "https")), Some(host)) if plain_host(host) => {
            match uri.port_u16() {
                Some(port) => format!("{scheme}://{host}:{port}"),
                None => format!("{scheme}://{host}"),
            }
        }
        _ => "'self'".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[test]
    fn the_media_origin_is_the_public_urls() {
        let mut config = Config::default();
        for (public, want) in [
            ("https://cdn.example.com/media/", "https://cdn.example.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://[::1]:9000/x?y", "http://[::1]:9000"),
            ("https://evil.example; script-src *", "'self'"),
            ("ftp://x", "'self'"),
            ("https://user@cdn.example.com", "https://cdn.example.com"),
            ("https://x;script-src:1/", "'self'"),
        ] {
            config.public_url = public.to_owned();
            assert_eq!(media_origin(&config), want, "{public}");
        }
    }

    #[test]
    fn assets_are_served_with_a_strict_policy() {
        let config = Config::default();
        let r = handle(&config, &Method::GET, "/console").unwrap().unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe"));
        let status = |method, path| match handle(&config, &method, path) {
            Some(Err(e)) => e.status(),
            other => panic!("{path}: {:?}", other.map(|r| r.map(|r| r.status()))),
        };
        assert_eq!(status(Method::GET, "/console/x.js"), StatusCode::NOT_FOUND);
        assert_eq!(
            status(Method::POST, "/console"),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert!(handle(&config, &Method::GET, "/consoles").is_none());
    }
}
