//! AFL entry point for [`signet_fuzz::options`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::options(data);
    });
}
