//! AFL entry point for [`signet_fuzz::jwt`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::jwt(data);
    });
}
