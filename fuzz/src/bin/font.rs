//! AFL entry point for [`signet_fuzz::font`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::font(data);
    });
}
