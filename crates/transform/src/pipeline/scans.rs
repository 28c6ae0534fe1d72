//! Progressive JPEGs at 1/8 scale without their AC scans.
//!
//! A progressive JPEG sends every coefficient band in its own scan; at the
//! 1/8 DCT scale libjpeg-turbo's 1×1 IDCT reads only the DC term of each
//! block, yet it entropy-decodes every scan of the file. [`dc_only`]
//! rewrites the stream to keep every marker segment (tables, restart
//! intervals, metadata) and only the DC scans (first and refinement), found
//! by their headers and skipped past by a marker scan — never by decoding
//! them.
//!
//! Left at that, the decoder would see AC bands never sent and apply block
//! smoothing, which since libjpeg-turbo 2.1 also moves DC terms (and the
//! TurboJPEG API cannot turn it off). So the rewrite ends with one
//! synthetic AC scan per component that codes every block as part of an
//! end-of-band run (a few bytes per component, with its own Huffman table
//! and restarts turned off): the AC bands are then complete and zero, no
//! smoothing applies, and the 1/8 image is exactly the one a full decode
//! gives (tested: identical pixels, 4:2:0 and 4:4:4, odd sizes).
//!
//! Which AC scans go: those of components whose IDCT at 1/8 is 1×1. For
//! 4:4:4 and 4:2:2 that is every component; for 4:2:0 only luma, as
//! libjpeg-turbo scales the half-size chroma up with a 2×2 IDCT, which
//! reads AC terms.
//!
//! Only the 1/8 scale qualifies: the reduced IDCTs for 1/4 and 1/2
//! (`jidctred.c`) read coefficients from rows and columns 0, 1, 3, 5 and 7,
//! so every AC band matters to them.

/// Why [`dc_only`] gave up; the caller then decodes the original stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unfit {
    /// Not a progressive Huffman JPEG (baseline, arithmetic, lossless…).
    NotProgressive,
    /// No AC scan to leave out.
    NothingToSkip,
    /// A structure the rewrite does not vouch for (truncated, no DC scan,
    /// a scan header that does not parse, a marker out of place).
    Unusual,
}

/// Scans the rewrite keeps at most; real encoders write about ten.
const MAX_SCANS: usize = 1000;

/// The stream with its AC scans left out, or why not.
pub(crate) fn dc_only(data: &[u8]) -> Result<Vec<u8>, Unfit> {
    if data.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(Unfit::Unusual);
    }
    let mut out = Vec::with_capacity(data.len() / 4);
    out.extend_from_slice(&data[..2]);
    let mut i = 2;
    let mut frame: Option<Frame> = None;
    let (mut scans, mut dc_first, mut skipped) = (0usize, false, false);
    loop {
        // A marker: 0xFF, optional 0xFF fill bytes, the code.
        if data.get(i) != Some(&0xFF) {
            return Err(Unfit::Unusual);
        }
        while data.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let marker = *data.get(i + 1).ok_or(Unfit::Unusual)?;
        match marker {
            0xD9 => {
                // EOI: the image is whole; the AC bands come last, as zero.
                let frame = frame.ok_or(Unfit::NotProgressive)?;
                if !dc_first {
                    return Err(Unfit::Unusual);
                }
                // A band the file never completes would make the whole
                // decode smooth that component (and the rewrite would not).
                if !frame.ac_complete() {
                    return Err(Unfit::Unusual);
                }
                if !skipped {
                    return Err(Unfit::NothingToSkip);
                }
                zero_ac_scans(&frame, &mut out);
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out);
            }
            0x00 | 0x01 | 0xD0..=0xD8 => return Err(Unfit::Unusual),
            _ => {}
        }
        let len = data
            .get(i + 2..i + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .filter(|&len| len >= 2)
            .ok_or(Unfit::Unusual)?;
        let segment = data.get(i..i + 2 + len).ok_or(Unfit::Unusual)?;
        match marker {
            0xC2 if frame.is_some() => return Err(Unfit::Unusual),
            0xC2 => frame = Some(Frame::parse(&segment[4..]).ok_or(Unfit::Unusual)?),
            // Every other start of frame: baseline, extended, lossless,
            // hierarchical, arithmetic.
            0xC0 | 0xC1 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(Unfit::NotProgressive)
            }
            _ => {}
        }
        if marker != 0xDA {
            out.extend_from_slice(segment);
            i += 2 + len;
            continue;
        }
        // Start of scan: header, then entropy-coded data up to the next
        // marker that is not a restart (RSTn) or a stuffed zero.
        scans += 1;
        if scans > MAX_SCANS {
            return Err(Unfit::Unusual);
        }
        let band = scan_band(&segment[4..]).ok_or(Unfit::Unusual)?;
        let end = entropy_end(data, i + 2 + len).ok_or(Unfit::Unusual)?;
        let frame = frame.as_mut().ok_or(Unfit::NotProgressive)?;
        let unread = band.start > 0 && frame.dc_only(band.component) == Some(true);
        if band.start > 0 && band.last_bit {
            frame.complete(band.component, band.start, band.end);
        }
        if band.start == 0 {
            if band.end != 0 {
                // A DC scan must carry DC alone (T.81 G.1.1.1.1).
                return Err(Unfit::Unusual);
            }
            dc_first |= !band.refinement;
        } else if frame.dc_only(band.component).is_none() {
            return Err(Unfit::Unusual);
        }
        if unread {
            skipped = true;
        } else {
            out.extend_from_slice(&data[i..end]);
        }
        i = end;
    }
}

