//! Stopping a long-running command cleanly: SIGINT (Ctrl-C) and SIGTERM set [`STOP`], which
//! the command checks; a second signal ends the process at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set by SIGINT and SIGTERM (and by [`after`]). Accessed with Relaxed: the flag is all that
/// is passed.
pub(crate) static STOP: AtomicBool = AtomicBool::new(false);

/// The first signal sets [`STOP`]; a second one ends the process as if no handler were set.
extern "C" fn on_signal(signal: libc::c_int) {
    if STOP.swap(true, Ordering::Relaxed) {
        // SAFETY: `signal` is async-signal-safe; SIG_DFL is a valid disposition.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
        // SAFETY: `raise` is async-signal-safe.
        unsafe { libc::raise(signal) };
    }
}

/// Installs the handler for SIGINT and SIGTERM.
pub(crate) fn on_signals() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only swaps an atomic and calls async-signal-safe functions.
        unsafe { libc::signal(signal, handler) };
    }
}

/// Sets [`STOP`] after `duration`, if given.
pub(crate) fn after(duration: Option<Duration>) {
    if let Some(duration) = duration {
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            STOP.store(true, Ordering::Relaxed);
        });
    }
}
