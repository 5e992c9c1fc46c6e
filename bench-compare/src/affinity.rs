//! Thread pinning: the cores come from `BENCH_CORES` (a comma-separated list of logical CPU ids,
//! the first for the writer / pinger, the rest for readers / echoers), default `0,1`.
//!
//! Pinning uses `sched_setaffinity(2)` on the calling thread. A core that does not exist is an
//! error, not a silent fallback: a bench that thinks it is pinned and is not reports nonsense.
//! On a machine with a single CPU every role shares it (the benches still run; their figures
//! then measure the scheduler).

use std::io;

/// Name of the environment variable that lists the cores.
pub const CORES_ENV: &str = "BENCH_CORES";

/// The cores a bench may use, in role order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cores(Vec<usize>);

impl Cores {
    /// Reads `BENCH_CORES`, or picks the first two CPUs this process may run on (just one on a
    /// single-CPU machine).
    ///
    /// # Panics
    ///
    /// If `BENCH_CORES` is not a non-empty list of CPU ids that this process may run on: checking
    /// here means no bench thread fails to pin later, after its peers started waiting for it.
    pub fn from_env() -> Self {
        let allowed = allowed_cpus();
        let cores = match std::env::var(CORES_ENV) {
            Ok(list) => Self::parse(&list)
                .unwrap_or_else(|| panic!("{CORES_ENV}={list:?} is not a list like `0,1`")),
            Err(_) => Self(allowed.iter().copied().take(2).collect()),
        };
        for core in &cores.0 {
            assert!(allowed.contains(core), "{CORES_ENV}: this process may not run on CPU {core}");
        }
        cores
    }

    /// Parses a list like `2,3`.
    pub fn parse(list: &str) -> Option<Self> {
        let cores: Option<Vec<usize>> =
            list.split(',').map(|core| core.trim().parse().ok()).collect();
        cores.filter(|cores| !cores.is_empty()).map(Self)
    }

    /// The core of the writer (or pinger): the first in the list.
    pub fn writer(&self) -> usize {
        self.0[0]
    }

    /// The core of reader number `index` (or of the echo side, index 0): the cores after the
    /// first, round-robin; the first core when the list has only one.
    pub fn reader(&self, index: usize) -> usize {
        match self.0.len() {
            1 => self.0[0],
            n => self.0[1 + index % (n - 1)],
        }
    }

    /// How many readers can each have a core to themselves.
    pub fn reader_slots(&self) -> usize {
        self.0.len().saturating_sub(1).max(1)
    }

    /// The list as it would be written in `BENCH_CORES`.
    pub fn describe(&self) -> String {
        self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
    }
}

/// The CPUs this process may run on, ascending.
///
/// # Panics
///
/// If `sched_getaffinity` fails, which it does not for the calling process.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is a plain bit array for which all-zero is a valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 means the calling thread.
    let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &raw mut set) };
    assert_eq!(rc, 0, "sched_getaffinity: {}", io::Error::last_os_error());
    let max = usize::try_from(libc::CPU_SETSIZE).unwrap_or(0);
    // SAFETY: every `cpu < CPU_SETSIZE` lies inside `set`.
    (0..max).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect()
}

/// Pins the calling thread to logical CPU `core`.
///
/// # Panics
///
/// If the kernel refuses (the core does not exist or is outside this process's cpuset).
pub fn pin_current(core: usize) {
    if let Err(error) = try_pin_current(core) {
        panic!("cannot pin this thread to CPU {core} (set {CORES_ENV}): {error}");
    }
}

/// Pins the calling thread to logical CPU `core`, or says why not.
///
/// # Errors
///
/// The OS error of `sched_setaffinity`, or `InvalidInput` for a core beyond `CPU_SETSIZE`.
pub fn try_pin_current(core: usize) -> io::Result<()> {
    let max = usize::try_from(libc::CPU_SETSIZE).unwrap_or(0);
    if core >= max {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "core id beyond CPU_SETSIZE"));
    }
    // SAFETY: `cpu_set_t` is a plain bit array for which all-zero is a valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: `core < CPU_SETSIZE` (checked above), so the bit lies inside `set`.
    unsafe { libc::CPU_SET(core, &mut set) };
    // SAFETY: `set` is a valid, initialised `cpu_set_t` and the size passed is its size; pid 0
    // means the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &raw const set) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

#[cfg(test)]
mod tests {
    use super::Cores;

    #[test]
    fn readers_share_the_cores_after_the_writer() {
        let cores = Cores::parse("4, 5,6").expect("valid list");
        assert_eq!(cores.writer(), 4);
        assert_eq!((cores.reader(0), cores.reader(1), cores.reader(2)), (5, 6, 5));
        assert_eq!(cores.reader_slots(), 2);
        let single = Cores::parse("3").expect("valid list");
        assert_eq!((single.writer(), single.reader(7)), (3, 3));
        assert!(Cores::parse("1,x").is_none() && Cores::parse("").is_none());
    }
}
