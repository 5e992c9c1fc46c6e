//! Atomics used by the ring protocol: the one place that names `core::sync::atomic`.

pub(crate) use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering, fence};
