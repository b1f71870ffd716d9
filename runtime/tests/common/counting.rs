//! A global allocator that counts the allocations of the current thread, for
//! tests that assert how many a request makes. A test binary installs it with
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: counting::Counting = counting::Counting;
//! ```
//!
//! Shared by `runtime/tests/alloc.rs`, `tests/tests/route_levels.rs` and
//! `tests/tests/builder_first.rs`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Forwards to [`System`], counting every allocation of the calling thread.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made by the current thread so far.
pub fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// The output of `future`, which must complete on its first poll, and the
/// allocations the current thread made creating, polling and dropping it.
#[allow(dead_code)] // not every test binary that counts needs it
pub fn allocations_of<F: Future>(make: impl FnOnce() -> F) -> (F::Output, usize) {
    let before = allocations();
    let output = {
        let mut future = pin!(make());
        let Poll::Ready(output) = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        else {
            panic!("expected an answer on the first poll");
        };
        output
    };
    (output, allocations() - before)
}
