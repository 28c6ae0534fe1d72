//! AFL entry point for [`signet_fuzz::progressive`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::progressive(data);
    });
}
