//! Responsive-image candidates: a set of widths (listed, or stepped from a
//! minimum to a maximum by a tolerance), capped at the source's width, each
//! turned into a (signed) URL. Shared by `signet srcset` and
//! `POST /v2/files/srcset`. Option names and values are read through
//! `signet-transform`'s alias table, never spelled out here.

use signet_auth::KeyRing;
use signet_transform::{canonical_name, canonical_option};

use crate::links::urls::{Lifetime, Signer};

/// Step between generated widths when none is given: each candidate is at
/// most 8 % off the width a browser wants (imgix's default).
pub(crate) const DEFAULT_TOLERANCE: f64 = 0.08;
/// A srcset longer than this helps no browser and costs a cache entry each.
const MAX_CANDIDATES: usize = 64;
/// Widest candidate asked for.
const MAX_WIDTH: u32 = 16_384;

/// The widths a srcset is asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Widths {
    List(Vec<u32>),
    /// From `min` to `max`, each step `1 + 2 × tolerance` times the last, so
    /// a width between two candidates is never more than `tolerance` away.
    Range {
        min: u32,
        max: u32,
        tolerance: f64,
    },
}

impl Widths {
    /// The candidate widths, ascending and distinct.
    pub(crate) fn resolve(&self) -> Result<Vec<u32>, String> {
        let mut widths = match *self {
            Widths::List(ref list) => {
                if list.is_empty() || list.iter().any(|&w| w == 0 || w > MAX_WIDTH) {
                    return Err(format!(
                        "widths: give one or more widths from 1 to {MAX_WIDTH}, e.g. 320,640,1280"
                    ));
                }
                list.clone()
            }
            Widths::Range {
                min,
                max,
                tolerance,
            } => {
                if min == 0 || min > max || max > MAX_WIDTH {
                    return Err(format!(
                        "minWidth and maxWidth: need 1 ≤ minWidth ≤ maxWidth ≤ {MAX_WIDTH}"
                    ));
                }
                if !(0.01..=1.0).contains(&tolerance) {
                    return Err("tolerance: a fraction from 0.01 to 1 (0.08 = 8 %)".to_owned());
                }
                stepped(min, max, tolerance)
            }
        };
        widths.sort_unstable();
        widths.dedup();
        if widths.len() > MAX_CANDIDATES {
            return Err(format!(
                "{} widths: at most {MAX_CANDIDATES} (raise tolerance or narrow the range)",
                widths.len()
            ));
        }
        Ok(widths)
    }
}

fn stepped(min: u32, max: u32, tolerance: f64) -> Vec<u32> {
    let factor = 1.0 + 2.0 * tolerance;
    let mut out = Vec::new();
    let mut w = f64::from(min);
    // Past MAX_CANDIDATES distinct widths the caller refuses the range.
    while w < f64::from(max) && out.len() <= MAX_CANDIDATES {
        // Even widths, as imgix makes them: halves cleanly for 2× screens.
        let even = ((w / 2.0).round() * 2.0) as u32;
        let width = even.clamp(min, max);
        if out.last() != Some(&width) {
            out.push(width);
        }
        w *= factor;
    }
    out.push(max);
    out
}

/// Refuses a width among the options (under any of its names): it would
/// fix every candidate's width.
pub(crate) fn check_no_width(field: &str, params: &[(String, String)]) -> Result<(), String> {
    match params.iter().find(|(k, _)| canonical_name(k).as_deref() == Some("w")) {
        Some((k, _)) => Err(format!(
            "{field}: `{k}` would give every candidate the same width; the widths come from the request"
        )),
        None => Ok(()),
    }
}

/// Whether the options ask for upscaling (a `scale.option` other than
/// `noup`, in any spelling the option table accepts): only then may a
/// candidate be wider than the source.
pub(crate) fn upscales(option_sets: &[&[(String, String)]]) -> bool {
    option_sets.iter().flat_map(|set| set.iter()).any(
        |(k, v)| matches!(canonical_option(k, v), Ok((name, value)) if name == "scale.option" && value != "noup"),
    )
}

/// Caps every width at the source's and drops the duplicates that makes.
pub(crate) fn cap(widths: &[u32], source_width: u32) -> Vec<u32> {
    let mut out: Vec<u32> = widths.iter().map(|&w| w.min(source_width)).collect();
    out.dedup();
    out
}

/// One candidate of a srcset.
pub(crate) struct Candidate {
    pub(crate) width: u32,
    pub(crate) url: String,
}

