//! The benchmark corpus, shared by the criterion benches and `make bench`
//! (`cargo run --release -p signet-bench-corpus` writes all of it):
//! deterministic photo-like images (`stages::synthetic`: gradients, hard
//! edges, per-pixel noise) at the sizes the public image-server benchmarks
//! use, written as `{size}.{jpg,png,webp}` (quality 90) into
//! `target/bench-corpus/` (or `$SIGNET_BENCH_CORPUS`) when missing.

use std::path::PathBuf;

use signet_transform::pipeline::{stages, Format};

/// (name, width, height): 0.5 MP, 2.7 MP (2040×1360, the DIV2K size), 12 and
/// 24 MP.
pub const SIZES: [(&str, u32, u32); 4] = [
    ("0.5mp", 866, 578),
    ("2.7mp", 2040, 1360),
    ("12mp", 4240, 2832),
    ("24mp", 6000, 4000),
];

/// The source formats of the corpus, with their file extensions.
pub const FORMATS: [(Format, &str); 3] = [
    (Format::Jpeg, "jpg"),
    (Format::Png, "png"),
    (Format::WebP, "webp"),
];

pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("SIGNET_BENCH_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-corpus"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    // Files from another generation are dropped, so every machine measures
    // the same bytes.
    let stamp = dir.join("STAMP");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(STAMP) {
        for (size, _, _) in SIZES {
            for (_, ext) in FORMATS {
                let _ = std::fs::remove_file(dir.join(format!("{size}.{ext}")));
            }
        }
        std::fs::write(&stamp, STAMP).unwrap();
    }
    dir
}

/// Names this generation of the corpus. Change it whenever the generator or
/// an encoder it uses changes the files' bytes (2: JPEG with optimized
/// Huffman tables).
const STAMP: &str = "2";

/// The corpus file `{size}.{ext}`, made when missing.
pub fn corpus(size: &str, format: Format) -> Vec<u8> {
    let (_, ext) = FORMATS
        .iter()
        .find(|f| f.0 == format)
        .unwrap_or_else(|| panic!("no {format:?} corpus"));
    let path = corpus_dir().join(format!("{size}.{ext}"));
    if let Ok(bytes) = std::fs::read(&path) {
        return bytes;
    }
    let (_, w, h) = SIZES.iter().find(|s| s.0 == size).unwrap();
    let bytes = stages::encode(&stages::synthetic(*w, *h), format, 90).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    bytes
}
