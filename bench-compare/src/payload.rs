//! Payload stamps: every message carries its sequence number, so that the receiver can verify
//! every sample (nothing lost in a ping-pong, nothing torn or reordered anywhere).
//!
//! ```text
//! bytes 0..8          sequence number (little endian)
//! bytes 8..16         free for the caller (the fan-out bench puts a send timestamp there)
//! bytes len-8..len    sequence number XOR `TAIL_KEY`
//! ```
//!
//! Stamping both ends of the payload means a message torn anywhere between its first and last
//! word is caught, at the cost of two 8-byte writes and reads per message (paid equally by every
//! crate). Payloads are at least [`MIN_LEN`] bytes.

/// Smallest payload the stamps fit in: head, caller word, tail.
pub const MIN_LEN: usize = 24;

const TAIL_KEY: u64 = 0x5A5A_C3C3_0F0F_9696;

/// Writes `seq` into the head and tail of `buf`.
///
/// # Panics
///
/// If `buf` is shorter than [`MIN_LEN`].
#[inline]
pub fn stamp(buf: &mut [u8], seq: u64) {
    assert!(buf.len() >= MIN_LEN, "payloads carry at least {MIN_LEN} bytes");
    let tail = buf.len() - 8;
    buf[..8].copy_from_slice(&seq.to_le_bytes());
    buf[tail..].copy_from_slice(&(seq ^ TAIL_KEY).to_le_bytes());
}

/// Writes `word` into bytes 8..16 of `buf` (a timestamp, say).
///
/// # Panics
///
/// If `buf` is shorter than 16 bytes.
#[inline]
pub fn put_word(buf: &mut [u8], word: u64) {
    buf[8..16].copy_from_slice(&word.to_le_bytes());
}

/// Reads bytes 8..16 of `buf`.
///
/// # Panics
///
/// If `buf` is shorter than 16 bytes.
#[inline]
pub fn word(buf: &[u8]) -> u64 {
    u64::from_le_bytes(buf[8..16].try_into().expect("8 bytes"))
}

/// The sequence number of the stamped payload `buf[..len]`, or `None` if it is not a whole one
/// of `expected_len` bytes (wrong length, or head and tail stamps that disagree: torn).
///
/// # Panics
///
/// If `buf` is shorter than `len`.
#[inline]
pub fn verify(buf: &[u8], len: usize, expected_len: usize) -> Option<u64> {
    if len != expected_len || len < MIN_LEN {
        return None;
    }
    let seq = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
    let tail = u64::from_le_bytes(buf[len - 8..len].try_into().expect("8 bytes"));
    (tail ^ TAIL_KEY == seq).then_some(seq)
}

/// Checks that `buf` holds a whole stamped payload of `len` bytes and returns its sequence
/// number.
///
/// # Panics
///
/// If [`verify`] fails: the bench has seen a torn or foreign message, and its figures would be
/// meaningless.
#[inline]
pub fn check(buf: &[u8], len: usize, expected_len: usize) -> u64 {
    match verify(buf, len, expected_len) {
        Some(seq) => seq,
        None => panic!("torn or foreign payload ({len} bytes, expected {expected_len})"),
    }
}

#[cfg(test)]
mod tests {
    use super::{check, put_word, stamp, word};

    #[test]
    fn stamps_round_trip_and_catch_tears() {
        let mut buf = [0u8; 32];
        stamp(&mut buf, 41);
        put_word(&mut buf, 7);
        assert_eq!((check(&buf, 32, 32), word(&buf)), (41, 7));
        buf[31] ^= 1;
        assert!(std::panic::catch_unwind(move || check(&buf, 32, 32)).is_err());
    }
}
