//! What a source says about itself, from its first bytes: format, displayed
//! size, orientation, frames, colour, and its EXIF, IPTC and XMP metadata —
//! for Sirv's `?info` and its `${EXIF.…}` / `${IPTC.…}` text variables.
//!
//! EXIF is read by `kamadak-exif` (JPEG, TIFF, HEIF/AVIF, PNG, WebP); IPTC
//! (JPEG's Photoshop `APP13` resource 0x0404) by hand, every length checked.

use std::collections::BTreeMap;
use std::io::Cursor;

use super::{budget, codec, markers, sniff, Format, Limits};

/// The longest metadata value kept (longer ones are cut).
const MAX_VALUE: usize = 256;

/// A source's description.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Description {
    pub format: Option<Format>,
    /// Displayed (EXIF-oriented) size.
    pub width: u32,
    pub height: u32,
    /// EXIF orientation, 1 (as stored) to 8.
    pub orientation: u8,
    /// Frames of an animation (1 for a still), when the bytes read hold them.
    pub frames: Option<u64>,
    /// JPEG: `gray`, `rgb` (YCbCr or RGB), `cmyk` (CMYK or YCCK).
    pub color_space: Option<&'static str>,
    /// Whether an ICC profile is embedded (JPEG).
    pub icc: bool,
    /// EXIF fields by tag name (`Model`, `DateTimeOriginal`, `FNumber`…).
    pub exif: BTreeMap<String, String>,
    /// IPTC-IIM fields by name (`By-line`, `Caption-Abstract`, `Keywords`…).
    pub iptc: BTreeMap<String, String>,
    /// Whether XMP is embedded (JPEG `APP1`).
    pub xmp: bool,
}

/// Describes the source whose first bytes are `head`; `None` when they are
/// not an image signet reads.
pub fn describe(head: &[u8]) -> Option<Description> {
    let format = sniff(head)?;
    let header = codec::probe(head, format).ok()?;
    let (width, height) = header.orientation.oriented(header.width, header.height);
    let limits = Limits {
        max_source_pixels: u64::MAX,
        max_output_pixels: u64::MAX,
        max_metadata_bytes: 8 << 20,
        max_animation_frames: u64::MAX,
    };
    let mut d = Description {
        format: Some(format),
        width,
        height,
        orientation: header.orientation.0,
        frames: budget::measure(head, format, &limits)
            .ok()
            .map(|f| f.count()),
        exif: exif(head),
        ..Description::default()
    };
    if format == Format::Jpeg {
        d.icc = markers::jpeg_icc(head).is_some();
        for (marker, segment) in markers::jpeg_segments(head) {
            match marker {
                0xE1 if segment.starts_with(b"http://ns.adobe.com/xap/1.0/\0") => d.xmp = true,
                0xED => iptc(segment, &mut d.iptc),
                0xC0..=0xCF if ![0xC4, 0xC8, 0xCC].contains(&marker) => {
                    d.color_space = match segment.get(5) {
                        Some(1) => Some("gray"),
                        Some(3) => Some("rgb"),
                        Some(4) => Some("cmyk"),
                        _ => None,
                    };
                }
                _ => {}
            }
        }
    }
    Some(d)
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_VALUE {
        let mut end = MAX_VALUE;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The primary image's EXIF fields (not the thumbnail's), as text; binary
/// fields (maker notes and the like) are left out.
fn exif(head: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(data) = exif::Reader::new().read_from_container(&mut Cursor::new(head)) else {
        return out;
    };
    for field in data.fields() {
        if field.ifd_num != exif::In::PRIMARY {
            continue;
        }
        let text = match &field.value {
            exif::Value::Ascii(parts) => parts
                .iter()
                .map(|p| {
                    String::from_utf8_lossy(p)
                        .trim_end_matches('\0')
                        .trim()
                        .to_owned()
                })
                .collect::<Vec<_>>()
                .join(", "),
            exif::Value::Undefined(..) | exif::Value::Unknown(..) => continue,
            _ => field.display_value().with_unit(&data).to_string(),
        };
        if !text.is_empty() {
            out.entry(field.tag.to_string())
                .or_insert_with(|| cut(text));
        }
    }
    out
}

/// IPTC-IIM application record (2) dataset names.
fn iptc_name(dataset: u8) -> Option<&'static str> {
    Some(match dataset {
        5 => "ObjectName",
        25 => "Keywords",
        40 => "SpecialInstructions",
        55 => "DateCreated",
        80 => "By-line",
        85 => "By-lineTitle",
        90 => "City",
        95 => "Province-State",
        101 => "Country-PrimaryLocationName",
        105 => "Headline",
        110 => "Credit",
        115 => "Source",
        116 => "CopyrightNotice",
        120 => "Caption-Abstract",
        122 => "Writer-Editor",
        _ => return None,
    })
}