/// What every candidate of one srcset shares.
pub(crate) struct Link<'a> {
    /// `public_url`, or the media listener's address.
    pub(crate) base: &'a str,
    pub(crate) ring: &'a KeyRing,
    pub(crate) signer: &'a Signer,
    pub(crate) lifetime: &'a Lifetime,
    pub(crate) path: &'a str,
    /// Query options of every candidate (after its `w=`).
    pub(crate) params: &'a [(String, String)],
}

/// One URL per width, `w=` first in each query, signed at unix time `now`.
pub(crate) fn candidates(
    link: &Link<'_>,
    widths: &[u32],
    now: i64,
) -> Result<Vec<Candidate>, String> {
    widths
        .iter()
        .map(|&width| {
            let mut p = Vec::with_capacity(link.params.len() + 1);
            p.push(("w".to_owned(), width.to_string()));
            p.extend_from_slice(link.params);
            let url = link
                .signer
                .url(link.base, link.ring, link.lifetime, (link.path, &p), now)?
                .url;
            Ok(Candidate { width, url })
        })
        .collect()
}

/// The `srcset` attribute value: `url 320w, url 640w, …`.
pub(crate) fn attribute(candidates: &[Candidate]) -> String {
    let parts: Vec<String> = candidates
        .iter()
        .map(|c| format!("{} {}w", c.url, c.width))
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_resolve_sorted_distinct_and_bounded() {
        let cases: &[(Widths, Result<Vec<u32>, ()>)] = &[
            (Widths::List(vec![640, 320, 640]), Ok(vec![320, 640])),
            (Widths::List(vec![]), Err(())),
            (Widths::List(vec![0, 320]), Err(())),
            (Widths::List(vec![20_000]), Err(())),
            (Widths::List((1..=65).collect()), Err(())),
            (
                Widths::Range {
                    min: 100,
                    max: 100,
                    tolerance: 0.08,
                },
                Ok(vec![100]),
            ),
            (
                Widths::Range {
                    min: 320,
                    max: 640,
                    tolerance: 0.25,
                },
                // 320 × 1.5 = 480, × 1.5 = 720 ≥ 640 → stop at the max.
                Ok(vec![320, 480, 640]),
            ),
            (
                Widths::Range {
                    min: 500,
                    max: 400,
                    tolerance: 0.08,
                },
                Err(()),
            ),
            (
                Widths::Range {
                    min: 1,
                    max: 16_384,
                    tolerance: 0.01,
                },
                Err(()),
            ),
            (
                Widths::Range {
                    min: 100,
                    max: 200,
                    tolerance: 0.0,
                },
                Err(()),
            ),
            (
                Widths::Range {
                    min: 100,
                    max: 200,
                    tolerance: f64::NAN,
                },
                Err(()),
            ),
        ];
        for (widths, want) in cases {
            assert_eq!(widths.resolve().map_err(|_| ()), *want, "{widths:?}");
        }
    }

    #[test]
    fn a_range_keeps_every_width_within_the_tolerance() {
        let widths = Widths::Range {
            min: 100,
            max: 8192,
            tolerance: 0.08,
        }
        .resolve()
        .unwrap();
        assert_eq!((widths[0], *widths.last().unwrap()), (100, 8192));
        for pair in widths.windows(2) {
            let step = f64::from(pair[1]) / f64::from(pair[0]);
            assert!(step <= 1.16 + 0.02, "{pair:?}");
            assert!(pair[0] % 2 == 0, "{pair:?}");
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn widths_are_capped_at_the_source_unless_upscaling() {
        assert_eq!(cap(&[320, 640, 1280, 1920], 1000), vec![320, 640, 1000]);
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[], false),
            (&[("scale.option", "noup")], false),
            // Validation accepts any case, so the cap must too.
            (&[("scale.option", "NOUP")], false),
            (&[("scale.option", " Noup ")], false),
            (&[("scale.option", "fill")], true),
            (&[("scale.option", "FIT")], true),
            (&[("v", "3"), ("scale.option", "ignore")], true),
        ];
        for (set, want) in cases {
            assert_eq!(upscales(&[&pairs(set)]), *want, "{set:?}");
        }
        assert!(upscales(&[
            &pairs(&[]),
            &pairs(&[("scale.option", "fill")])
        ]));
    }

    #[test]
    fn a_width_under_any_name_is_refused() {
        for name in ["w", "width", "scale.width"] {
            assert!(
                check_no_width("p", &pairs(&[(name, "3")])).is_err(),
                "{name}"
            );
        }
        assert!(check_no_width("p", &pairs(&[("q", "3"), ("h", "3")])).is_ok());
    }
}
