//! [`StopHandle`]: asks a running relay to return.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Asks an [`Exporter`](crate::Exporter) or [`Importer`](crate::Importer) to stop: its `run`
/// returns within about 100 ms. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the relay to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}
