//! A video's duration and frame size from its first bytes, for the REST
//! API's `meta` (Sirv gives both): the MP4/QuickTime `moov` box's `mvhd`
//! (timescale, duration) and the first track whose `tkhd` has a size. Only
//! what lies in the head is read — a "fast start" file, which web video is;
//! a file with its index at the end, or a WebM, has no `meta` here. Every
//! length is checked against what is there; nothing is trusted.

/// Duration in seconds, width and height.
pub(crate) fn movie_info(head: &[u8]) -> Option<(f64, u32, u32)> {
    let moov = boxes(head).find(|(kind, _)| kind == b"moov")?.1;
    let mvhd = boxes(moov).find(|(kind, _)| kind == b"mvhd")?.1;
    let (timescale, duration) = match *mvhd.first()? {
        0 => (be32(mvhd, 12)? as u64, be32(mvhd, 16)? as u64),
        1 => (be32(mvhd, 20)? as u64, be64(mvhd, 24)?),
        _ => return None,
    };
    if timescale == 0 {
        return None;
    }
    let size = boxes(moov)
        .filter(|(kind, _)| kind == b"trak")
        .filter_map(|(_, trak)| track_size(trak))
        .next()?;
    Some((duration as f64 / timescale as f64, size.0, size.1))
}

/// A track's width and height (16.16 fixed point in `tkhd`), if it has one.
fn track_size(trak: &[u8]) -> Option<(u32, u32)> {
    let tkhd = boxes(trak).find(|(kind, _)| kind == b"tkhd")?.1;
    let at = match *tkhd.first()? {
        0 => 76,
        1 => 88,
        _ => return None,
    };
    let (w, h) = (be32(tkhd, at)? >> 16, be32(tkhd, at + 4)? >> 16);
    (w > 0 && h > 0).then_some((w, h))
}

/// The boxes in `data`, as (type, body); stops at the first that does not fit.
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let size = be32(rest, 0)? as usize;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            1 => (16, usize::try_from(be64(rest, 8)?).ok()?),
            0 => (8, rest.len()),
            n => (8, n),
        };
        if size < header || size > rest.len() {
            return None;
        }
        let body = &rest[header..size];
        rest = &rest[size..];
        Some((kind, body))
    })
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    fn tkhd(w: u32, h: u32) -> Vec<u8> {
        let mut body = vec![0u8; 84];
        body[76..80].copy_from_slice(&(w << 16).to_be_bytes());
        body[80..84].copy_from_slice(&(h << 16).to_be_bytes());
        boxed(b"tkhd", &body)
    }

    #[test]
    fn fast_start_movies_give_their_length_and_size() {
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        mvhd[16..20].copy_from_slice(&20_500u32.to_be_bytes());
        let audio = boxed(b"trak", &tkhd(0, 0));
        let video = boxed(b"trak", &tkhd(1920, 1080));
        let moov = boxed(b"moov", &[boxed(b"mvhd", &mvhd), audio, video].concat());
        let file = [
            boxed(b"ftyp", b"isom\0\0\0\0"),
            moov,
            boxed(b"mdat", &[0; 16]),
        ]
        .concat();
        assert_eq!(movie_info(&file), Some((20.5, 1920, 1080)));
    }

    #[test]
    fn cut_or_lying_heads_give_nothing() {
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        let moov = boxed(
            b"moov",
            &[boxed(b"mvhd", &mvhd), boxed(b"trak", &tkhd(640, 360))].concat(),
        );
        let file = [boxed(b"ftyp", b"isom"), moov].concat();
        assert!(movie_info(&file).is_some());
        for cut in [0, 10, 30, file.len() - 1] {
            assert!(movie_info(&file[..cut]).is_none(), "{cut}");
        }
        // A box claiming more than there is, and a zero timescale.
        let mut lying = file.clone();
        lying[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(movie_info(&lying).is_none());
        let zero = [
            boxed(b"ftyp", b"isom"),
            boxed(b"moov", &boxed(b"mvhd", &[0u8; 100])),
        ]
        .concat();
        assert!(movie_info(&zero).is_none());
        // The index at the end, past the head: nothing.
        assert!(movie_info(&boxed(b"mdat", &[0; 64])).is_none());
    }
}
