//! Handles the simulated user program opens to processes and threads (OpenProcess,
//! OpenThread): the object callbacks drivers registered see them as Windows shows them a
//! user-mode open, and may take access away.

use super::handles::{self, Mode};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus};

/// What the user program got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    pub status: NtStatus,
    /// The access the handle was granted (0 when the open failed).
    pub granted: u32,
}

/// Runs `f` as the user program's thread in user mode, then returns to the System thread.
fn as_user<T>(k: &mut Kx, f: impl FnOnce(&mut Kx) -> KResult<T>) -> KResult<T> {
    let user = k.ext().system.user_thread;
    crate::ps::set_current_thread(k, user, true)?;
    let r = f(k);
    let system = k.ext().system.system_thread;
    crate::ps::set_current_thread(k, system, false)?;
    r
}

/// OpenProcess(access, FALSE, pid) then CloseHandle: STATUS_INVALID_CID for no such process.
pub fn open_process(k: &mut Kx, pid: u64, access: u32) -> KResult<Opened> {
    let Some(p) = crate::ps::list::by_pid(k, pid)? else {
        return Ok(Opened { status: status::INVALID_CID, granted: 0 });
    };
    open_and_close(k, p.eprocess, access)
}

/// OpenThread(access, FALSE, tid) then CloseHandle.
pub fn open_thread(k: &mut Kx, tid: u64, access: u32) -> KResult<Opened> {
    let Some((_, t)) = crate::ps::list::thread_by_tid(k, tid)? else {
        return Ok(Opened { status: status::INVALID_CID, granted: 0 });
    };
    open_and_close(k, t.ethread, access)
}

fn open_and_close(k: &mut Kx, object: u64, access: u32) -> KResult<Opened> {
    as_user(k, |k| {
        let (h, granted) = handles::open_checked(k, object, access, 0, Mode::User)?;
        let _ = handles::close(k, h, Mode::User)?;
        Ok(Opened { status: status::SUCCESS, granted })
    })
}
