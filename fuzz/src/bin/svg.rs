//! AFL entry point for [`signet_fuzz::svg`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::svg(data);
    });
}
