//! Microbenchmark of inflating a pack's entries, zlib-rs (what gix uses)
//! against libdeflate (what `keyhound git` uses), on one thread:
//!
//!     cargo run --release --example inflate_bench -- PACK.idx [ROUNDS]
//!
//! Every entry that is not a tree, commit or tag (whole blobs and all
//! deltas; the decoder cannot tell a blob delta from a tree delta without
//! its chain) is inflated into a buffer of its announced size, as the
//! decoder does. Each round times both, and checks they agree on sizes.
use std::time::Instant;

use gix::odb::pack;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(idx) = args.next() else {
        eprintln!("usage: inflate_bench PACK.idx [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args
        .next()
        .map_or(3, |r| r.parse().expect("ROUNDS is a number"));
    let bundle = pack::Bundle::at(&idx, gix::hash::Kind::Sha1).expect("a readable pack");
    let data = &bundle.pack;
    let mut offsets: Vec<u64> = bundle.index.iter().map(|e| e.pack_offset).collect();
    offsets.sort_unstable();
    offsets.push(data.pack_end() as u64);
    // (compressed range, inflated size)
    let mut entries = Vec::new();
    for pair in offsets.windows(2) {
        let entry = data.entry(pair[0]).expect("a readable entry header");
        use pack::data::entry::Header;
        if !matches!(entry.header, Header::Tree | Header::Commit | Header::Tag) {
            entries.push((entry.data_offset..pair[1], entry.decompressed_size as usize));
        }
    }
    let compressed: u64 = entries.iter().map(|(r, _)| r.end - r.start).sum();
    let inflated: usize = entries.iter().map(|(_, n)| n).sum();
    println!(
        "{} entries, {} MiB compressed, {} MiB inflated",
        entries.len(),
        compressed >> 20,
        inflated >> 20
    );
    let mut out = Vec::new();
    for round in 1..=rounds {
        let start = Instant::now();
        let mut zlib = gix::zlib::Inflate::default();
        for (range, size) in &entries {
            out.clear();
            out.resize(*size, 0);
            zlib.reset();
            let input = data.entry_slice(range.clone()).expect("in the pack");
            zlib.once(input, &mut out).expect("zlib-rs inflates");
        }
        let zlib_time = start.elapsed();

        let start = Instant::now();
        let mut deflate = libdeflater::Decompressor::new();
        for (range, size) in &entries {
            out.clear();
            out.resize(*size, 0);
            let input = data.entry_slice(range.clone()).expect("in the pack");
            let n = deflate
                .zlib_decompress(input, &mut out)
                .expect("libdeflate inflates");
            assert_eq!(n, *size);
        }
        let deflate_time = start.elapsed();
        println!(
            "round {round}: zlib-rs {:.3} s, libdeflate {:.3} s, libdeflate/zlib-rs {:.2}",
            zlib_time.as_secs_f64(),
            deflate_time.as_secs_f64(),
            deflate_time.as_secs_f64() / zlib_time.as_secs_f64()
        );
    }
}
