//! The image engine in-process: decode, resize and encode per format over
//! 0.5 / 2.7 / 12 / 24 MP photo-like sources, and the whole pipeline on the
//! workloads `make bench-engine` also runs through libvips (pyvips).
//!
//! The corpus (`signet-bench-corpus`) is written to `target/bench-corpus/` on first use
//! (the libvips side reads the same files).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use signet_bench_corpus::{corpus, SIZES};
use signet_transform::parse_options;
use signet_transform::pipeline::{self, stages, Encoders, Format, Job, Limits, Target};

const LIMITS: Limits = Limits {
    max_source_pixels: 100_000_000,
    max_output_pixels: 40_000_000,
    max_metadata_bytes: 8 << 20,
    max_animation_frames: 1000,
};

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for (size, _, _) in SIZES {
        let jpeg = corpus(size, Format::Jpeg);
        g.bench_with_input(BenchmarkId::new("jpeg-full", size), &jpeg, |b, data| {
            b.iter(|| stages::decode(black_box(data), u32::MAX, u32::MAX).unwrap())
        });
        g.bench_with_input(
            BenchmarkId::new("jpeg-shrink-for-400", size),
            &jpeg,
            |b, data| b.iter(|| stages::decode(black_box(data), 400, 1).unwrap()),
        );
        if matches!(size, "0.5mp" | "2.7mp") {
            for format in [Format::Png, Format::WebP] {
                let data = corpus(size, format);
                g.bench_with_input(BenchmarkId::new(format.name(), size), &data, |b, data| {
                    b.iter(|| stages::decode(black_box(data), u32::MAX, u32::MAX).unwrap())
                });
            }
        }
    }
    g.finish();
}

fn resize(c: &mut Criterion) {
    let mut g = c.benchmark_group("resize-to-400");
    for (size, w, h) in SIZES {
        let img = stages::synthetic(w, h);
        let oh = (400 * h + w / 2) / w;
        g.bench_function(size, |b| {
            b.iter(|| stages::resize(black_box(&img), 400, oh).unwrap())
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode-400px-q80");
    // The 2.7 MP source at 400 px wide, as the libvips side encodes it.
    let decoded = stages::decode(&corpus("2.7mp", Format::Jpeg), 400, 1).unwrap();
    let img = stages::resize(&decoded, 400, 267).unwrap();
    for format in [
        Format::Jpeg,
        Format::Png,
        Format::WebP,
        Format::Avif,
        Format::Gif,
    ] {
        g.bench_function(format.name(), |b| {
            b.iter(|| stages::encode(black_box(&img), format, 80).unwrap())
        });
    }
    g.finish();
}

/// The workloads compared with libvips' `thumbnail_buffer` by `make bench-engine`.
pub const WORKLOADS: [(&str, &str, &str); 4] = [
    ("12mp-w400", "12mp", "w=400"),
    ("24mp-w512", "24mp", "w=512"),
    ("2.7mp-fit512", "2.7mp", "w=512&h=512"),
    ("0.5mp-w400", "0.5mp", "w=400"),
];

fn whole(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline-jpeg-q80");
    for (name, size, query) in WORKLOADS {
        let source = corpus(size, Format::Jpeg);
        let mut pairs: Vec<(&str, &str)> = query
            .split('&')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        pairs.push(("q", "80"));
        let options = parse_options(pairs).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let job = Job {
                    options: &options,
                    target: Target::Exact(Format::Jpeg),
                    watermarks: &[],
                    fonts: Default::default(),
                    encoders: Encoders::default(),
                    deadline: None,
                };
                pipeline::process(black_box(&source), &job, &LIMITS).unwrap()
            })
        });
    }
    g.finish();
}

/// Sirv's effects and face detection on the 2.7 MP source, decoded, one
/// stage at a time (`make bench-engine`; docs/benchmarks.md).
const EFFECTS: [(&str, &str); 13] = [
    ("exposure", "exposure=30"),
    ("shadows-highlights", "shadows=40&highlights=-30"),
    ("colorlevel", "colorlevel.black=20&colorlevel.white=230"),
    ("colortone-sepia", "colortone=sepia"),
    ("colortone-texas", "colortone=texas"),
    ("vignette", "vignette.value=50"),
    ("blur-10", "blur=10"),
    ("sharpen-30", "sharpen=30"),
    ("frame-mirror", "frame.style=mirror"),
    ("frame-dither", "frame.style=dither"),
    (
        "text-fit-40pct",
        "text=Hello%20world&text.size=40&text.color=ffffff",
    ),
    (
        "text-outline-blur",
        "text=Hello&text.font.size=120&text.outline.width=6&text.outline.blur=6",
    ),
    (
        "two-layers",
        "text.0.text=Top&text.0.position=north&text.1.text=Bottom&text.1.position=south",
    ),
];

fn effects(c: &mut Criterion) {
    let mut g = c.benchmark_group("effects-2.7mp");
    let image = stages::decode(&corpus("2.7mp", Format::Jpeg), u32::MAX, u32::MAX).unwrap();
    for (name, query) in EFFECTS {
        let query = query.replace("%20", " ");
        g.bench_function(name, |b| {
            b.iter(|| stages::effects(black_box(&image), &query).unwrap())
        });
    }
    g.bench_function("face-detect", |b| {
        b.iter(|| stages::faces(black_box(&image)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = whole, decode, resize, encode, effects
}
criterion_main!(benches);
