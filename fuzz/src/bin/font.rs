//! AFL entry point for [`signet_fuzz::font`].
//!
//! Without AFL's abort-on-panic hook: `text.rs` contains a panic of
//! `rusttype` on broken font tables by design (the text is left undrawn).
//! A panic that escapes that containment (in the font check, say) still
//! reaches AFL's own `catch_unwind` and aborts, so it is still a crash.

fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        signet_fuzz::font(data);
    });
}
