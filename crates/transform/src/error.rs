//! Why a transform failed, by meaning (the server maps these to statuses).

/// A transform failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// The source is not an image signet can decode (or is truncated/corrupt).
    #[error("source is not a decodable image: {0}")]
    NotAnImage(String),
    /// The source's dimensions, read from its header, exceed the pixel limit.
    #[error("source is {width}x{height}, over the limit of {limit} pixels")]
    SourceTooLarge { width: u64, height: u64, limit: u64 },
    /// An animation whose frames together exceed the pixel limit.
    #[error(
        "source is an animation of {frames} frames of {width}x{height}, over the limit of {limit} pixels"
    )]
    AnimationTooLarge {
        frames: u64,
        width: u64,
        height: u64,
        limit: u64,
    },
    /// An animation with more frames than the limit.
    #[error("source is an animation of {frames} frames, over the limit of {limit}")]
    TooManyFrames { frames: u64, limit: u64 },
    /// The source's metadata (inflated where compressed) exceeds the limit.
    #[error("source metadata is at least {bytes} bytes, over the limit of {limit} bytes")]
    MetadataTooLarge { bytes: u64, limit: u64 },
    /// The requested output would exceed the output pixel limit.
    #[error("output would be {width}x{height}, over the limit of {limit} pixels")]
    OutputTooLarge { width: u64, height: u64, limit: u64 },
    /// An animation's output frames together would exceed the pixel limit.
    #[error(
        "output would be {frames} frames of {width}x{height}, over the limit of {limit} pixels"
    )]
    AnimationOutputTooLarge {
        frames: u64,
        width: u64,
        height: u64,
        limit: u64,
    },
    /// The job's deadline (`transform_timeout`) passed between two stages or frames.
    #[error("the transform timed out")]
    TimedOut,
    /// Options that are valid alone but not for this image (e.g. a crop that
    /// starts outside it): a client error, shown as `name=value: reason`.
    #[error("{0}")]
    Invalid(String),
    /// The watermark image named by `watermark` is not a decodable image.
    #[error("the watermark is not a decodable image: {0}")]
    BadWatermark(String),
    /// A font from storage (`text.font.family`) is not a usable font.
    #[error("the font is not usable: {0}")]
    BadFont(String),
    /// An encoder failed on valid pixels (a bug, not client input).
    #[error("encoding failed: {0}")]
    Encode(String),
}

impl TransformError {
    /// Whether the client's source file is at fault (bad or oversized image).
    pub fn is_bad_source(&self) -> bool {
        matches!(
            self,
            TransformError::NotAnImage(_)
                | TransformError::SourceTooLarge { .. }
                | TransformError::AnimationTooLarge { .. }
                | TransformError::TooManyFrames { .. }
                | TransformError::MetadataTooLarge { .. }
        )
    }
}
