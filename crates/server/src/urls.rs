//! Building public URLs: `public_url` + percent-encoded path + query. Shared
//! by the CLI and (later) the REST API.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::config::Config;

/// `public_url` + the percent-encoded path.
pub(crate) fn base_url(config: &Config, path: &str) -> String {
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let base = if config.public_url.is_empty() {
        format!("http://{}", config.listen)
    } else {
        config.public_url.trim_end_matches('/').to_owned()
    };
    let encoded: Vec<String> = path[1..]
        .split('/')
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect();
    format!("{base}/{}", encoded.join("/"))
}

pub(crate) fn query_encode(s: &str) -> String {
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(s, VALUE).to_string()
}
