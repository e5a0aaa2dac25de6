//! SIGINT and SIGTERM during `run`: the first stops the guest, so the run ends with its trace
//! flushed and a report (outcome `interrupted`, exit 128 + the signal); a second one, while
//! that happens, ends the process as the signal's default would.

use std::sync::atomic::{AtomicI32, Ordering};

/// The write end of the pipe the handler wakes the signal thread through.
static PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(signal: libc::c_int) {
    let fd = PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = signal as u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is a live local.
        unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
}

/// Installs the handlers; the run goes on as before until a signal comes.
pub fn install() {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return;
    }
    let [read, write] = fds;
    PIPE.store(write, Ordering::Relaxed);
    // Waited for until it runs: `run --sandbox` confines the process next, and a thread cut
    // off half-started (naming itself, say) would die of the filter.
    let (started, running) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("portcullis-signals".into()).spawn(move || {
        let _ = started.send(());
        let mut byte = 0u8;
        // SAFETY: reads one byte into a live local from the pipe this thread owns.
        if unsafe { libc::read(read, (&mut byte as *mut u8).cast(), 1) } == 1 {
            // A second signal ends the process the default way.
            set_handler(libc::SIG_DFL);
            portcullis::emu::interrupt::request(i32::from(byte));
        }
    });
    if spawned.is_ok() && running.recv().is_ok() {
        set_handler(on_signal as extern "C" fn(libc::c_int) as usize);
    }
}

fn set_handler(handler: libc::sighandler_t) {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a handler that only calls async-signal-safe
        // functions (or SIG_DFL) is a valid disposition.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESTART;
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}
