//! AFL entry point for [`signet_fuzz::animation`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::animation(data);
    });
}
