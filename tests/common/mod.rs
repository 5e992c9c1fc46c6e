//! Fixtures shared by the integration tests.
#![allow(dead_code, unreachable_pub)]
// Test data is derived from counters by deliberate truncation.
#![allow(clippy::cast_possible_truncation)]

use std::path::PathBuf;

/// A payload of `len` bytes that encodes `seq` and can be checked for tearing: the first 8 bytes
/// are `seq`, every following byte is derived from `seq` and its index.
pub fn payload(seq: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    fill_payload(seq, &mut bytes);
    bytes
}

/// Writes the payload for `seq` into `buf` (see [`payload`]).
pub fn fill_payload(seq: u64, buf: &mut [u8]) {
    let head = seq.to_le_bytes();
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte = if i < 8 { head[i] } else { pattern(seq, i) };
    }
}

/// Checks a received payload and returns its sequence number, or panics naming the torn byte.
pub fn check_payload(bytes: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    let n = bytes.len().min(8);
    head[..n].copy_from_slice(&bytes[..n]);
    let seq = u64::from_le_bytes(head);
    if bytes.len() >= 8 {
        for (i, &byte) in bytes.iter().enumerate().skip(8) {
            assert_eq!(byte, pattern(seq, i), "torn payload: byte {i} of message {seq}");
        }
    }
    seq
}

/// Payload length used for message `seq` by the tests that vary sizes: 8 to `max` bytes.
pub fn len_for(seq: u64, max: usize) -> usize {
    8 + (seq.wrapping_mul(2_654_435_761) % (max as u64 - 7)) as usize
}

fn pattern(seq: u64, i: usize) -> u8 {
    (seq as u8).wrapping_mul(31).wrapping_add(i as u8)
}

/// A `/dev/shm` path unique to this process and `name`, removed when dropped.
pub struct ShmPath(pub PathBuf);

impl ShmPath {
    pub fn new(name: &str) -> Self {
        let path = PathBuf::from(format!("/dev/shm/bcast-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }
}

impl Drop for ShmPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
