//! `histogram`: the image replaced by a chart of its levels, Sirv's
//! "display a histogram of RGB levels" (its drawing is not documented; this
//! one is signet's): the chart has the image's size, 256 levels across,
//! each channel's count up from the bottom in its own colour on black,
//! added where they overlap (red + green = yellow, all three = white).

use super::Pixels;

/// Which channels the chart shows: red, green, blue.
pub(crate) type Channels = [bool; 3];

pub(crate) fn draw(p: &Pixels, show: Channels) -> Pixels {
    let c = usize::from(p.channels);
    let mut counts = [[0u64; 256]; 3];
    for px in p.data.chunks_exact(c) {
        // Transparent pixels are not part of the picture.
        if c == 4 && px[3] == 0 {
            continue;
        }
        for (ch, count) in counts.iter_mut().enumerate() {
            count[usize::from(px[ch])] += 1;
        }
    }
    // Scaled to the tallest level short of the two ends, so a clipped
    // black or white spike does not flatten the rest (it is cut at the top).
    let tallest = counts
        .iter()
        .zip(show)
        .filter(|(_, on)| *on)
        .flat_map(|(count, _)| count[1..255].iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h) = (p.width as usize, p.height as usize);
    let mut out = Pixels::filled(p.width, p.height, [0, 0, 0, 255]);
    for x in 0..w {
        let level = x * 256 / w;
        for (ch, count) in counts.iter().enumerate() {
            if !show[ch] {
                continue;
            }
            let bar = ((count[level] as f64 / tallest as f64).min(1.0) * h as f64).round() as usize;
            for y in h - bar..h {
                out.data[(y * w + x) * 3 + ch] = 255;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_stands_at_its_levels() {
        // Left half pure red (255, 0, 0), right half mid grey (128 × 3).
        let mut p = Pixels::filled(256, 10, [128, 128, 128, 255]);
        for y in 0..10 {
            for x in 0..128 {
                p.data[(y * 256 + x) * 3..][..3].copy_from_slice(&[255, 0, 0]);
            }
        }
        let chart = draw(&p, [true, true, true]);
        assert_eq!((chart.width, chart.height, chart.channels), (256, 10, 3));
        let at = |x: usize, y: usize| &chart.data[(y * 256 + x) * 3..][..3];
        // Level 128: every channel's bar is full (white); the rest is black
        // but for red's spike at 255 (cut at the top) and the zeros of green
        // and blue.
        assert_eq!(at(128, 0), [255, 255, 255]);
        assert_eq!(at(100, 9), [0, 0, 0]);
        assert_eq!(at(255, 0), [255, 0, 0]);
        assert_eq!(at(0, 0), [0, 255, 255]);
        // One channel only.
        let red = draw(&p, [true, false, false]);
        assert_eq!(&red.data[128 * 3..][..3], [255, 0, 0]);
    }
}
