//! Every seed and every saved regression through its target, in `make test`.
//! A crash `make fuzz` finds is copied to `regressions/<target>/` and stays
//! here as a test once fixed.

use std::path::Path;

type Target = fn(&[u8]) -> bool;

const TARGETS: [(&str, Target); 13] = [
    ("jwt", signet_fuzz::jwt),
    ("md5", signet_fuzz::md5),
    ("mask", signet_fuzz::mask),
    ("options", signet_fuzz::options),
    ("pipeline", signet_fuzz::pipeline),
    ("progressive", signet_fuzz::progressive),
    ("playlist", signet_fuzz::playlist),
    ("heif", signet_fuzz::heif),
    ("jxl", signet_fuzz::jxl),
    ("svg", signet_fuzz::svg),
    ("raster", signet_fuzz::raster),
    ("animation", signet_fuzz::animation),
    ("font", signet_fuzz::font),
];

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.is_file() && !p.ends_with("README.md"))
        .collect();
    files.sort();
    files
}

#[test]
fn seeds_and_regressions_pass_every_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, target) in TARGETS {
        let seeds = inputs(&root.join("seeds").join(name));
        assert!(!seeds.is_empty(), "no seeds for {name}");
        let regressions = inputs(&root.join("regressions").join(name));
        for file in seeds.iter().chain(&regressions) {
            let data = std::fs::read(file).expect("readable input");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name} failed on {}", file.display());
        }
    }
}

/// The seeds reach the properties: the valid ones are accepted (a target that
/// refused everything would pass the replay above and test nothing).
#[test]
fn valid_seeds_are_accepted_and_hostile_ones_refused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let cases: &[(&str, Target, &str, bool)] = &[
        ("jwt", signet_fuzz::jwt, "raw-valid", true),
        ("jwt", signet_fuzz::jwt, "raw-none", false),
        ("jwt", signet_fuzz::jwt, "signed-claims", true),
        ("jwt", signet_fuzz::jwt, "signed-kid-array", true),
        ("jwt", signet_fuzz::jwt, "signed-scoped", true),
        ("md5", signet_fuzz::md5, "valid", true),
        ("md5", signet_fuzz::md5, "expired", false),
        (
            "progressive",
            signet_fuzz::progressive,
            "example-image-420",
            true,
        ),
        (
            "progressive",
            signet_fuzz::progressive,
            "example-image-444",
            true,
        ),
        ("progressive", signet_fuzz::progressive, "baseline", false),
        ("playlist", signet_fuzz::playlist, "master", true),
        ("playlist", signet_fuzz::playlist, "media-fmp4", true),
        ("playlist", signet_fuzz::playlist, "data-key", false),
        ("mask", signet_fuzz::mask, "folder", true),
        ("mask", signet_fuzz::mask, "file", false),
        ("mask", signet_fuzz::mask, "relative", false),
        ("options", signet_fuzz::options, "overlay-in-query", true),
        ("options", signet_fuzz::options, "strict", true),
        (
            "pipeline",
            signet_fuzz::pipeline,
            "example-image-jpg-0",
            true,
        ),
        (
            "pipeline",
            signet_fuzz::pipeline,
            "example-image-webp-6",
            true,
        ),
        ("pipeline", signet_fuzz::pipeline, "logo-png-6", true),
        ("heif", signet_fuzz::heif, "photo.avif", true),
        ("heif", signet_fuzz::heif, "alpha-10bit.avif", true),
        ("heif", signet_fuzz::heif, "photo.heic", true),
        ("jxl", signet_fuzz::jxl, "lossy.jxl", true),
        ("jxl", signet_fuzz::jxl, "lossless.jxl", true),
        ("svg", signet_fuzz::svg, "shapes.svg", true),
        ("svg", signet_fuzz::svg, "external.svg", false),
        ("raster", signet_fuzz::raster, "lzw.tif", true),
        ("raster", signet_fuzz::raster, "rgba.bmp", true),
        ("raster", signet_fuzz::raster, "icon.ico", true),
        ("raster", signet_fuzz::raster, "../heif/photo.avif", false),
        ("playlist", signet_fuzz::playlist, "dash-template", true),
        ("playlist", signet_fuzz::playlist, "dash-list", true),
        ("animation", signet_fuzz::animation, "deltas.gif", true),
        ("animation", signet_fuzz::animation, "photo.gif", true),
        ("animation", signet_fuzz::animation, "lossy.webp", true),
        ("animation", signet_fuzz::animation, "lossless.webp", true),
        ("animation", signet_fuzz::animation, "squares.png", true),
        (
            "animation",
            signet_fuzz::animation,
            "../raster/lzw.tif",
            false,
        ),
    ];
    for (dir, target, file, want) in cases {
        let data = std::fs::read(root.join(dir).join(file)).expect("seed exists");
        assert_eq!(target(&data), *want, "{dir}/{file}");
    }
    // Every option set the pipeline target can pick is valid and runs.
    let seed = std::fs::read(root.join("pipeline/example-image-jpg-0")).expect("seed");
    for pick in 0..signet_fuzz::PIPELINE_OPTIONS.len() {
        let mut data = seed.clone();
        data[0] = u8::try_from(pick).expect("few option sets");
        assert!(signet_fuzz::pipeline(&data), "option set {pick}");
    }
}
