//! Storing a channel's registry in a ring header, and checking a stored one.

use super::error::TypedOpenError;
use super::message::Channel;
use super::registry::{Registry, SchemaMismatch};
use crate::ring::header::REGISTRY_CAPACITY;
use crate::ring_buffer::{ReadWrite, RingBuffer};

/// Stores `C`'s registry in a ring that has none; checks the stored one otherwise.
///
/// The caller holds the ring's writer (or its creation lock), so nobody else stores at the same
/// time.
pub(crate) fn store_or_check<C: Channel>(
    ring: &RingBuffer<ReadWrite>,
) -> Result<(), TypedOpenError> {
    let ours = Registry::of::<C>();
    match stored(ring)? {
        Some(theirs) => compare(ring, ours, theirs),
        None => {
            let bytes = ours.to_bytes();
            if ring.store_registry(&bytes) {
                Ok(())
            } else {
                Err(TypedOpenError::RegistryTooLarge {
                    channel: C::NAME,
                    len: bytes.len(),
                    max: REGISTRY_CAPACITY,
                })
            }
        }
    }
}

/// Checks that the registry stored in `ring` is `C`'s.
pub(crate) fn check<C: Channel, A>(ring: &RingBuffer<A>) -> Result<(), TypedOpenError> {
    match stored(ring)? {
        Some(theirs) => compare(ring, Registry::of::<C>(), theirs),
        None => Err(TypedOpenError::Untyped { path: ring.path().map(ToOwned::to_owned) }),
    }
}

fn stored<A>(ring: &RingBuffer<A>) -> Result<Option<Registry>, TypedOpenError> {
    Registry::read_from(ring).map_err(|reason| TypedOpenError::CorruptRegistry {
        path: ring.path().map(ToOwned::to_owned),
        reason,
    })
}

fn compare<A>(
    ring: &RingBuffer<A>,
    ours: Registry,
    theirs: Registry,
) -> Result<(), TypedOpenError> {
    if ours.matches(&theirs) {
        return Ok(());
    }
    let path = ring.path().map(ToOwned::to_owned);
    Err(TypedOpenError::Mismatch(Box::new(SchemaMismatch { path, ours, theirs })))
}
