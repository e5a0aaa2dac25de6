//! A request from outside the guest to stop every run now: the CLI's SIGINT/SIGTERM. The
//! watchdog stops the engines that are running; host loops on the guest's behalf see it in
//! `check_budget`; a new run does not start.

use std::sync::atomic::{AtomicI32, Ordering};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Asks every run of the process to stop, naming the signal that asked.
pub fn request(signal: i32) {
    SIGNAL.store(signal.max(1), Ordering::SeqCst);
    crate::limits::Watchdog::global().interrupt();
}

/// The signal that asked runs to stop, if one did.
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::Relaxed) {
        0 => None,
        s => Some(s),
    }
}
