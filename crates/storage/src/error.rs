//! Storage failures, by meaning.

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    #[error("already exists")]
    AlreadyExists,
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage timed out")]
    Timeout,
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl StorageError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, StorageError::NotFound)
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
