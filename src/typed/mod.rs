//! Typed messages on the byte ring.
