//! AFL entry point for [`signet_fuzz::md5`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::md5(data);
    });
}
