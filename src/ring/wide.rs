//! Payload copies 16 bytes at a time on x86-64 processors with AVX: the same accesses, in the
//! model, as the word-wise atomic copies of [`raw`](super::raw), at up to 1.8 times their speed
//! for payloads of 128 bytes and more (`docs/wide-copies.md`).
//!
//! # Why they are sound (invariant W1 of `docs/protocol.md`)
//!
//! On a processor that reports AVX, Intel (SDM Vol. 3A §9.1.1) and AMD (APM Vol. 2 §7.3.2)
//! guarantee that a 16-byte-aligned `(V)MOVDQA` load or store to cacheable memory is performed
//! as a single access. Every outcome of such an access is an outcome of two relaxed `AtomicU64`
//! accesses to its two 8-byte halves done back to back, so each kernel below has the effect of
//! the word-wise atomic copy it replaces: ring-side accesses that are 8-aligned 8-byte relaxed
//! atomics in the model, the same size as every other access to ring words (frame headers, the
//! portable copy, lapped readers), as Rust requires of racing atomics. Private memory is plain
//! memory on both sides of the copy. The `asm!` blocks may touch memory (no `nomem`/`readonly`),
//! so the compiler keeps them between the fences around them, and x86-64 orders `MOVDQA` like
//! `MOV` (no non-temporal stores are used). Without AVX no such guarantee exists, and the
//! portable copy runs; so it does under Miri, which checks the protocol, and on other targets.

#[cfg(all(target_arch = "x86_64", not(miri)))]
use core::arch::asm;

use core::ptr::NonNull;

use crate::sync::{AtomicU8, AtomicU64, Ordering};

/// Payloads shorter than this are copied word by word: the kernels' setup costs more than
/// they save there.
pub(crate) const WIDE_MIN: usize = 128;

/// The environment variable that turns the kernels off, so that tests can run the portable
/// copy natively too.
pub(crate) const PORTABLE_ENV: &str = "BCAST_PORTABLE_COPY";

/// 0: not decided yet; 1: use the kernels; 2: copy word by word.
static STATE: AtomicU8 = AtomicU8::new(0);

/// Whether this process copies with the kernels: x86-64 with AVX, not under Miri, and
/// [`PORTABLE_ENV`] unset.
#[inline]
pub(crate) fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => decide(),
    }
}

/// The payload length from which this process copies with the kernels: [`WIDE_MIN`] where
/// they are [`enabled`], otherwise `usize::MAX` (never). Handles keep it, so that a copy tests
/// one length.
pub(crate) fn threshold() -> usize {
    if enabled() { WIDE_MIN } else { usize::MAX }
}

#[cold]
fn decide() -> bool {
    let wide = detected() && std::env::var_os(PORTABLE_ENV).is_none();
    STATE.store(if wide { 1 } else { 2 }, Ordering::Relaxed);
    wide
}

/// Stores `words` into the ring words from `ring` with the kernel, if [`enabled`] and the copy
/// is long and aligned enough; `false` if the caller must copy word by word instead.
///
/// # Safety
///
/// `ring` is the first of `words.len()` data-section words (only accessed atomically, M2).
#[inline]
pub(crate) unsafe fn store_words(ring: NonNull<AtomicU64>, words: &[[u8; 8]]) -> bool {
    let len = words.len() * 8;
    let dst = ring.as_ptr().cast::<u8>();
    if len < WIDE_MIN || !dst.addr().is_multiple_of(16) || !enabled() {
        return false;
    }
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `enabled`; `dst` is 16-aligned and its `len` bytes are ring words (contract),
    // only accessed atomically (M2), written through the `UnsafeCell` inside each `AtomicU64`;
    // `words` holds `len` readable bytes; `len` is a multiple of 8.
    unsafe {
        store(dst, words.as_ptr().cast(), len);
    }
    true
}

