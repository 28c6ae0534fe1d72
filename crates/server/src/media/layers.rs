//! The effective options of one request (SPEC §4.1): profiles loaded from
//! storage through the engine's profile cache, stacked with the query and
//! the token's secure args by `signet_transform::merge`, which applies the
//! JWT overlay rule.

use std::sync::Arc;

use signet_transform::{merge, Layers, Options};

use crate::core::Core;
use crate::http::error::Error;
use crate::media::engine::Profile;

/// What one request brings to the layering.
pub(crate) struct Request<'a> {
    /// Options from the URL query (minus `ignore_params`).
    pub(crate) query: &'a Options,
    /// Options from the token's `args`.
    pub(crate) secure: &'a Options,
    /// The strict profile of the `[[protect]]` entry, if any.
    pub(crate) strict: Option<&'a str>,
    /// Whether the file is an image (only images get the default and strict
    /// profiles).
    pub(crate) image: bool,
    /// Whether a JWT authorized the request.
    pub(crate) jwt: bool,
}

/// The five layers merged. A profile named in the token's `args` is
/// trusted; one named in the query is not.
pub(crate) async fn effective(core: &Core, req: &Request<'_>) -> Result<Options, Error> {
    let store = core.store.as_ref();
    let load = |name: &str| {
        let name = name.to_owned();
        async move { core.engine.profile(store, &name).await.map(Some) }
    };
    let default_profile = match core.config.default_profile.as_str() {
        name if req.image && !name.is_empty() => load(name).await?,
        _ => None,
    };
    let (named, named_from_args) = match (req.secure.get("profile"), req.query.get("profile")) {
        (Some(name), _) => (load(name).await?, true),
        (None, Some(name)) => (load(name).await?, false),
        (None, None) => (None, false),
    };
    let strict_profile = match req.strict {
        Some(name) if req.image && !name.is_empty() => load(name).await?,
        _ => None,
    };
    let none = Options::default();
    fn options_of<'a>(p: &'a Option<Arc<Profile>>, none: &'a Options) -> &'a Options {
        p.as_ref().map_or(none, |p| &p.options)
    }
    let mut effective = merge(&Layers {
        default_profile: options_of(&default_profile, &none),
        named_profile: options_of(&named, &none),
        named_profile_from_args: named_from_args,
        query: req.query,
        secure: req.secure,
        strict_profile: options_of(&strict_profile, &none),
        jwt: req.jwt,
    });
    // The profiles' options are in the set now; the name says nothing more.
    effective.remove("profile");
    Ok(effective)
}
