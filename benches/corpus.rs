//! Writes the whole benchmark corpus (every size in every source format) for
//! `make bench`: `cargo bench --bench corpus`.

mod common;

fn main() {
    for (size, _, _) in common::SIZES {
        for (format, ext) in common::FORMATS {
            let bytes = common::corpus(size, format);
            println!("{size}.{ext}: {} bytes", bytes.len());
        }
    }
    println!("corpus in {}", common::corpus_dir().display());
}
