//! The futex on a wake word: a parked reader sleeps until the word's low half changes or the
//! writer wakes it. Linux only; elsewhere a parked reader sleeps briefly and polls again, and
//! waking is a no-op, so readers still see every message, later.

use std::time::Duration;

use crate::sync::AtomicU64;

/// Address of the futex: the low 32 bits of `word`.
#[cfg(target_os = "linux")]
fn futex_word(word: &AtomicU64) -> *const u32 {
    let low_half = if cfg!(target_endian = "little") { 0 } else { 4 };
    word.as_ptr().cast::<u8>().wrapping_add(low_half).cast()
}

/// Sleeps until `word`'s low half no longer holds the low half of `seen`, a wake-up, or
/// `timeout`.
#[cfg(target_os = "linux")]
pub(super) fn wait(word: &AtomicU64, seen: u64, timeout: Duration) {
    let timeout = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(timeout.subsec_nanos().min(999_999_999) as i32),
    };
    #[allow(clippy::cast_possible_truncation)] // the futex compares the low 32 bits
    let expected = seen as u32;
    // SAFETY: the futex word is a valid, aligned 4-byte location inside the atomic `word`,
    // which outlives the call; `timeout` is a valid timespec. FUTEX_WAIT only reads the word.
    // The result is ignored: a wake-up, a changed word, a timeout or a signal all lead the
    // caller to re-check the ring.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            futex_word(word),
            libc::FUTEX_WAIT,
            expected,
            &raw const timeout,
        );
    }
}

/// Wakes every thread waiting on `word`'s futex; returns how many there were (0 on error).
#[cfg(target_os = "linux")]
pub(super) fn wake(word: &AtomicU64) -> u64 {
    // SAFETY: the futex word is a valid, aligned 4-byte location inside `word`; FUTEX_WAKE does
    // not access memory beyond looking the address up.
    let woken =
        unsafe { libc::syscall(libc::SYS_futex, futex_word(word), libc::FUTEX_WAKE, i32::MAX) };
    u64::try_from(woken).unwrap_or(0)
}

/// Sleeps briefly: without a futex, a parked reader polls.
#[cfg(not(target_os = "linux"))]
pub(super) fn wait(_word: &AtomicU64, _seen: u64, timeout: Duration) {
    std::thread::sleep(timeout.min(Duration::from_micros(50)));
}

/// Nothing to wake without a futex; no thread was woken.
#[cfg(not(target_os = "linux"))]
pub(super) fn wake(_word: &AtomicU64) -> u64 {
    0
}
