//! Why a token was refused: the closed set of reasons sent in `x-auth-result`.

/// A token refusal. `reason()` is the exact string of SPEC §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("missing token")]
    MissingToken,
    #[error("signature mismatch")]
    SignatureMismatch,
    #[error("expired key")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("invalid payload")]
    InvalidPayload,
    #[error("algorithm not allowed")]
    AlgorithmNotAllowed,
    #[error("audience mismatch")]
    AudienceMismatch,
    #[error("scope mismatch")]
    ScopeMismatch,
}

impl Failure {
    /// Every failure, for tables and metrics.
    pub const ALL: [Failure; 8] = [
        Failure::MissingToken,
        Failure::SignatureMismatch,
        Failure::Expired,
        Failure::NotYetValid,
        Failure::InvalidPayload,
        Failure::AlgorithmNotAllowed,
        Failure::AudienceMismatch,
        Failure::ScopeMismatch,
    ];

    /// The value of the `x-auth-result` header.
    pub fn reason(self) -> &'static str {
        match self {
            Failure::MissingToken => "missing token",
            Failure::SignatureMismatch => "signature mismatch",
            Failure::Expired => "expired key",
            Failure::NotYetValid => "not yet valid",
            Failure::InvalidPayload => "invalid payload",
            Failure::AlgorithmNotAllowed => "algorithm not allowed",
            Failure::AudienceMismatch => "audience mismatch",
            Failure::ScopeMismatch => "scope mismatch",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_header_value() {
        for f in Failure::ALL {
            assert_eq!(f.to_string(), f.reason());
        }
    }
}
