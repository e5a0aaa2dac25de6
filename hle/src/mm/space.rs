//! Which user half is loaded: the current process's.
//!
//! Each user program has an address space of its own (`portcullis_emu` spaces: one kernel
//! half, a user half per space); every other process — System, the sandbox's own caller,
//! those a scenario declares — shares space 0. As Windows' context switch loads the
//! incoming thread's process's directory (KiSwapProcess), the kernel loads the space of the
//! process the current thread is in — its APC state's process, so that KeStackAttachProcess
//! reaches the attached process's memory — whenever either changes ([`follow`]). DPCs and
//! interrupts run in whatever space is loaded, as in an arbitrary thread context.

use portcullis_emu::SpaceId;

use crate::kernel::{KResult, Kx};

/// The address space of process `eprocess` (0 for any process without one of its own).
pub fn of_process(k: &Kx, eprocess: u64) -> SpaceId {
    crate::ps::processes::by_object(k, eprocess).map(|p| p.space).unwrap_or(0)
}

/// Gives process `pid` the address space `space` (made with `GuestMemory::new_space`).
pub fn assign(k: &mut Kx, pid: u64, space: SpaceId) {
    if let Some(p) = k.ext_mut().system.processes.iter_mut().find(|p| p.pid == pid) {
        p.space = space;
    }
}

/// Loads the address space of the current thread's process (attached or its own).
pub fn follow(k: &mut Kx) -> KResult<()> {
    let process = crate::ps::current_process(k)?;
    load(k, of_process(k, process))
}

/// Loads `space` if it still exists (a process's space ends with it: then space 0).
fn load(k: &mut Kx, space: SpaceId) -> KResult<()> {
    let space = if k.mem().space_exists(space) { space } else { 0 };
    Ok(k.mem_mut().switch_space(space)?)
}

/// Runs `f` in the address space of process `eprocess` (an attach for the host's own
/// access: a completion written into its caller's buffers), then loads the space that was.
pub fn in_process<T>(k: &mut Kx, eprocess: u64, f: impl FnOnce(&mut Kx) -> KResult<T>) -> KResult<T> {
    let home = k.mem().space();
    load(k, of_process(k, eprocess))?;
    let r = f(k);
    load(k, home)?;
    r
}

/// Ends address space `space` (its process has ended; another is loaded): its memory goes
/// back to the pool, and the I/O manager forgets the buffers it kept there.
pub fn end(k: &mut Kx, space: SpaceId) -> KResult<()> {
    k.ext_mut().io.user_buffers.retain(|(s, _, _)| *s != space);
    Ok(k.mem_mut().drop_space(space)?)
}
