//! The processes and threads there are, as the object manager, the Zw* information routines
//! and scenario steps see them: one accessor, so that a richer process list replaces this in
//! one place.

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, ETHREAD};

/// A thread: its ETHREAD and thread id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadRef {
    pub ethread: u64,
    pub tid: u64,
}

/// A process: its EPROCESS, id, image name and threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessRef {
    pub eprocess: u64,
    pub pid: u64,
    pub parent_pid: u64,
    pub image_name: String,
    pub threads: Vec<ThreadRef>,
}

/// Every process, in creation order (the System process first).
pub fn processes(k: &Kx) -> KResult<Vec<ProcessRef>> {
    let s = &k.ext().system;
    let pairs = [(s.system_process, s.system_thread), (s.user_process, s.user_thread)];
    let arch = k.arch();
    let mut out = Vec::new();
    for (p, t) in pairs {
        let mem = k.mem();
        let mut name = [0u8; 15];
        mem.read(EPROCESS::ImageFileName.at(arch, p), &mut name)?;
        let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
        out.push(ProcessRef {
            eprocess: p,
            pid: mem.get(p, EPROCESS::UniqueProcessId)?,
            parent_pid: mem.get(p, EPROCESS::InheritedFromUniqueProcessId)?,
            image_name: String::from_utf8_lossy(&name[..end]).into_owned(),
            threads: vec![ThreadRef { ethread: t, tid: mem.get(t, ETHREAD::UniqueThread)? }],
        });
    }
    Ok(out)
}

/// The process with id `pid`.
pub fn by_pid(k: &Kx, pid: u64) -> KResult<Option<ProcessRef>> {
    Ok(processes(k)?.into_iter().find(|p| p.pid == pid))
}

/// The thread with id `tid`, and its process.
pub fn thread_by_tid(k: &Kx, tid: u64) -> KResult<Option<(ProcessRef, ThreadRef)>> {
    Ok(processes(k)?.into_iter().find_map(|p| {
        let t = p.threads.iter().find(|t| t.tid == tid).cloned();
        t.map(|t| (p, t))
    }))
}
