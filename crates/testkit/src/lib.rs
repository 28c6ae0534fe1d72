//! Test support shared by signet's crates. Tests that need an outside tool
//! (s3s-fs, Node `jsonwebtoken`, PyJWT, Sirv's SDK, Chromium) ask
//! [`require_peer`] whether to run: a missing tool skips the test on a
//! developer's machine, and fails it under `SIGNET_REQUIRE_PEERS=1`, which
//! `make test` (and so CI) sets after installing every tool.

/// Whether a test that needs `what` should run. `ready` says whether the
/// tool is there; `hint` says how to install it.
///
/// # Panics
/// When the tool is missing and `SIGNET_REQUIRE_PEERS` is `1`: a skipped
/// peer test must never pass silently in CI.
pub fn require_peer(what: &str, ready: bool, hint: &str) -> bool {
    if ready {
        return true;
    }
    assert!(
        !peers_required(),
        "{what} is not installed: {hint} (SIGNET_REQUIRE_PEERS is set)"
    );
    eprintln!("skipping: {what} is not installed ({hint})");
    false
}

/// Whether `SIGNET_REQUIRE_PEERS=1` asks every peer test to run.
pub fn peers_required() -> bool {
    std::env::var_os("SIGNET_REQUIRE_PEERS").is_some_and(|v| v == "1")
}
