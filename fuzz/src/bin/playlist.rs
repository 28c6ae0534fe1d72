//! AFL entry point for [`signet_fuzz::playlist`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::playlist(data);
    });
}
