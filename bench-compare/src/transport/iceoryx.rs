//! iceoryx2 0.10.0 (its publish-subscribe service, `[u8]` slice payloads) behind the bench
//! interface.
//!
//! # Configuration: as close to a broadcast ring as iceoryx2 allows
//!
//! - **Service variants.** `/dev/shm` rows use [`ipc::Service`] (shared memory, what iceoryx2 is
//!   for). Heap rows (threads of one process) use [`local::Service`]: the same ports, queues and
//!   pool allocator over process-local memory, which is iceoryx2's own in-process equivalent and
//!   the fair counterpart of a heap ring.
//! - **The writer never blocks.** `enable_safe_overflow(true)` on the service: when a subscriber's
//!   queue is full, the publisher recycles the oldest sample in it instead of waiting; the
//!   publisher's backpressure strategy is also [`BackpressureStrategy::DiscardData`] (it only
//!   applies without safe overflow, and says "never wait" there too).
//! - **Buffer and history.** Each subscriber queue holds `capacity / max_len` samples (at least 2,
//!   at most [`MAX_SLOTS`]): the messages of the largest size that a ring of the same capacity
//!   holds, one lap. History is 0: a ring's reader starts at the writer's position, and a
//!   subscriber that asks for no history does the same; history would cost the publisher one
//!   more queue operation per sample.
//! - **Slots.** `initial_max_slice_len` is the largest message of the run, with the static
//!   allocation strategy (no re-allocation while measuring); one publisher, one loan at a time,
//!   one borrowed sample per subscriber.
//! - **Subscribers.** Room for [`MAX_SUBSCRIBERS`] (4): a broadcast service, not a 1:1 channel,
//!   though every run here connects one. The publisher visits each connection slot on every
//!   send, so a user with exactly one subscriber would set 1 and save a little.
//! - **Writes.** [`Sender::send`] is `loan_slice_uninit` + `write_from_slice` + `send`, the slice
//!   form of `send_copy` (which 0.10 offers for sized payloads only). [`Sender::publish`] loans
//!   the same way and lets the caller fill the slot in place; the safe API only hands out
//!   initialised bytes, so the slot is zeroed first (one `memset` of the message; `publish` is
//!   not in the benches' iceoryx2 rows).
//! - **Reads.** [`Receiver::try_recv`] is `receive`, a copy of the payload into the caller's
//!   buffer (as the rings' `try_recv` does), and the sample's drop, which returns it to the
//!   publisher.
//!
//! # What is not like-for-like
//!
//! - Fixed-size slots: every sample takes `initial_max_slice_len` bytes whatever its length; a
//!   ring packs variable-size frames back to back.
//! - Samples go back to the publisher: a reader's `receive` and drop are two queue operations on
//!   memory the publisher also writes, where a ring reader only reads.
//! - A full queue loses its oldest sample silently: iceoryx2 reports no overrun, so this adapter
//!   never returns [`Recv::Overrun`], and a reader that falls behind sees a jump in the sequence.
//! - It does not keep samples for a reader that does not exist yet (history 0, see above), so
//!   writer-alone runs keep one idle subscriber connected ([`Channel::STORES_WITHOUT_READER`]).
//!
//! # Files
//!
//! Every process of a run uses one [`Config`] whose root directory and file prefix carry the
//! run's id ([`run_id`]): `/tmp/bcast-bench-iox2-<id>/` and `/dev/shm/bcbiox<id>_*`.
//! [`Cleanup`] removes both, also when a bench panics; the iceoryx2 handles remove their own
//! files on drop first.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use iceoryx2::port::publisher::Publisher;
use iceoryx2::port::subscriber::Subscriber;
use iceoryx2::prelude::{
    AllocationStrategy, BackpressureStrategy, Config, FileName, LogLevel, Node, NodeBuilder,
    SemanticString, ServiceName, SignalHandlingMode, ipc, local, set_log_level,
};
use iceoryx2::service::Service;
use iceoryx2::service::port_factory::publish_subscribe::PortFactory;

use super::{Channel, Factory, Receiver, Recv, Sender, ShmNames};

/// Most samples a subscriber queue holds.
pub const MAX_SLOTS: usize = 4096;
/// Most subscribers a service accepts (every run here connects one per service).
pub const MAX_SUBSCRIBERS: usize = 4;
/// Environment variable that passes a run's id to the processes it starts.
pub const RUN_ENV: &str = "BCAST_BENCH_IOX2_RUN";

