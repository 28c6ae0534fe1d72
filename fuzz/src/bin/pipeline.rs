//! AFL entry point for [`signet_fuzz::pipeline`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::pipeline(data);
    });
}
