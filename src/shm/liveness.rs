//! Whether a channel's writer is alive, as readers and tools judge it without locking anything.
//!
//! A reader cannot probe the writer's lock: any file a reader can open, it can lock, and a
//! probe that takes a lock (even briefly) makes a concurrent writer's `create` fail. Instead the
//! writer publishes who it is in the header's `writer` word when it takes the lock, and clears
//! it when it lets go: its process id and the process's start time (field 22 of
//! `/proc/PID/stat`, in clock ticks since boot), packed in one word so that readers never see
//! half of a record. A reader calls the writer alive when a process with that id exists and
//! started at that time, so a process id reused after the writer died is not mistaken for it.
//!
//! A reader cannot forge or block this: it maps the header read-only. The writer pays nothing
//! per message (one store when it opens the channel, one when it closes it). A writer killed
//! by a signal leaves its record behind, which reads as dead as soon as the process is gone.
//!
//! Process ids are those of the reader's PID namespace: a reader in another PID namespace than
//! the writer's (a container sharing only `/dev/shm`) cannot judge liveness this way.

/// Bits of the record that hold the process id (Linux caps ids at 2^22).
const PID_BITS: u32 = 22;
const PID_MASK: u64 = (1 << PID_BITS) - 1;
/// Mask of the start time kept in the record: 42 bits of clock ticks, centuries at 100 Hz.
const START_MASK: u64 = (1 << (64 - PID_BITS)) - 1;

/// The record this process stores while it holds a writer lock. Not cached: a forked child
/// is another process, with a record of its own.
pub(crate) fn this_process() -> u64 {
    let pid = std::process::id();
    // An unknown start time is stored as 0: readers then check the process id alone.
    pack(pid, start_time(pid).unwrap_or(0))
}

/// Whether the writer that stored `record` is still running.
pub(crate) fn is_alive(record: u64) -> bool {
    let pid = record & PID_MASK;
    let Ok(pid) = u32::try_from(pid) else { return false };
    if pid == 0 {
        return false;
    }
    let start = record >> PID_BITS;
    match start_time(pid) {
        Some(now) => start == 0 || now & START_MASK == start,
        // No readable `/proc/PID/stat`: no such process, or `/proc` is hidden or missing. The
        // start time cannot be checked then; ask the kernel whether the id exists at all.
        None => process_exists(pid),
    }
}

/// The process id in `record`, or `None` if it names no writer.
pub(crate) fn pid_of(record: u64) -> Option<u32> {
    u32::try_from(record & PID_MASK).ok().filter(|&pid| pid != 0)
}

fn pack(pid: u32, start: u64) -> u64 {
    ((start & START_MASK) << PID_BITS) | (u64::from(pid) & PID_MASK)
}

/// Start time of process `pid` in clock ticks since boot, from `/proc/PID/stat`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`: the command name may hold spaces and parentheses, so fields
    // are counted after the last ')'; the start time is field 22, the 20th after it.
    let (_, fields) = stat.rsplit_once(')')?;
    fields.split_whitespace().nth(19)?.parse().ok()
}

fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: `kill` with signal 0 sends nothing; it only checks that `pid` exists and whether
    // we may signal it.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

// These read `/proc`, which Miri's isolation forbids.
#[cfg(all(test, not(miri)))]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive() {
        assert!(is_alive(this_process()));
        assert_eq!(pid_of(this_process()), Some(std::process::id()));
    }

    #[test]
    fn a_reused_process_id_with_another_start_time_is_not_alive() {
        let ours = this_process();
        let other_start = ((ours >> PID_BITS) + 1) & START_MASK;
        assert!(!is_alive(pack(std::process::id(), other_start.max(1))));
    }

    #[test]
    fn an_empty_or_garbage_record_is_not_alive() {
        assert!(!is_alive(0));
        assert!(!is_alive(u64::MAX << PID_BITS));
        // Ids above the kernel's limit never name a process.
        assert!(!is_alive(PID_MASK));
        assert_eq!(pid_of(0), None);
    }
}