/// The id that names this run's files: [`RUN_ENV`] if set (an echo process), else this
/// process's id.
pub fn run_id() -> String {
    std::env::var(RUN_ENV).unwrap_or_else(|_| std::process::id().to_string())
}

fn root_dir(run: &str) -> PathBuf {
    std::env::temp_dir().join(format!("bcast-bench-iox2-{run}"))
}

fn prefix(run: &str) -> String {
    format!("bcbiox{run}_")
}

/// The iceoryx2 configuration of this run: its own root directory and file prefix, and
/// warnings only on the console.
///
/// # Panics
///
/// If the temporary directory's path does not fit iceoryx2's path type.
pub fn config() -> Config {
    set_log_level(LogLevel::Warn);
    let run = run_id();
    let mut config = Config::default();
    let root = root_dir(&run);
    let root = root.to_str().expect("a UTF-8 temporary directory");
    config.global.set_root_path(
        &iceoryx2::prelude::Path::new(root.as_bytes()).expect("a valid iceoryx2 root path"),
    );
    config.global.prefix = FileName::new(prefix(&run).as_bytes()).expect("a valid file prefix");
    config
}

/// Removes this run's iceoryx2 files when dropped (keep one alive for the whole bench).
#[derive(Debug)]
pub struct Cleanup {
    run: String,
}

impl Cleanup {
    /// Guards the files of [`run_id`].
    pub fn new() -> Self {
        Self { run: run_id() }
    }
}

impl Default for Cleanup {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(root_dir(&self.run));
        let prefix = prefix(&self.run);
        let Ok(entries) = std::fs::read_dir("/dev/shm") else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// A port (a publisher or a subscriber) and the service and node it needs, dropped in that order.
pub struct IoxPort<P, S: Service> {
    port: P,
    _service: PortFactory<S, [u8], ()>,
    _node: Node<S>,
}

impl<P, S: Service> std::fmt::Debug for IoxPort<P, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoxPort").field("port", &std::any::type_name::<P>()).finish_non_exhaustive()
    }
}

/// A publisher, with its service and node.
pub type IoxSender<S> = IoxPort<Publisher<S, [u8], ()>, S>;

/// A subscriber, with its service and node.
pub type IoxReceiver<S> = IoxPort<Subscriber<S, [u8], ()>, S>;

impl<S: Service> IoxSender<S> {
    #[inline]
    fn send_slice(&mut self, payload: &[u8]) {
        let sample = self.port.loan_slice_uninit(payload.len()).expect("iceoryx2: loan");
        sample.write_from_slice(payload).send().expect("iceoryx2: send");
    }

    #[inline]
    fn publish_in_place(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        let sample = self.port.loan_slice_uninit(len).expect("iceoryx2: loan");
        let mut sample = sample.write_from_fn(|_| 0);
        fill(sample.payload_mut());
        sample.send().expect("iceoryx2: send");
    }
}

impl<S: Service> IoxReceiver<S> {
    #[inline]
    fn receive_into(&mut self, buf: &mut [u8]) -> Recv {
        match self.port.receive() {
            Ok(Some(sample)) => {
                let payload = sample.payload();
                buf[..payload.len()].copy_from_slice(payload);
                Recv::Message(payload.len())
            }
            Ok(None) => Recv::Empty,
            Err(error) => panic!("iceoryx2: receive failed: {error:?}"),
        }
    }
}

/// One publish-subscribe service; each thread or process makes its own node and port from it.
#[derive(Debug)]
pub struct IoxChannel<S> {
    name: String,
    slots: usize,
    max_len: usize,
    _service: PhantomData<fn() -> S>,
}

/// The service over `/dev/shm`.
pub type IpcChannel = IoxChannel<ipc::Service>;
/// The process-local service (heap).
pub type LocalChannel = IoxChannel<local::Service>;

impl<S: Service> IoxChannel<S> {
    /// The service named after `path`'s file name (so that [`super::ShmNames`] makes its names
    /// unique), of queues as long as a ring of `capacity` bytes holding `max_len`-byte messages.
    ///
    /// # Panics
    ///
    /// If `path` has no file name.
    pub fn new(path: &Path, capacity: usize, max_len: usize) -> Self {
        let name = path.file_name().expect("a channel name").to_string_lossy().into_owned();
        let slots = (capacity / max_len.max(1)).clamp(2, MAX_SLOTS);
        Self { name, slots, max_len, _service: PhantomData }
    }

