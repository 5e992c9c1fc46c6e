//! Rings too large for a frame's 32-bit length field: the MTU is capped so that no length is
//! ever truncated. The 32 GiB ring lives in lazily committed caller memory, so only the pages
//! the test touches are ever allocated.
#![cfg(all(target_os = "linux", target_pointer_width = "64", not(miri)))]

use core::ptr::NonNull;

use bcast::{Error, RingBuffer};

/// Anonymous memory that the kernel allocates page by page on first touch.
struct LazyMemory {
    base: NonNull<u8>,
    len: usize,
}

impl LazyMemory {
    fn new(len: usize) -> Option<Self> {
        // SAFETY: an anonymous private mapping with no address hint; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(Self { base: NonNull::new(ptr.cast()).expect("mmap never returns 0"), len })
    }
}

impl Drop for LazyMemory {
    fn drop(&mut self) {
        // SAFETY: `base` and `len` describe the mapping made in `new`, which no handle uses
        // any more (they were dropped first).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

#[test]
fn the_mtu_of_rings_of_32_and_64_gib_fits_the_frame_length_field() {
    for capacity in [1usize << 32, 1 << 34, 1 << 35, 1 << 36] {
        let Some(memory) = LazyMemory::new(RingBuffer::region_len(capacity)) else {
            println!("SKIPPED {capacity}: cannot reserve the address space");
            continue;
        };
        // SAFETY: the mapping is valid for `len` bytes and outlives every handle, which are
        // dropped at the end of this iteration before `memory`; nothing else touches it.
        let ring = unsafe { RingBuffer::init_raw(memory.base, memory.len) }.expect("init");
        assert_eq!(ring.capacity(), capacity);
        let expected = (capacity / 4 - 32).min((1 << 32) - 32);
        assert_eq!(ring.mtu(), expected, "capacity {capacity}");
        let mut writer = ring.into_writer();
        // One byte over the cap is refused before anything is allocated or written.
        let over = writer.mtu() + 1;
        assert_eq!(
            writer.claim(over).map(drop).unwrap_err(),
            Error::MtuLimitExceeded { len: over, mtu: expected }
        );
        drop(writer);
    }
}
