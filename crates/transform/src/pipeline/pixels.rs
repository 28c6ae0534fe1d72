//! Decoded pixels and the few operations every stage shares: cropping,
//! converting to RGBA and blending a colour over a pixel.

/// 8-bit RGB (3 channels) or RGBA (4, straight alpha), rows packed.
#[derive(Debug, Clone)]
pub(crate) struct Pixels {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) channels: u8,
    pub(crate) data: Vec<u8>,
}

impl Pixels {
    /// A `width`×`height` image of one colour; RGBA unless `rgba` is opaque.
    pub(crate) fn filled(width: u32, height: u32, rgba: [u8; 4]) -> Pixels {
        let channels: u8 = if rgba[3] == 255 { 3 } else { 4 };
        let px = &rgba[..usize::from(channels)];
        let data = px.repeat(width as usize * height as usize);
        Pixels {
            width,
            height,
            channels,
            data,
        }
    }

    pub(crate) fn has_alpha(&self) -> bool {
        self.channels == 4
    }

    /// The same image with an alpha channel.
    pub(crate) fn into_rgba(self) -> Pixels {
        if self.channels == 4 {
            return self;
        }
        let mut data = Vec::with_capacity(self.width as usize * self.height as usize * 4);
        for px in self.data.chunks_exact(3) {
            data.extend_from_slice(&[px[0], px[1], px[2], 255]);
        }
        Pixels {
            channels: 4,
            data,
            ..self
        }
    }

    /// Drops the alpha channel when every pixel is opaque.
    pub(crate) fn drop_opaque_alpha(self) -> Pixels {
        if self.channels != 4 || self.data.chunks_exact(4).any(|p| p[3] != 255) {
            return self;
        }
        let mut data = Vec::with_capacity(self.width as usize * self.height as usize * 3);
        for px in self.data.chunks_exact(4) {
            data.extend_from_slice(&px[..3]);
        }
        Pixels {
            channels: 3,
            data,
            ..self
        }
    }

    /// `gif.lossy` at `level` (0–100): along each row, a pixel whose every
    /// channel is within `level × 48 / 100` of the colour that began its
    /// run takes that colour, so GIF's LZW sees longer runs (gifsicle's
    /// `--lossy` idea, applied before the palette is chosen). A pixel
    /// further off, or of another alpha, starts a new run; fully
    /// transparent pixels are left alone.
    pub(crate) fn extend_runs(&mut self, level: u8) {
        let tolerance = (u16::from(level.min(100)) * 48 / 100) as u8;
        if tolerance == 0 {
            return;
        }
        let c = usize::from(self.channels);
        let row = self.width as usize * c;
        for line in self.data.chunks_exact_mut(row) {
            let mut run: Option<[u8; 4]> = None;
            for px in line.chunks_exact_mut(c) {
                if c == 4 && px[3] == 0 {
                    run = None;
                    continue;
                }
                match run {
                    Some(r)
                        if px[..3]
                            .iter()
                            .zip(r)
                            .all(|(a, b)| a.abs_diff(b) <= tolerance)
                            && (c == 3 || px[3] == r[3]) =>
                    {
                        px[..3].copy_from_slice(&r[..3]);
                    }
                    _ => {
                        let mut r = [0, 0, 0, 255];
                        r[..c].copy_from_slice(px);
                        run = Some(r);
                    }
                }
            }
        }
    }

    /// The `w`×`h` region at (`x`, `y`), which must lie inside the image.
    pub(crate) fn region(&self, x: u32, y: u32, w: u32, h: u32) -> Pixels {
        let c = usize::from(self.channels);
        let row = self.width as usize * c;
        let mut data = Vec::with_capacity(w as usize * h as usize * c);
        for yy in y as usize..(y + h) as usize {
            let start = yy * row + x as usize * c;
            data.extend_from_slice(&self.data[start..start + w as usize * c]);
        }
        Pixels {
            width: w,
            height: h,
            channels: self.channels,
            data,
        }
    }

    /// Copies `src` onto this image with its top-left corner at (`x`, `y`),
    /// blending by `src`'s alpha, clipped to this image.
    pub(crate) fn draw(&mut self, src: &Pixels, x: i64, y: i64, opacity: u32) {
        let (sc, dc) = (usize::from(src.channels), usize::from(self.channels));
        for sy in 0..i64::from(src.height) {
            let dy = y + sy;
            if dy < 0 || dy >= i64::from(self.height) {
                continue;
            }
            for sx in 0..i64::from(src.width) {
                let dx = x + sx;
                if dx < 0 || dx >= i64::from(self.width) {
                    continue;
                }
                let s = (sy as usize * src.width as usize + sx as usize) * sc;
                let a = if sc == 4 {
                    u32::from(src.data[s + 3])
                } else {
                    255
                };
                let d = (dy as usize * self.width as usize + dx as usize) * dc;
                let rgb = [src.data[s], src.data[s + 1], src.data[s + 2]];
                blend(&mut self.data[d..d + dc], rgb, a * opacity / 255);
            }
        }
    }
}

/// Blends `rgb` with coverage `alpha` (0–255) over one RGB or RGBA pixel.
#[inline]
pub(crate) fn blend(dst: &mut [u8], rgb: [u8; 3], alpha: u32) {
    if alpha == 0 {
        return;
    }
    let a = alpha.min(255);
    if dst.len() == 3 {
        for (d, s) in dst.iter_mut().zip(rgb) {
            *d = ((u32::from(s) * a + u32::from(*d) * (255 - a) + 127) / 255) as u8;
        }
        return;
    }
    // Straight-alpha "over".
    let da = u32::from(dst[3]);
    let below = da * (255 - a) / 255;
    let out_a = a + below;
    if out_a == 0 {
        return;
    }
    for i in 0..3 {
        let v = (u32::from(rgb[i]) * a + u32::from(dst[i]) * below + out_a / 2) / out_a;
        dst[i] = v.min(255) as u8;
    }
    dst[3] = out_a.min(255) as u8;
}

/// Where a `w`×`h` box goes on a `cw`×`ch` canvas for a gravity, with offsets
/// that move it inward from the edges the gravity names (right/down at centre).
pub(crate) fn place(
    gravity: crate::Gravity,
    (cw, ch): (u32, u32),
    (w, h): (u32, u32),
    (ox, oy): (i64, i64),
) -> (i64, i64) {
    use crate::Gravity as G;
    let (cw, ch, w, h) = (i64::from(cw), i64::from(ch), i64::from(w), i64::from(h));
    // A negative offset from an edge is measured from the opposite one
    // (Sirv's `position.x=-35%`); from the centre it moves left or up.
    let x = match gravity {
        G::West | G::NorthWest | G::SouthWest if ox >= 0 => ox,
        G::East | G::NorthEast | G::SouthEast if ox < 0 => -ox,
        G::West | G::NorthWest | G::SouthWest | G::East | G::NorthEast | G::SouthEast => {
            cw - w - ox.abs()
        }
        _ => (cw - w) / 2 + ox,
    };
    let y = match gravity {
        G::North | G::NorthWest | G::NorthEast if oy >= 0 => oy,
        G::South | G::SouthWest | G::SouthEast if oy < 0 => -oy,
        G::North | G::NorthWest | G::NorthEast | G::South | G::SouthWest | G::SouthEast => {
            ch - h - oy.abs()
        }
        _ => (ch - h) / 2 + oy,
    };
    (x, y)
}
