//! AFL entry point for [`signet_fuzz::heif`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::heif(data);
    });
}
