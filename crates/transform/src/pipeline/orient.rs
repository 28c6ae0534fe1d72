//! EXIF orientation: reading it from a JPEG's APP1 segment and applying it.

use super::Pixels;

/// EXIF orientation 1–8 (1 = as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Orientation(pub(crate) u8);

impl Orientation {
    pub(crate) const NORMAL: Orientation = Orientation(1);

    /// Displayed size of a `w`×`h` stored image (5–8 swap the axes). Also
    /// maps a displayed size back to stored axes, as the swap is symmetric.
    pub(crate) fn oriented(self, w: u32, h: u32) -> (u32, u32) {
        if self.0 >= 5 {
            (h, w)
        } else {
            (w, h)
        }
    }
}

/// Reads the EXIF orientation of a JPEG (1 when absent or unreadable).
pub(crate) fn jpeg_orientation(data: &[u8]) -> Orientation {
    super::markers::jpeg_segments(data)
        .filter(|(marker, _)| *marker == 0xE1)
        .filter_map(|(_, segment)| segment.strip_prefix(b"Exif\0\0"))
        .find_map(tiff_orientation)
        .unwrap_or(Orientation::NORMAL)
}

fn tiff_orientation(tiff: &[u8]) -> Option<Orientation> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if little {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for n in 0..count.min(512) {
        let entry = ifd + 2 + n * 12;
        if u16_at(entry)? == 0x0112 {
            let v = u16_at(entry + 8)?;
            return (1..=8).contains(&v).then_some(Orientation(v as u8));
        }
    }
    None
}

/// Rotates/mirrors pixels so they display upright.
pub(crate) fn apply(p: Pixels, o: Orientation) -> Pixels {
    if o.0 <= 1 || o.0 > 8 {
        return p;
    }
    let (w, h) = (p.width as usize, p.height as usize);
    let c = usize::from(p.channels);
    let (ow, oh) = o.oriented(p.width, p.height);
    let (ow, oh) = (ow as usize, oh as usize);
    let mut out = vec![0u8; p.data.len()];
    for y in 0..oh {
        for x in 0..ow {
            let (sx, sy) = match o.0 {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x),
            };
            let src = (sy * w + sx) * c;
            let dst = (y * ow + x) * c;
            out[dst..dst + c].copy_from_slice(&p.data[src..src + c]);
        }
    }
    Pixels {
        width: ow as u32,
        height: oh as u32,
        channels: p.channels,
        data: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×1 image: red, green.
    fn two() -> Pixels {
        Pixels {
            width: 2,
            height: 1,
            channels: 3,
            data: vec![255, 0, 0, 0, 255, 0],
        }
    }

    #[test]
    fn orientations_move_pixels_where_exif_says() {
        let red = [255, 0, 0];
        let green = [0, 255, 0];
        // (orientation, size, first pixel)
        let cases: &[(u8, (u32, u32), [u8; 3])] = &[
            (1, (2, 1), red),
            (2, (2, 1), green),
            (3, (2, 1), green),
            (4, (2, 1), red),
            (5, (1, 2), red),
            (6, (1, 2), red),
            (7, (1, 2), green),
            (8, (1, 2), green),
        ];
        for (o, size, first) in cases {
            let p = apply(two(), Orientation(*o));
            assert_eq!((p.width, p.height), *size, "orientation {o}");
            assert_eq!(&p.data[..3], first, "orientation {o}");
        }
    }

    fn exif_jpeg(orientation: u16, little: bool) -> Vec<u8> {
        let mut tiff = Vec::new();
        type Writers = (fn(u16) -> [u8; 2], fn(u32) -> [u8; 4]);
        let (u16b, u32b): Writers = if little {
            (u16::to_le_bytes, u32::to_le_bytes)
        } else {
            (u16::to_be_bytes, u32::to_be_bytes)
        };
        tiff.extend_from_slice(if little { b"II" } else { b"MM" });
        tiff.extend_from_slice(&u16b(42));
        tiff.extend_from_slice(&u32b(8));
        tiff.extend_from_slice(&u16b(1));
        tiff.extend_from_slice(&u16b(0x0112));
        tiff.extend_from_slice(&u16b(3));
        tiff.extend_from_slice(&u32b(1));
        tiff.extend_from_slice(&u16b(orientation));
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut seg = b"Exif\0\0".to_vec();
        seg.extend_from_slice(&tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&seg);
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn reads_exif_orientation_in_both_byte_orders() {
        assert_eq!(jpeg_orientation(&exif_jpeg(6, true)), Orientation(6));
        assert_eq!(jpeg_orientation(&exif_jpeg(8, false)), Orientation(8));
        assert_eq!(jpeg_orientation(&exif_jpeg(9, true)), Orientation::NORMAL);
        assert_eq!(jpeg_orientation(&[0xFF, 0xD8]), Orientation::NORMAL);
        let mut truncated = exif_jpeg(6, true);
        truncated.truncate(20);
        assert_eq!(jpeg_orientation(&truncated), Orientation::NORMAL);
    }
}
