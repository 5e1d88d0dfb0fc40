//! A global allocator for kql's benchmarks that counts allocations, but only
//! while counting is switched on, so timed loops pay one relaxed load per
//! allocation and nothing else.
//!
//! It lives in its own crate because `kql` forbids `unsafe` in every target,
//! and implementing [`GlobalAlloc`] needs it. Usage, in a bench:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: kql_count_alloc::Counting = kql_count_alloc::Counting;
//! let (result, allocations) = kql_count_alloc::count(|| work());
//! ```
//!
//! Counts are process-wide; the benchmarks are single-threaded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// The allocator: [`System`], plus counting while [`count`] runs.
pub struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// plain atomics and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
        }
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
        }
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON.load(Relaxed) {
            REALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(new_size.saturating_sub(layout.size()) as u64, Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// What [`count`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Fresh allocations (`alloc`, `alloc_zeroed`).
    pub allocs: u64,
    /// Reallocations (a `Vec` or `String` growing).
    pub reallocs: u64,
    /// Bytes requested by allocations plus the growth of reallocations.
    pub bytes: u64,
}

/// Runs `f` with counting on and returns its result with the counts. Only
/// meaningful with [`Counting`] installed as the `#[global_allocator]`.
pub fn count<T>(f: impl FnOnce() -> T) -> (T, Counts) {
    ALLOCS.store(0, Relaxed);
    REALLOCS.store(0, Relaxed);
    BYTES.store(0, Relaxed);
    ON.store(true, Relaxed);
    let out = f();
    ON.store(false, Relaxed);
    let c = Counts {
        allocs: ALLOCS.load(Relaxed),
        reallocs: REALLOCS.load(Relaxed),
        bytes: BYTES.load(Relaxed),
    };
    (out, c)
}