/// The frame header: for each component its id, its size in 8×8 blocks,
/// and whether libjpeg-turbo reads only its DC terms at 1/8.
struct Frame {
    components: Vec<Component>,
}

struct Component {
    id: u8,
    blocks: usize,
    /// Its IDCT at 1/8 is 1×1. libjpeg-turbo (`jdmaster.c`) scales a
    /// subsampled component up through the IDCT rather than the upsampler:
    /// at 1/8, 4:2:0 chroma gets a 2×2 IDCT, which reads AC terms.
    dc_only: bool,
    /// Bit k: AC coefficient k (zig-zag, 1–63) has had its last bit sent.
    complete: u64,
}

impl Frame {
    /// Whether component `id` needs only its DC terms (`None`: no such
    /// component).
    fn dc_only(&self, id: u8) -> Option<bool> {
        self.components
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.dc_only)
    }

    /// Notes that a scan sent the last bit of band `start..=end` of `id`.
    fn complete(&mut self, id: u8, start: u8, end: u8) {
        if let Some(c) = self.components.iter_mut().find(|c| c.id == id) {
            for k in start..=end.min(63) {
                c.complete |= 1 << k;
            }
        }
    }

    /// Whether every component read as DC only got all 63 AC bands.
    fn ac_complete(&self) -> bool {
        const ALL_AC: u64 = !1;
        self.components
            .iter()
            .all(|c| !c.dc_only || c.complete == ALL_AC)
    }
}

impl Frame {
    /// Reads an SOF2 payload: precision, height, width, `Nf`, then `Nf`
    /// (id, sampling, table) triples.
    fn parse(sof: &[u8]) -> Option<Frame> {
        let (&precision, rest) = sof.split_first()?;
        let h = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
        let w = usize::from(u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]));
        let nf = usize::from(*rest.get(4)?);
        let specs = rest.get(5..5 + 3 * nf)?;
        if precision != 8 || w == 0 || h == 0 || !(1..=4).contains(&nf) || rest.len() != 5 + 3 * nf
        {
            return None;
        }
        let sampling = |c: &[u8]| (usize::from(c[1] >> 4), usize::from(c[1] & 15));
        let chunks: Vec<&[u8]> = specs.chunks_exact(3).collect();
        if chunks
            .iter()
            .any(|c| !(1..=4).contains(&sampling(c).0) || !(1..=4).contains(&sampling(c).1))
        {
            return None;
        }
        let h_max = chunks.iter().map(|c| sampling(c).0).max()?;
        let v_max = chunks.iter().map(|c| sampling(c).1).max()?;
        let components = chunks
            .iter()
            .map(|c| {
                let (hs, vs) = sampling(c);
                // T.81 A.1.1: a component's size, then its blocks.
                let cw = (w * hs).div_ceil(h_max);
                let ch = (h * vs).div_ceil(v_max);
                // jdmaster.c's choice of the component's IDCT size at 1/8
                // (min_DCT_scaled_size 1): doubled while the sampling ratio
                // allows.
                let scaled_up = h_max % (hs * 2) == 0 && v_max % (vs * 2) == 0;
                Component {
                    id: c[0],
                    blocks: cw.div_ceil(8) * ch.div_ceil(8),
                    dc_only: !scaled_up,
                    complete: 0,
                }
            })
            .collect();
        Some(Frame { components })
    }
}

/// The longest end-of-band run one symbol codes: `EOB14` with 14 bits.
const MAX_RUN: usize = (1 << 15) - 1;

