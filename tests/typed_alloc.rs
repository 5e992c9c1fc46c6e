//! Steady-state typed publishing and reading do not allocate: a counting global allocator
//! watches this thread while messages of both codecs go through a heap ring.
#![cfg(not(miri))]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::feed::{Feed, FeedView, Level, Quote, Trade};
use common::heap_channel;

struct Counting;

thread_local! {
    /// Allocations made by this thread; const-initialised, so reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the caller's arguments; counting only touches a
// thread-local `Cell`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn publishing_and_reading_do_not_allocate_once_warm() -> Result<(), Box<dyn std::error::Error>> {
    let (mut publisher, mut subscriber) = heap_channel::<Feed>(1 << 16)?;
    let levels = (0..5).map(|i| Level { price: f64::from(i), qty: 7 }).collect();
    let symbol = "a symbol longer than eight bytes".into();
    let quote = Quote { symbol, bid: 1.5, levels, venue: None, id: 3 };
    let trade = Trade { price: 2.5, qty: 4 };

    let mut round =
        |publisher: &mut bcast::typed::Publisher<Feed>| -> Result<u64, Box<dyn std::error::Error>> {
            let mut seen = 0;
            for _ in 0..50 {
                publisher.publish(&quote)?;
                publisher.publish(&trade)?;
                seen += u64::from(subscriber.try_recv()?.is_some());
                seen += u64::from(subscriber.try_recv()?.is_some());
            }
            for _ in 0..50 {
                publisher.publish(&quote)?;
                publisher.publish(&trade)?;
            }
            for view in subscriber.batch_iter() {
                seen += u64::from(match view? {
                    FeedView::Quote(q) => q.levels.len() == 5,
                    FeedView::Trade(t) => t.qty == 4,
                });
            }
            Ok(seen)
        };
    let start = allocations();
    assert_eq!(round(&mut publisher)?, 200); // warms the scratch, the arena and the batch slots
    assert!(allocations() > start, "the counter sees the warm-up's allocations");
    let before = allocations();
    assert_eq!(round(&mut publisher)?, 200);
    assert_eq!(allocations() - before, 0, "steady-state publish and read allocated");
    Ok(())
}
