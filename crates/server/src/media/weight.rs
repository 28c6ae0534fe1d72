//! What a cached variant costs in memory, as the allocator counts it, so
//! that `cache.max_bytes` bounds memory and not only payload.

use crate::media::results::Variant;

/// Bytes a cached variant costs in memory: its body and key as the allocator
/// rounds them, plus the cache's own bookkeeping per entry (moka's entry,
/// its queue nodes and the `Arc<Variant>`; measured at under 256 bytes).
/// Counting what the allocator really hands out keeps `cache.max_bytes` a
/// bound on memory, not on payload (docs/reliability.md, "Load and soak").
pub(super) fn weight(key: &str, v: &Variant) -> u32 {
    let bytes = allocated_size(v.bytes.len()) + allocated_size(key.len()) + 256;
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// What a size-class allocator (jemalloc, the binary's) hands out for a
/// request of `n` bytes: 16-byte steps up to 64, then four classes per
/// doubling; allocations past 16 KiB also take one more page (jemalloc
/// offsets large allocations inside a page to spread cache lines).
fn allocated_size(n: usize) -> usize {
    const LARGE: usize = 16 << 10;
    const PAGE: usize = 4 << 10;
    if n <= 16 {
        return 16;
    }
    let lg = usize::BITS - 1 - (n - 1).leading_zeros();
    let step = (1usize << lg.saturating_sub(2)).max(16);
    let class = n.div_ceil(step) * step;
    if class > LARGE {
        class + PAGE
    } else {
        class
    }
}

#[cfg(test)]
mod tests {
    use super::allocated_size;

    #[test]
    fn sizes_round_up_to_the_allocators_classes() {
        let cases = [
            (0, 16),
            (1, 16),
            (16, 16),
            (17, 32),
            (33, 48),
            (64, 64),
            (65, 80),
            (129, 160),
            (1000, 1024),
            (1025, 1280),
            (16 << 10, 16 << 10),
            ((16 << 10) + 1, (20 << 10) + 4096),
            (17_000, (20 << 10) + 4096),
            (40_000, (40 << 10) + 4096),
            (1 << 20, (1 << 20) + 4096),
            ((1 << 20) + 1, (1280 << 10) + 4096),
        ];
        for (n, want) in cases {
            assert_eq!(allocated_size(n), want, "{n} bytes");
        }
    }
}
