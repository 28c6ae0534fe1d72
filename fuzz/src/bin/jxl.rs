//! AFL entry point for [`signet_fuzz::jxl`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::jxl(data);
    });
}
