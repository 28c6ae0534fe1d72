//! Test support shared by signet's crates. Tests that need an outside tool
//! (s3s-fs, Node `jsonwebtoken`, PyJWT, Sirv's SDK, Chromium) ask
//! [`require_peer`] whether to run: a missing tool skips the test on a
//! developer's machine, and fails it under `SIGNET_REQUIRE_PEERS=1`, which
//! `make test` (and so CI) sets after installing every tool.

/// Whether a test that needs `what` should run. `ready` says whether the
/// tool is there; `hint` says how to install it.
///
/// # Panics
/// When the tool is missing and `SIGNET_REQUIRE_PEERS` is `1`: a skipped
/// peer test must never pass silently in CI.
pub fn require_peer(what: &str, ready: bool, hint: &str) -> bool {
    if ready {
        return true;
    }
    assert!(
        !peers_required(),
        "{what} is not installed: {hint} (SIGNET_REQUIRE_PEERS is set)"
    );
    eprintln!("skipping: {what} is not installed ({hint})");
    false
}

/// Whether `SIGNET_REQUIRE_PEERS=1` asks every peer test to run.
pub fn peers_required() -> bool {
    std::env::var_os("SIGNET_REQUIRE_PEERS").is_some_and(|v| v == "1")
}

/// The frames of an animated GIF, WebP or APNG as `image`'s decoders
/// composite them (RGBA, with their delays in ms) and how many times it
/// plays (0 = forever): the reference tests read signet's animations with.
/// A GIF's loop block counts the plays after the first, so it adds one.
pub fn animation_frames(bytes: &[u8]) -> (Vec<(image::RgbaImage, u32)>, u32) {
    use image::metadata::LoopCount;
    use image::AnimationDecoder;
    let cursor = std::io::Cursor::new(bytes);
    let gif = bytes.starts_with(b"GIF");
    let (frames, loops) = if gif {
        let d = image::codecs::gif::GifDecoder::new(cursor).expect("a GIF");
        let loops = d.loop_count();
        (d.into_frames(), loops)
    } else if bytes.starts_with(b"RIFF") {
        let mut d = image::codecs::webp::WebPDecoder::new(cursor).expect("a WebP");
        // `image` clears a disposed frame only when given a colour.
        d.set_background_color(image::Rgba([0, 0, 0, 0]))
            .expect("an animated WebP");
        let loops = d.loop_count();
        (d.into_frames(), loops)
    } else {
        let d = image::codecs::png::PngDecoder::new(cursor).expect("a PNG");
        let d = d.apng().expect("an APNG");
        let loops = d.loop_count();
        (d.into_frames(), loops)
    };
    let frames = frames
        .map(|f| {
            let f = f.expect("a decodable frame");
            let (n, d) = f.delay().numer_denom_ms();
            (f.into_buffer(), n / d)
        })
        .collect();
    let plays = match loops {
        LoopCount::Infinite => 0,
        LoopCount::Finite(n) if gif => n.get() + 1,
        LoopCount::Finite(n) => n.get(),
    };
    (frames, plays)
}
