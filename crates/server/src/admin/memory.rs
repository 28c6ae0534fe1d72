//! The allocator's own account of memory, for `/metrics`: how much the
//! program holds (`allocated`), how much of the heap that occupies in pages
//! (`active`: allocated plus size-class rounding) and how much is resident
//! (`resident`: active plus the allocator's metadata and freed pages not yet
//! returned to the kernel). Read from jemalloc, the `signet` binary's global
//! allocator; in a program that does not use it the figures are jemalloc's
//! own (near zero).

use tikv_jemalloc_ctl::{epoch, stats};

/// One reading, in bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    pub(crate) allocated: u64,
    pub(crate) active: u64,
    pub(crate) resident: u64,
}

/// Refreshes jemalloc's statistics and reads them; `None` when it cannot.
pub(crate) fn read() -> Option<Memory> {
    epoch::advance().ok()?;
    let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Some(Memory {
        allocated: as_u64(stats::allocated::read().ok()?),
        active: as_u64(stats::active::read().ok()?),
        resident: as_u64(stats::resident::read().ok()?),
    })
}
