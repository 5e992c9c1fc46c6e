//! Heap rings take their memory when made (`with_capacity`) or as the writer reaches it
//! (`with_capacity_lazy`): what the process's resident set says. A test binary of its own, so
//! that no other test allocates meanwhile.
#![cfg(all(target_os = "linux", not(miri)))]

use bcast::RingBuffer;

/// Bytes of the ring in these tests: large enough to stand out of the test harness's own.
const CAPACITY: usize = 64 << 20;
const MIB: u64 = 1 << 20;

/// The process's resident memory, from `/proc/self/statm` (in pages of 4 KiB).
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|f| f.parse().ok()).expect("rss");
    pages * 4096
}

#[test]
fn a_ring_is_resident_when_made_and_a_lazy_one_as_it_is_written() {
    let before = resident();
    let lazy = RingBuffer::with_capacity_lazy(CAPACITY);
    let lazy_made = resident().saturating_sub(before);
    assert!(lazy_made < 8 * MIB, "a lazy ring took {} MiB when made", lazy_made / MIB);

    // Writing one lap makes the lazy ring resident.
    let mut writer = lazy.into_writer();
    let payload = vec![7u8; 4096];
    for _ in 0..CAPACITY / 4096 {
        writer.send(&payload).expect("send");
    }
    let lazy_written = resident().saturating_sub(before);
    assert!(lazy_written > 56 * MIB, "after a lap: {} MiB", lazy_written / MIB);
    drop(writer);

    let before = resident();
    let ring = RingBuffer::with_capacity(CAPACITY);
    let made = resident().saturating_sub(before);
    assert!(made > 56 * MIB, "a prefaulted ring took only {} MiB when made", made / MIB);
    drop(ring);
}
