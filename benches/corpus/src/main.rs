//! Writes the whole benchmark corpus (every size in every source format) for
//! `make bench`.

fn main() {
    for (size, _, _) in signet_bench_corpus::SIZES {
        for (format, ext) in signet_bench_corpus::FORMATS {
            let bytes = signet_bench_corpus::corpus(size, format);
            println!("{size}.{ext}: {} bytes", bytes.len());
        }
    }
    println!("corpus in {}", signet_bench_corpus::corpus_dir().display());
}
