//! AFL entry point for [`signet_fuzz::mask`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::mask(data);
    });
}