/// Loads the ring words from `ring` into `words` with the kernel, under the conditions of
/// [`store_words`]; `false` if the caller must copy word by word instead.
///
/// # Safety
///
/// As for [`store_words`].
#[inline]
pub(crate) unsafe fn load_words(words: &mut [[u8; 8]], ring: NonNull<AtomicU64>) -> bool {
    let len = words.len() * 8;
    let src = ring.as_ptr().cast::<u8>().cast_const();
    if len < WIDE_MIN || !src.addr().is_multiple_of(16) || !enabled() {
        return false;
    }
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `enabled` (so AVX); `src` is 16-aligned and its `len` bytes are ring words
    // (contract), only accessed atomically (M2); `words` is `len` writable private bytes;
    // `len` is a multiple of 8.
    unsafe {
        load(words.as_mut_ptr().cast(), src, len);
    }
    true
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
fn detected() -> bool {
    std::arch::is_x86_feature_detected!("avx")
}

#[cfg(not(all(target_arch = "x86_64", not(miri))))]
fn detected() -> bool {
    false
}

/// Copies `len` bytes from private `src` into ring memory at `dst` with 16-byte-aligned
/// `MOVDQA` stores and, for a last 8 bytes, one aligned 8-byte `MOV`.
///
/// # Safety
///
/// [`enabled`] returned `true`; `dst` is 16-aligned and `dst..dst + len` lies in ring memory
/// that is only accessed atomically (or by these kernels); `src..src + len` is readable;
/// `len` is a multiple of 8.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline]
unsafe fn store(dst: *mut u8, src: *const u8, len: usize) {
    debug_assert!(dst.addr().is_multiple_of(16) && len.is_multiple_of(8));
    // SAFETY: the caller's contract: the stores stay in `dst..dst + len` (64, then 16 bytes at
    // a time while that many remain, then 8), aligned as `MOVDQA` and `MOV` need, and the
    // loads in `src..src + len`; the block uses no stack.
    unsafe {
        asm!(
            "cmp {n}, 64",
            "jb 3f",
            "2:",
            "movdqu {x0}, xmmword ptr [{s}]",
            "movdqu {x1}, xmmword ptr [{s} + 16]",
            "movdqu {x2}, xmmword ptr [{s} + 32]",
            "movdqu {x3}, xmmword ptr [{s} + 48]",
            "movdqa xmmword ptr [{d}], {x0}",
            "movdqa xmmword ptr [{d} + 16], {x1}",
            "movdqa xmmword ptr [{d} + 32], {x2}",
            "movdqa xmmword ptr [{d} + 48], {x3}",
            "add {s}, 64",
            "add {d}, 64",
            "sub {n}, 64",
            "cmp {n}, 64",
            "jae 2b",
            "3:",
            "cmp {n}, 16",
            "jb 4f",
            "movdqu {x0}, xmmword ptr [{s}]",
            "movdqa xmmword ptr [{d}], {x0}",
            "add {s}, 16",
            "add {d}, 16",
            "sub {n}, 16",
            "jmp 3b",
            "4:",
            "test {n}, {n}",
            "jz 5f",
            "mov {t}, qword ptr [{s}]",
            "mov qword ptr [{d}], {t}",
            "5:",
            s = inout(reg) src => _,
            d = inout(reg) dst => _,
            n = inout(reg) len => _,
            t = out(reg) _,
            x0 = out(xmm_reg) _,
            x1 = out(xmm_reg) _,
            x2 = out(xmm_reg) _,
            x3 = out(xmm_reg) _,
            options(nostack),
        );
    }
}

/// Copies `len` bytes from ring memory at `src` into private `dst` with 16-byte-aligned
/// `VMOVDQA` loads and, for a last 8 bytes, one aligned 8-byte `MOV`; pairs of loads are
/// merged in registers and stored to `dst` 32 bytes at a time.
///
/// # Safety
///
/// [`enabled`] returned `true` (so the processor has AVX); `src` is 16-aligned and
/// `src..src + len` lies in ring memory that is only accessed atomically (or by these
/// kernels); `dst..dst + len` is writable and not ring memory; `len` is a multiple of 8.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline]
unsafe fn load(dst: *mut u8, src: *const u8, len: usize) {
    debug_assert!(src.addr().is_multiple_of(16) && len.is_multiple_of(8));
    // SAFETY: as for `load_avx`, whose AVX requirement `enabled` checked.
    unsafe { load_avx(dst, src, len) }
}

/// [`load`], compiled for AVX.
///
/// # Safety
///
/// As for [`load`].
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "avx")]
unsafe fn load_avx(dst: *mut u8, src: *const u8, len: usize) {
    let big = len & !127;
    // SAFETY: the caller's contract: the loads stay in `src..src + len` (128 bytes at a time
    // over `big`, then 16, then 8), aligned as `VMOVDQA` and `MOV` need, and the stores in
    // `dst..dst + len`; `VINSERTF128` with a register operand touches no memory; the block
    // uses no stack and clears the upper halves of the registers it used.
    unsafe {
        asm!(
            "test {i}, {i}",
            "jz 3f",
            "add {s}, {i}",
            "add {d}, {i}",
            "neg {i}",
            "2:",
            "vmovdqa xmm0, xmmword ptr [{s} + {i}]",
            "vmovdqa xmm1, xmmword ptr [{s} + {i} + 16]",
            "vmovdqa xmm2, xmmword ptr [{s} + {i} + 32]",
            "vmovdqa xmm3, xmmword ptr [{s} + {i} + 48]",
            "vmovdqa xmm4, xmmword ptr [{s} + {i} + 64]",
            "vmovdqa xmm5, xmmword ptr [{s} + {i} + 80]",
            "vmovdqa xmm6, xmmword ptr [{s} + {i} + 96]",
            "vmovdqa xmm7, xmmword ptr [{s} + {i} + 112]",
            "vinsertf128 ymm0, ymm0, xmm1, 1",
            "vinsertf128 ymm2, ymm2, xmm3, 1",
            "vinsertf128 ymm4, ymm4, xmm5, 1",
            "vinsertf128 ymm6, ymm6, xmm7, 1",
            "vmovdqu ymmword ptr [{d} + {i}], ymm0",
            "vmovdqu ymmword ptr [{d} + {i} + 32], ymm2",
            "vmovdqu ymmword ptr [{d} + {i} + 64], ymm4",
            "vmovdqu ymmword ptr [{d} + {i} + 96], ymm6",
            "add {i}, 128",
            "jnz 2b",
            "3:",
            "cmp {r}, 16",
            "jb 4f",
            "vmovdqa xmm1, xmmword ptr [{s}]",
            "vmovdqu xmmword ptr [{d}], xmm1",
            "add {s}, 16",
            "add {d}, 16",
            "sub {r}, 16",
            "jmp 3b",
            "4:",
            "test {r}, {r}",
            "jz 5f",
            "mov {t}, qword ptr [{s}]",
            "mov qword ptr [{d}], {t}",
            "5:",
            "vzeroupper",
            s = inout(reg) src => _,
            d = inout(reg) dst => _,
            i = inout(reg) big => _,
            r = inout(reg) len - big => _,
            t = out(reg) _,
            out("ymm0") _,
            out("ymm1") _,
            out("ymm2") _,
            out("ymm3") _,
            out("ymm4") _,
            out("ymm5") _,
            out("ymm6") _,
            out("ymm7") _,
            options(nostack),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ring words at a 16-aligned address, with sentinels around them.
    fn aligned_words(storage: &[AtomicU64], count: usize) -> &[AtomicU64] {
        let skip = usize::from(!storage.as_ptr().addr().is_multiple_of(16));
        &storage[skip + 2..skip + 2 + count]
    }

    fn store(ring: &[AtomicU64], words: &[[u8; 8]]) -> bool {
        assert_eq!(ring.len(), words.len());
        // SAFETY: `ring` is `words.len()` atomics, standing in for ring words.
        unsafe { store_words(NonNull::from(ring).cast(), words) }
    }

    fn load(words: &mut [[u8; 8]], ring: &[AtomicU64]) -> bool {
        assert_eq!(ring.len(), words.len());
        // SAFETY: as in `store`.
        unsafe { load_words(words, NonNull::from(ring).cast()) }
    }

    #[test]
    fn the_kernels_copy_exactly_the_words_asked_for() {
        const SENTINEL: u64 = 0xDEAD_BEEF_DEAD_BEEF;
        for words in 0..=160 {
            let storage: Vec<AtomicU64> =
                (0..words + 8).map(|_| AtomicU64::new(SENTINEL)).collect();
            let ring = aligned_words(&storage, words);
            let src: Vec<[u8; 8]> =
                (0..words as u64).map(|i| (i * 0x0101_0101 + 7).to_ne_bytes()).collect();
            let len = words * 8;
            let stored = store(ring, &src);
            assert_eq!(stored, len >= WIDE_MIN && enabled(), "{len} bytes");
            if !stored {
                continue;
            }
            for (slot, word) in ring.iter().zip(&src) {
                assert_eq!(slot.load(Ordering::Relaxed).to_ne_bytes(), *word, "{len} bytes");
            }
            let sentinels = storage.iter().filter(|w| w.load(Ordering::Relaxed) == SENTINEL);
            assert_eq!(
                sentinels.count(),
                storage.len() - words,
                "{len} bytes: stored past the end"
            );

            // An odd offset in the private buffer: the kernels' private side is unaligned.
            let mut back = vec![[0u8; 8]; words + 1];
            assert!(load(&mut back[1..], ring));
            assert_eq!(&back[1..], &src[..], "{len} bytes");
            assert_eq!(back[0], [0; 8], "{len} bytes: loaded before the start");
        }
    }

    #[test]
    fn misaligned_or_short_copies_are_left_to_the_word_by_word_loop() {
        let storage: Vec<AtomicU64> = (0..64).map(|_| AtomicU64::new(0)).collect();
        let aligned = aligned_words(&storage, 40);
        let src = vec![[1u8; 8]; 40];
        assert!(!store(&aligned[1..], &src[1..]), "an 8-byte-aligned ring address");
        assert!(!store(&aligned[..15], &src[..15]), "120 bytes");
        let mut back = vec![[0u8; 8]; 40];
        assert!(!load(&mut back[1..], &aligned[1..]));
    }
}
