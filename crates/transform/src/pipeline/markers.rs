//! JPEG marker segments before the image data: where EXIF and ICC live.

/// The metadata segments of a JPEG, as `(marker, payload)`, up to the start
/// of scan. Stops quietly at anything malformed.
pub(crate) fn jpeg_segments(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut i = 2;
    std::iter::from_fn(move || {
        while let (Some(&0xFF), Some(&marker)) = (data.get(i), data.get(i + 1)) {
            if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 || marker == 0xFF
            {
                i += if marker == 0xFF { 1 } else { 2 };
                continue;
            }
            if marker == 0xDA || marker == 0xD9 {
                return None; // image data starts: no more metadata
            }
            let len = data
                .get(i + 2..i + 4)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))?;
            let segment = data.get(i + 4..(i + 2 + len).max(i + 4))?;
            i += 2 + len.max(2);
            return Some((marker, segment));
        }
        None
    })
}

/// The ICC profile of a JPEG, reassembled from its `APP2 ICC_PROFILE` chunks
/// (in sequence order). `None` when absent or inconsistent.
pub(crate) fn jpeg_icc(data: &[u8]) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut count = 0;
    for (marker, segment) in jpeg_segments(data) {
        if marker != 0xE2 {
            continue;
        }
        if let Some(rest) = segment.strip_prefix(b"ICC_PROFILE\0") {
            let (&seq, &n) = (rest.first()?, rest.get(1)?);
            count = n;
            chunks.push((seq, &rest[2..]));
        }
    }
    if chunks.is_empty() || chunks.len() != usize::from(count) {
        return None;
    }
    chunks.sort_by_key(|(seq, _)| *seq);
    Some(
        chunks
            .into_iter()
            .flat_map(|(_, c)| c.iter().copied())
            .collect(),
    )
}

/// The RIFF chunks of a WebP file after its 12-byte header, as `(fourcc,
/// declared length, payload)`; the payload is cut short when the file is.
/// Stops quietly at anything malformed.
pub(crate) fn webp_chunks(data: &[u8]) -> impl Iterator<Item = (&[u8], usize, &[u8])> {
    riff_chunks(data, 12)
}

/// RIFF chunks from `at` on (an animation frame's chunks inside its `ANMF`
/// payload, say), as [`webp_chunks`] gives them.
pub(crate) fn riff_chunks(
    data: &[u8],
    mut at: usize,
) -> impl Iterator<Item = (&[u8], usize, &[u8])> {
    std::iter::from_fn(move || {
        let kind = data.get(at..at.checked_add(4)?)?;
        let b = data.get(at + 4..at + 8)?;
        let len = usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()?;
        let body = &data[at + 8..];
        let payload = &body[..len.min(body.len())];
        at = at.checked_add(8 + len + len % 2)?;
        Some((kind, len, payload))
    })
}
