//! The HTTP layer both listeners share: accepting connections and refusing
//! bad heads (`serve`, `sniff`), bodies and the plain/JSON response shapes
//! (`body`), the one error map (`error`), and conditional and range
//! requests (`conditional`). Nothing here reads options, verifies tokens or
//! calls the store: the error map knows those libraries' failures only to
//! answer them.

pub(crate) mod body;
pub(crate) mod conditional;
pub(crate) mod error;
pub(crate) mod serve;
mod sniff;

use http::{header, HeaderValue, Response, StatusCode};

use crate::http::body::Body;

/// Headers every response carries, on either listener.
pub(crate) fn finish(response: &mut Response<Body>) {
    response.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if !response.headers().contains_key(header::CONTENT_TYPE)
        && response.status() != StatusCode::NOT_MODIFIED
    {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
}
