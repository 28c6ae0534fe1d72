//! Colour management: every source ends in sRGB. Embedded ICC profiles
//! (RGB, and CMYK for print JPEGs) and CICP/nclx colour (AVIF, HEIC) are
//! converted with `qcms`, the colour engine of Firefox.

use std::sync::OnceLock;

use super::Pixels;

fn srgb() -> &'static qcms::Profile {
    static SRGB: OnceLock<Box<qcms::Profile>> = OnceLock::new();
    SRGB.get_or_init(|| {
        let mut p = qcms::Profile::new_sRGB();
        p.precache_output_transform();
        p
    })
}

/// Converts pixels from an embedded ICC profile to sRGB in place. Profiles
/// that are missing, unreadable or not RGB leave the pixels as they are
/// (read as sRGB), which is what browsers do too.
pub(crate) fn to_srgb(p: &mut Pixels, icc: Option<&[u8]>) {
    let Some(icc) = icc else { return };
    // An RGB profile's colour space field.
    if icc.get(16..20) != Some(b"RGB ") {
        return;
    }
    if let Some(input) = qcms::Profile::new_from_slice(icc, false) {
        convert(p, &input);
    }
}

/// Converts pixels described by CICP colour primaries and transfer
/// characteristics (ITU-T H.273 code points, as AVIF and HEIC carry them in
/// `nclx`) to sRGB. sRGB itself, BT.709 and unspecified values are left as
/// they are; code points `qcms` cannot model (PQ, HLG) too.
pub(crate) fn cicp_to_srgb(p: &mut Pixels, primaries: u8, transfer: u8) {
    // 1 = BT.709 (sRGB's primaries), 2 = unspecified.
    let primaries = if primaries == 2 { 1 } else { primaries };
    // 13 = sRGB; 1, 6, 14, 15 are BT.709's curve, which decoders (and
    // browsers) show as sRGB; 2 = unspecified.
    if primaries == 1 && matches!(transfer, 1 | 2 | 6 | 13 | 14 | 15) {
        return;
    }
    let transfer = if matches!(transfer, 2) { 13 } else { transfer };
    let input = qcms::Profile::new_cicp(primaries.into(), transfer.into());
    if let Some(input) = input {
        convert(p, &input);
    }
}

fn convert(p: &mut Pixels, input: &qcms::Profile) {
    let ty = if p.channels == 4 {
        qcms::DataType::RGBA8
    } else {
        qcms::DataType::RGB8
    };
    if let Some(t) = qcms::Transform::new(input, srgb(), ty, qcms::Intent::Perceptual) {
        t.apply(&mut p.data);
    }
}

/// CMYK inks (4 channels, as libjpeg-turbo gives CMYK and YCCK files) to
/// RGB. `inverted`: the file stores 255 for no ink (Adobe's convention,
/// announced by its `APP14` segment). With a CMYK ICC profile the inks go
/// through it; without one (or one `qcms` cannot read), through the
/// device formula R = (1 − C)(1 − K), G = (1 − M)(1 − K), B = (1 − Y)(1 − K),
/// which is ImageMagick's and most browsers' fallback too.
pub(crate) fn cmyk_to_rgb(p: Pixels, icc: Option<&[u8]>, inverted: bool) -> Pixels {
    let mut inks = p.data;
    if inverted {
        for v in &mut inks {
            *v = 255 - *v;
        }
    }
    let mut rgb = vec![0u8; inks.len() / 4 * 3];
    let profile = icc
        .filter(|icc| icc.get(16..20) == Some(b"CMYK"))
        .and_then(|icc| qcms::Profile::new_from_slice(icc, false));
    let transform = profile.and_then(|input| {
        qcms::Transform::new_to(
            &input,
            srgb(),
            qcms::DataType::CMYK,
            qcms::DataType::RGB8,
            qcms::Intent::Perceptual,
        )
    });
    match transform {
        Some(t) => t.convert(&inks, &mut rgb),
        None => {
            for (out, ink) in rgb.chunks_exact_mut(3).zip(inks.chunks_exact(4)) {
                let white = 255 - u32::from(ink[3]);
                for (o, &c) in out.iter_mut().zip(&ink[..3]) {
                    *o = (((255 - u32::from(c)) * white + 127) / 255) as u8;
                }
            }
        }
    }
    Pixels {
        channels: 3,
        data: rgb,
        ..p
    }
}
