//! AFL entry point for [`signet_fuzz::svg`].
//!
//! Without AFL's abort-on-panic hook: `svg.rs` contains a panic of the
//! renderer (tiny-skia asserts on some huge coordinates) by design, and the
//! server answers 422 for it. A panic that escapes that containment still
//! reaches AFL's own `catch_unwind` and aborts, so it is still a crash.

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        signet_fuzz::svg(data);
    });
}
