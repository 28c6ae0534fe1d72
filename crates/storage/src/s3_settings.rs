//! What it takes to reach a bucket: plain settings, compiled in every build
//! so a configuration naming S3 is read and checked even by a build without
//! the `s3` feature (which then refuses to start on it).

use std::time::Duration;

use secrecy::SecretString;

/// S3's smallest part size for every part but the last.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// How the SDK retries failed attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Exponential backoff with jitter and a retry quota.
    Standard,
    /// Standard, plus client-side rate limiting when the server throttles.
    Adaptive,
}

/// Everything needed to reach a bucket. Empty optional fields fall back to
/// the standard AWS sources (`AWS_REGION`, `AWS_ENDPOINT_URL`,
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles).
/// Its `Debug` never shows the secret key (`secrecy` redacts it).
#[derive(Clone, Debug)]
pub struct S3Settings {
    pub bucket: String,
    /// Key prefix inside the bucket (`""` or `media/`; a missing trailing `/`
    /// is added).
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Static credentials: both or neither.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
    /// `http://host/bucket/key` instead of `http://bucket.host/key` (MinIO).
    pub force_path_style: bool,
    pub connect_timeout: Duration,
    /// One HTTP attempt, until the response head.
    pub attempt_timeout: Duration,
    /// All attempts together, until the response head.
    pub operation_timeout: Duration,
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub retry_mode: RetryMode,
    /// Upload part size; bodies up to this size are one `PutObject`.
    pub part_size: usize,
}
