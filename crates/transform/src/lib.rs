//! Image options (parsing, validation, merging) and the image pipeline. Pure:
//! no network, no storage, no tokens.

// Data from clients and buckets must never panic the server.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod merge;
mod options;
pub mod pipeline;
pub mod plan;
mod values;

pub use error::TransformError;
pub use merge::{is_overlay, merge, Layers};
pub use options::{
    canonical_name, canonical_option, parse_options, OptionError, Options, OPTION_NAMES,
};
pub use values::{Color, Gravity};

/// File extensions whose files take image options.
pub const IMAGE_EXTENSIONS: [&str; 8] =
    ["jpg", "jpeg", "png", "webp", "gif", "avif", "tif", "tiff"];

/// Whether a key names an image (by extension, case-insensitively).
pub fn is_image_key(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    match name.rsplit_once('.') {
        Some((_, ext)) => IMAGE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)),
        None => false,
    }
}