/// The IPTC fields of a JPEG `APP13` segment (Photoshop image resources,
/// resource 0x0404); repeated fields (keywords) are joined with `, `.
fn iptc(segment: &[u8], out: &mut BTreeMap<String, String>) {
    let Some(mut rest) = segment.strip_prefix(b"Photoshop 3.0\0") else {
        return;
    };
    // Resources: "8BIM", id (2), Pascal name padded to even, size (4),
    // data padded to even.
    while rest.len() >= 12 && rest.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([rest[4], rest[5]]);
        let name_len = usize::from(rest[6]);
        let name_total = (1 + name_len + 1) & !1;
        let Some(size) = rest.get(6 + name_total..10 + name_total) else {
            return;
        };
        let size = u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize;
        let start = 10 + name_total;
        let Some(data) = rest.get(start..start.saturating_add(size)) else {
            return;
        };
        if id == 0x0404 {
            iim(data, out);
        }
        rest = rest.get(start + size + (size & 1)..).unwrap_or_default();
    }
}

/// IPTC-IIM records: 0x1C, record, dataset, length (2), data.
fn iim(mut data: &[u8], out: &mut BTreeMap<String, String>) {
    while data.len() >= 5 && data[0] == 0x1C {
        let (record, dataset) = (data[1], data[2]);
        let len = u16::from_be_bytes([data[3], data[4]]);
        if len & 0x8000 != 0 {
            return; // extended lengths: not for text fields
        }
        let Some(value) = data.get(5..5 + usize::from(len)) else {
            return;
        };
        if let (2, Some(name)) = (record, iptc_name(dataset)) {
            let text = String::from_utf8_lossy(value).trim().to_owned();
            if !text.is_empty() {
                let entry = out.entry(name.to_owned()).or_default();
                if entry.len() < MAX_VALUE {
                    if !entry.is_empty() {
                        entry.push_str(", ");
                    }
                    entry.push_str(&text);
                    *entry = cut(std::mem::take(entry));
                }
            }
        }
        data = &data[5 + usize::from(len)..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An APP13 segment with IPTC fields.
    fn app13(fields: &[(u8, &str)]) -> Vec<u8> {
        let mut iim = Vec::new();
        for (dataset, text) in fields {
            iim.extend_from_slice(&[0x1C, 2, *dataset]);
            iim.extend_from_slice(&(text.len() as u16).to_be_bytes());
            iim.extend_from_slice(text.as_bytes());
        }
        let mut seg = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
        seg.extend_from_slice(&(iim.len() as u32).to_be_bytes());
        seg.extend_from_slice(&iim);
        seg
    }

    #[test]
    fn iptc_fields_are_read_and_bounded() {
        let mut out = BTreeMap::new();
        iptc(
            &app13(&[(80, "Ann Lee"), (25, "lake"), (25, "winter"), (120, "Blue")]),
            &mut out,
        );
        assert_eq!(out["By-line"], "Ann Lee");
        assert_eq!(out["Keywords"], "lake, winter");
        assert_eq!(out["Caption-Abstract"], "Blue");
        // Lying lengths and truncation end the read quietly.
        for n in 0..40 {
            let seg = app13(&[(80, "Ann Lee"), (25, "lake")]);
            let mut out = BTreeMap::new();
            iptc(&seg[..seg.len().saturating_sub(n)], &mut out);
        }
        let mut lying = app13(&[(80, "x")]);
        let at = lying.len() - 3;
        lying[at] = 0x7F;
        iptc(&lying, &mut BTreeMap::new());
        // A long field is cut at 256 bytes.
        let long = "é".repeat(300);
        let mut out = BTreeMap::new();
        iptc(&app13(&[(105, &long)]), &mut out);
        assert!(out["Headline"].len() <= MAX_VALUE);
    }

    #[test]
    fn non_images_are_not_described() {
        assert_eq!(describe(b"not an image"), None);
        assert_eq!(describe(b""), None);
    }
}