/// Appends, for every component read as DC only, an AC first scan (bands 1–63, no
/// successive approximation) in which every block is part of an end-of-band
/// run: the AC coefficients are complete, and zero. A DRI of 0 first (runs
/// then span the whole component) and an AC table 0 whose fifteen 4-bit
/// codes are the `EOBr` symbols r = 0…14.
fn zero_ac_scans(frame: &Frame, out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xFF, 0xDD, 0x00, 0x04, 0x00, 0x00]);
    let mut dht = vec![0xFF, 0xC4, 0x00, 0x00, 0x10];
    let mut counts = [0u8; 16];
    counts[3] = 15;
    dht.extend_from_slice(&counts);
    dht.extend((0u8..15).map(|r| r << 4));
    let len = u16::try_from(dht.len() - 2).unwrap_or(u16::MAX);
    dht[2..4].copy_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&dht);
    for c in frame.components.iter().filter(|c| c.dc_only) {
        out.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, c.id, 0x00, 1, 63, 0x00]);
        let mut bits = BitWriter::default();
        let mut left = c.blocks;
        while left > 0 {
            let run = left.min(MAX_RUN);
            // EOBr codes runs of 2^r + the next r bits.
            let r = usize::BITS - 1 - run.leading_zeros();
            bits.put(r, 4); // the r-th 4-bit code is r itself
            bits.put((run - (1 << r)) as u32, r);
            left -= run;
        }
        bits.finish(out);
    }
}

/// Entropy-coded bits, most significant first, with `FF 00` stuffing.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u32,
    count: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, n: u32) {
        for i in (0..n).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.count += 1;
            if self.count == 8 {
                self.push();
            }
        }
    }

    fn push(&mut self) {
        let byte = (self.acc & 0xFF) as u8;
        self.bytes.push(byte);
        if byte == 0xFF {
            self.bytes.push(0x00);
        }
        self.acc = 0;
        self.count = 0;
    }

    /// Pads the last byte with 1s (T.81 F.1.2.3) and appends the data.
    fn finish(mut self, out: &mut Vec<u8>) {
        while self.count != 0 {
            self.put(1, 1);
        }
        out.extend_from_slice(&self.bytes);
    }
}

/// The coefficient band a scan carries (zig-zag indexes), whether it
/// refines bits sent before, and its first component's id (AC scans have
/// exactly one).
struct Band {
    start: u8,
    end: u8,
    refinement: bool,
    /// It sends the last bit of its coefficients (`Al` = 0).
    last_bit: bool,
    component: u8,
}

/// Reads a scan header's payload: `Ns`, `Ns` component specs, `Ss`, `Se`,
/// `Ah:Al`.
fn scan_band(header: &[u8]) -> Option<Band> {
    let ns = usize::from(*header.first()?);
    if !(1..=4).contains(&ns) || header.len() != 1 + 2 * ns + 3 {
        return None;
    }
    let rest = &header[1 + 2 * ns..];
    let (start, end, approx) = (rest[0], rest[1], rest[2]);
    if start > end || end > 63 || (start == 0 && ns > 4) || (start > 0 && ns != 1) {
        return None;
    }
    Some(Band {
        start,
        end,
        refinement: approx >> 4 != 0,
        last_bit: approx & 15 == 0,
        component: header[1],
    })
}

