//! AFL entry point for [`signet_fuzz::raster`].

fn main() {
    afl::fuzz!(|data: &[u8]| {
        signet_fuzz::raster(data);
    });
}
