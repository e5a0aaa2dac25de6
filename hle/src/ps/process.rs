//! EPROCESS and ETHREAD blocks (opaque to drivers, laid out like Windows 7 SP1's for the
//! fields drivers are known to read), and the process exports.

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, ETHREAD, LIST_ENTRY};
use crate::types::{Boolean, Ptr};

/// Dispatcher object types in DISPATCHER_HEADER.Type.
const PROCESS_OBJECT: u64 = 3;
const THREAD_OBJECT: u64 = 6;

pub(crate) fn init_process(k: &mut Kx, at: u64, pid: u64, image: &[u8]) -> KResult<()> {
    let cr3 = k.mem().page_table_root();
    let created = crate::ke::time::system_time(k);
    let mem = k.mem_mut();
    mem.set(at, EPROCESS::HeaderType, PROCESS_OBJECT)?;
    mem.set(at, EPROCESS::CreateTime, created)?;
    mem.set(at, EPROCESS::DirectoryTableBase, cr3)?;
    mem.set(at, EPROCESS::UniqueProcessId, pid)?;
    let arch = mem.arch();
    let mut name = [0u8; 15];
    let n = image.len().min(14);
    name[..n].copy_from_slice(&image[..n]);
    mem.write(EPROCESS::ImageFileName.at(arch, at), &name)?;
    Ok(())
}

pub(crate) fn init_thread(k: &mut Kx, at: u64, process: u64, pid: u64, tid: u64) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(at, ETHREAD::HeaderType, THREAD_OBJECT)?;
    mem.set(at, ETHREAD::ApcStateProcess, process)?;
    mem.set(at, ETHREAD::Process, process)?;
    mem.set(at, ETHREAD::UniqueProcess, pid)?;
    mem.set(at, ETHREAD::UniqueThread, tid)?;
    Ok(())
}

/// Chains the processes through ActiveProcessLinks in a circular list (no list head object:
/// walkers start from PsInitialSystemProcess, as rootkits do).
pub(crate) fn link_processes(k: &mut Kx, processes: &[u64]) -> KResult<()> {
    let arch = k.arch();
    let links: Vec<u64> = processes.iter().map(|p| EPROCESS::ActiveProcessLinks.at(arch, *p)).collect();
    let n = links.len();
    for i in 0..n {
        let mem = k.mem_mut();
        mem.set(links[i], LIST_ENTRY::Flink, links[(i + 1) % n])?;
        mem.set(links[i], LIST_ENTRY::Blink, links[(i + n - 1) % n])?;
    }
    Ok(())
}

/// PEPROCESS IoGetCurrentProcess(void): the process of the current thread.
#[allow(non_snake_case)]
pub fn IoGetCurrentProcess(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(super::current_process(k)?))
}

/// BOOLEAN IoIs32bitProcess(PIRP Irp) (x64 only): whether the request came from a 32-bit
/// (WOW64) process. The emulated caller is a native process.
#[allow(non_snake_case)]
pub fn IoIs32bitProcess(_k: &mut Kx, _irp: Ptr) -> KResult<Boolean> {
    Ok(Boolean(false))
}
