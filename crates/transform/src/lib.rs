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
    canonical_name, canonical_option, layer_name, parse_options, OptionError, Options, MAX_LAYERS,
    OPTION_NAMES,
};
pub use values::{Color, Gravity};

/// File extensions whose files take image options (the pipeline then
/// types the file by its first bytes, never by this name).
pub const IMAGE_EXTENSIONS: [&str; 15] = [
    "jpg", "jpeg", "jfif", "png", "webp", "gif", "avif", "heic", "heif", "tif", "tiff", "bmp",
    "ico", "jxl", "svg",
];

fn extension(key: &str) -> Option<&str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.rsplit_once('.').map(|(_, ext)| ext)
}

/// Whether a key names an image (by extension, case-insensitively).
pub fn is_image_key(key: &str) -> bool {
    extension(key).is_some_and(|ext| IMAGE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// Whether a key names a vector image, which is served as it is when no
/// option asks for pixels (also under `default_format = "optimal"`).
pub fn is_vector_key(key: &str) -> bool {
    extension(key).is_some_and(|ext| ext.eq_ignore_ascii_case("svg"))
}
