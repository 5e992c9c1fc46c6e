//! The channel layout (version 4) as the protocol page gives it, for tests that write headers
//! and frames as a corrupt or hostile writer would. Indices count 8-byte words from the start of
//! the channel.

/// Words before the data section.
pub const HEADER_WORDS: usize = 65536 / 8;
/// Words of the header struct (the rest of its page is reserved).
pub const HEADER_STRUCT_WORDS: usize = 512 / 8;
/// The header word with the bytes of metadata sections published.
pub const METADATA_LEN: usize = 40 / 8;
/// The first word of the metadata area.
pub const METADATA: usize = 8192 / 8;
/// The first of the eight checkpoints.
pub const CHECKPOINTS: usize = 64 / 8;
/// The claimed frontier.
pub const CLAIMED: usize = 128 / 8;
/// The committed frontier.
pub const COMMITTED: usize = 256 / 8;
/// The number of messages published.
pub const FRAMES: usize = COMMITTED + 1;

/// Bytes of a frame header.
pub const FRAME_HEADER: usize = 32;

/// The commit word of a message frame with a `len`-byte payload.
pub fn message_commit(len: u32) -> u64 {
    u64::from(len) | (1 << 32)
}

/// The commit word of a padding frame spanning `span` bytes.
pub fn padding_commit(span: u32) -> u64 {
    u64::from(span) | (2 << 32)
}

/// Bytes a message frame with a `len`-byte payload occupies.
pub fn frame_len(len: usize) -> usize {
    (FRAME_HEADER + len + 15) & !15
}