    fn node(&self) -> Node<S> {
        NodeBuilder::new()
            .config(&config())
            .signal_handling_mode(SignalHandlingMode::Disabled)
            .create::<S>()
            .unwrap_or_else(|e| panic!("iceoryx2: node for {}: {e:?}", self.name))
    }

    /// The service with this channel's settings, created (by the writer) or opened.
    fn service(&self, node: &Node<S>, create: bool) -> PortFactory<S, [u8], ()> {
        let name = ServiceName::new(&self.name).expect("a valid service name");
        let builder = node
            .service_builder(&name)
            .publish_subscribe::<[u8]>()
            .enable_safe_overflow(true)
            .subscriber_max_buffer_size(self.slots)
            .subscriber_max_borrowed_samples(1)
            .history_size(0)
            .max_publishers(1)
            .max_subscribers(MAX_SUBSCRIBERS);
        let service = if create {
            builder.create().map_err(|e| format!("create: {e:?}"))
        } else {
            builder.open().map_err(|e| format!("open: {e:?}"))
        };
        service.unwrap_or_else(|e| panic!("iceoryx2: service {}: {e}", self.name))
    }
}

impl<S: Service> IoxChannel<S> {
    /// A port that `build` makes on this channel's service (which the writer creates and readers
    /// open), with the node and service it needs; `kind` names the port in a panic message.
    fn port<P, E: std::fmt::Debug>(
        &self,
        create: bool,
        kind: &str,
        build: impl FnOnce(&PortFactory<S, [u8], ()>) -> Result<P, E>,
    ) -> IoxPort<P, S> {
        let node = self.node();
        let service = self.service(&node, create);
        let port =
            build(&service).unwrap_or_else(|e| panic!("iceoryx2: {kind} {}: {e:?}", self.name));
        IoxPort { port, _service: service, _node: node }
    }

    fn make_writer(&self) -> IoxSender<S> {
        self.port(true, "publisher", |service| {
            service
                .publisher_builder()
                .initial_max_slice_len(self.max_len)
                .allocation_strategy(AllocationStrategy::Static)
                .backpressure_strategy(BackpressureStrategy::DiscardData)
                .max_loaned_samples(1)
                .create()
        })
    }

    fn make_reader(&self) -> IoxReceiver<S> {
        self.port(false, "subscriber", |service| {
            service.subscriber_builder().buffer_size(self.slots).create()
        })
    }
}

/// The bench traits for one service variant. The impls are concrete, not generic over the
/// variant, so that iceoryx2's set-up code is compiled once, in this library, instead of in every
/// bench that uses it; only the hot calls (`send`, `try_recv`) are inlined into the benches.
macro_rules! bench_traits {
    ($service:ty) => {
        impl Sender for IoxSender<$service> {
            #[inline]
            fn send(&mut self, payload: &[u8]) {
                self.send_slice(payload);
            }

            #[inline]
            fn publish(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
                self.publish_in_place(len, fill);
            }
        }

        impl Receiver for IoxReceiver<$service> {
            #[inline]
            fn try_recv(&mut self, buf: &mut [u8]) -> Recv {
                self.receive_into(buf)
            }
        }

        impl Channel for IoxChannel<$service> {
            type Tx = IoxSender<$service>;
            type Rx = IoxReceiver<$service>;
            const STORES_WITHOUT_READER: bool = false;

            fn writer(&self) -> Self::Tx {
                self.make_writer()
            }

            fn reader(&self) -> Self::Rx {
                self.make_reader()
            }

            fn replay(&self) -> Option<Self::Rx> {
                None
            }
        }

        impl Factory for IoxFactory<$service> {
            type Chan = IoxChannel<$service>;

            fn make(&mut self) -> Self::Chan {
                IoxChannel::new(&self.names.fresh(), self.capacity, self.max_len)
            }
        }
    };
}

bench_traits!(ipc::Service);
bench_traits!(local::Service);

/// Makes services of one variant with unique names (`bcast-bench-<pid>-<n>`, from
/// [`ShmNames`], the counter the rings' files use).
#[derive(Debug)]
pub struct IoxFactory<S> {
    names: ShmNames,
    capacity: usize,
    max_len: usize,
    _service: PhantomData<fn() -> S>,
}

impl<S> IoxFactory<S> {
    /// Services sized like a `capacity`-byte ring of `max_len`-byte messages.
    pub fn new(capacity: usize, max_len: usize) -> Self {
        Self { names: ShmNames::new(), capacity, max_len, _service: PhantomData }
    }
}