/// Where the entropy-coded data starting at `from` ends: the offset of the
/// next marker that is neither a stuffed `FF 00` nor a restart `FF D0–D7`.
fn entropy_end(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i += data.get(i..)?.iter().position(|&b| b == 0xFF)?;
        match data.get(i + 1)? {
            0x00 | 0xD0..=0xD7 => i += 2,
            // Fill bytes before a marker belong to the marker.
            0xFF => i += 1,
            _ => return Some(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal progressive stream: SOI, a table, SOF2, then scans of the
    /// given bands with fake entropy bytes (stuffing and restarts inside),
    /// EOI.
    fn stream(bands: &[(u8, u8, u8)]) -> Vec<u8> {
        let mut s = vec![0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x04, 0x01, 0x02];
        s.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x0B, 8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
        for &(ss, se, ah) in bands {
            s.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, ss, se, ah << 4]);
            s.extend_from_slice(&[ss, 0xFF, 0x00, se, 0xFF, 0xD3, 0x7F]);
        }
        s.extend_from_slice(&[0xFF, 0xD9]);
        s
    }

    #[test]
    fn ac_scans_are_left_out_and_everything_else_kept() {
        let full = stream(&[(0, 0, 0), (1, 5, 0), (0, 0, 1), (6, 63, 0)]);
        let dc = dc_only(&full).unwrap();
        let kept = stream(&[(0, 0, 0), (0, 0, 1)]);
        let (head, tail) = dc.split_at(kept.len() - 2);
        assert_eq!(
            head,
            &kept[..kept.len() - 2],
            "tables and DC scans, in order"
        );
        // Then DRI 0, the EOB table, one zero AC scan (one block: EOB0 =
        // code 0000, padded with ones), EOI.
        let mut filler = vec![
            0xFF, 0xDD, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC4, 0x00, 0x22, 0x10,
        ];
        filler.extend_from_slice(&[0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        filler.extend((0u8..15).map(|r| r << 4));
        filler.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 1, 63, 0x00, 0x0F]);
        filler.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(tail, filler);
    }

    #[test]
    fn end_of_band_runs_cover_every_block() {
        // 190 512 blocks (a 12 MP luma plane): five EOB14 runs of 32 767 and
        // one EOB14 of 26 677 = 16 384 + 10 293.
        let frame = Frame {
            components: vec![Component {
                id: 1,
                blocks: 190_512,
                dc_only: true,
                complete: 0,
            }],
        };
        let mut out = Vec::new();
        zero_ac_scans(&frame, &mut out);
        let data = &out[out.len() - 14..];
        // 6 × (4 + 14) bits = 108 bits = 13.5 bytes, padded to 14.
        assert_eq!(data.len(), 14, "{data:02x?}");
    }

    #[test]
    fn streams_that_do_not_fit_fall_back() {
        let cases: &[(Vec<u8>, Unfit)] = &[
            // No AC band at all, or one band never sent: the whole decode
            // would smooth, so the rewrite must not run.
            (stream(&[(0, 0, 0)]), Unfit::Unusual),
            (stream(&[(0, 0, 0), (1, 5, 0)]), Unfit::Unusual),
            (stream(&[(1, 5, 0)]), Unfit::Unusual),
            (stream(&[(0, 5, 0), (6, 63, 0)]), Unfit::Unusual),
            (b"not a jpeg".to_vec(), Unfit::Unusual),
            (vec![0xFF, 0xD8], Unfit::Unusual),
        ];
        for (data, want) in cases {
            assert_eq!(dc_only(data), Err(*want), "{data:02x?}");
        }
        let mut baseline = stream(&[(0, 0, 0), (1, 63, 0)]);
        baseline[9] = 0xC0;
        assert_eq!(dc_only(&baseline), Err(Unfit::NotProgressive));
        let full = stream(&[(0, 0, 0), (1, 63, 0)]);
        for cut in 0..full.len() - 1 {
            assert!(dc_only(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn hostile_structures_are_declined_or_kept_bounded() {
        // An AC scan naming a component the frame does not have.
        let mut stray = stream(&[(0, 0, 0), (1, 63, 0)]);
        let at = stray.len() - 2 - 7 - 10 + 5;
        stray[at] = 9;
        assert_eq!(dc_only(&stray), Err(Unfit::Unusual));
        // More scans than any encoder writes.
        let many: Vec<(u8, u8, u8)> = (0..1001)
            .map(|i| if i == 0 { (0, 0, 0) } else { (1, 63, 0) })
            .collect();
        assert_eq!(dc_only(&stream(&many)), Err(Unfit::Unusual));
        // An AC scan before the DC one: kept out like any AC scan; the DC
        // scan still comes.
        assert!(dc_only(&stream(&[(1, 63, 0), (0, 0, 0)])).is_ok());
        // 65 535 restart markers inside one scan: one linear pass.
        let mut restarts = stream(&[(0, 0, 0)]);
        let body: Vec<u8> = (0..65_535u32)
            .flat_map(|i| [0x12, 0xFF, 0xD0 + (i % 8) as u8])
            .collect();
        let end = restarts.len() - 2;
        restarts.splice(end..end, body);
        let ac = [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 1, 63, 0x00, 0x55];
        restarts.splice(restarts.len() - 2..restarts.len() - 2, ac);
        let started = std::time::Instant::now();
        assert!(dc_only(&restarts).is_ok());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}

/// The rewrite against libjpeg-turbo itself: a progressive file from its
/// own encoder (the scan script `jpeg_simple_progression` writes, as
/// ImageMagick's and cjpeg's `-progressive` do), decoded at 1/8 whole and
/// without its AC scans.
#[cfg(test)]
mod against_libjpeg {
    use super::*;
    use crate::pipeline::codec::{decode, encode, jpeg_at_eighth, probe};
    use crate::pipeline::{stages, Format};
    use crate::plan::{Encode, Subsampling};

    fn progressive(w: u32, h: u32, subsampling: Subsampling) -> Vec<u8> {
        let settings = Encode {
            quality: 85,
            quality_set: true,
            progressive: true,
            subsampling,
            avif_subsampling: Subsampling::Sub444,
            png_optimize: false,
            gif_lossy: 0,
        };
        // Photo-like (gradients, edges, noise): every AC band carries data.
        let photo = stages::synthetic(w, h).into_pixels();
        encode(
            &photo,
            Format::Jpeg,
            &settings,
            &crate::pipeline::Encoders::default(),
        )
        .unwrap()
        .bytes
    }

    fn at_eighth(data: &[u8]) -> (usize, usize, Vec<u8>) {
        let p = jpeg_at_eighth(data).unwrap();
        (p.width as usize, p.height as usize, p.data)
    }

    #[test]
    fn the_eighth_scale_image_is_the_full_decodes() {
        for (w, h, sub) in [
            (1600, 1200, Subsampling::Sub420),
            (1603, 1207, Subsampling::Sub420),
            (961, 1283, Subsampling::Sub444),
            (64, 8, Subsampling::Sub420),
        ] {
            let full = progressive(w, h, sub);
            let dc = dc_only(&full).unwrap();
            if w * h > 100_000 {
                let share = dc.len() as f64 / full.len() as f64;
                assert!(
                    share < 0.6,
                    "{w}x{h} {sub:?}: {} of {} bytes",
                    dc.len(),
                    full.len()
                );
            }
            let (a, b) = (at_eighth(&full), at_eighth(&dc));
            assert_eq!((a.0, a.1), (b.0, b.1), "{w}x{h}");
            assert!(a.2 == b.2, "{w}x{h} {sub:?}: the pixels differ");
        }
    }

    #[test]
    fn the_pipeline_takes_the_fast_path_only_at_an_eighth() {
        let full = progressive(1600, 1200, Subsampling::Sub420);
        let header = probe(&full, Format::Jpeg).unwrap();
        // 200x150 is exactly 1/8: the fast path, and the very pixels of the
        // whole stream at 1/8.
        let p = decode(&full, Format::Jpeg, &header, (200, 150), u64::MAX).unwrap();
        let (w, h, whole) = at_eighth(&full);
        assert_eq!((p.width as usize, p.height as usize), (w, h));
        assert!(p.data == whole, "the fast path's pixels differ");
        // One pixel more needs 1/4: every scan is decoded.
        let p = decode(&full, Format::Jpeg, &header, (201, 150), u64::MAX).unwrap();
        assert_eq!((p.width, p.height), (400, 300));
    }

    /// A luma AC scan pointed at an undefined Huffman table: libjpeg-turbo
    /// fails on it, so only a decode that never reads that scan succeeds.
    fn with_a_broken_luma_ac_scan(mut data: Vec<u8>) -> Vec<u8> {
        let mut i = 2;
        while i + 4 < data.len() {
            let (marker, len) = (
                data[i + 1],
                usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]])),
            );
            if marker == 0xDA {
                let (ns, component) = (data[i + 4], data[i + 5]);
                let ss = data[i + 5 + 2 * usize::from(ns)];
                if ns == 1 && component == 1 && ss > 0 {
                    data[i + 6] = 0x03; // Td 0, Ta 3: no such table
                    return data;
                }
                i = entropy_end(&data, i + 2 + len).unwrap();
            } else {
                i += 2 + len;
            }
        }
        panic!("no luma AC scan");
    }

    #[test]
    fn at_an_eighth_the_luma_ac_scans_are_never_read() {
        let broken = with_a_broken_luma_ac_scan(progressive(1600, 1200, Subsampling::Sub420));
        let header = probe(&broken, Format::Jpeg).unwrap();
        // 1/8: the broken scan is left out, the image decodes …
        let p = decode(&broken, Format::Jpeg, &header, (200, 150), u64::MAX).unwrap();
        assert_eq!((p.width, p.height), (200, 150));
        // … at 1/4 every scan is read and libjpeg-turbo refuses the file.
        assert!(decode(&broken, Format::Jpeg, &header, (201, 150), u64::MAX).is_err());
        assert!(
            jpeg_at_eighth(&broken).is_err(),
            "the whole stream is refused at 1/8 too"
        );
    }

    #[test]
    fn baseline_files_are_left_alone() {
        let settings = Encode {
            quality: 85,
            quality_set: true,
            progressive: false,
            subsampling: Subsampling::Sub420,
            avif_subsampling: Subsampling::Sub444,
            png_optimize: false,
            gif_lossy: 0,
        };
        let photo = stages::synthetic(320, 240).into_pixels();
        let baseline = encode(
            &photo,
            Format::Jpeg,
            &settings,
            &crate::pipeline::Encoders::default(),
        )
        .unwrap()
        .bytes;
        assert_eq!(dc_only(&baseline), Err(Unfit::NotProgressive));
    }
}
