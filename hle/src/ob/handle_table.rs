//! The handle tables drivers see: each process's HANDLE_TABLE in guest memory
//! (`EPROCESS.ObjectTable`), kept in step with the kernel's own table ([`super::handles`]),
//! and `ExEnumHandleTable`, which walks it as Windows does.
//!
//! The layout is Windows 7 SP1's, like EPROCESS's: entries live in pages of
//! HANDLE_TABLE_ENTRY (256 on x64, 512 on x86; the first entry of every page is reserved, so
//! handle values that would land there are never given out), and TableCode holds the top
//! page's address with the number of levels above the entry pages in its low two bits (0:
//! TableCode is the entry page; 1: a page of pointers to entry pages; 2: a page of pointers
//! to those). An entry's Object is the address of the object's header (OBJECT_HEADER.Body is
//! at 0x18 on x86, 0x30 on x64) with the lock bit (bit 0, set while the entry is unlocked),
//! OBJ_INHERIT (bit 1) and OBJ_AUDIT_OBJECT_CLOSE (bit 2); a handle protected from close has
//! MAXIMUM_ALLOWED in GrantedAccess. The kernel's own table is the authority: the guest copy
//! is rewritten from it whenever a handle opens, closes or changes its flags.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};

use super::handles::HandleEntry;
use super::OBJ_INHERIT;
use crate::kernel::{KResult, Kx};
use crate::layout::{list, FieldAccess, EPROCESS, HANDLE_TABLE, HANDLE_TABLE_ENTRY};
use crate::types::{Boolean, Ptr};

/// An unlocked entry has bit 0 of Object set; ExEnumHandleTable clears it around the call.
const LOCK_BIT: u64 = 1;
/// GrantedAccess bit of a handle protected from close (Windows 7: MAXIMUM_ALLOWED).
const PROTECT_CLOSE_ACCESS: u64 = 0x0200_0000;
const PAGE: u64 = 0x1000;

/// Where one process's guest table is (the host's record of the pages it made).
#[derive(Clone, Debug, Default)]
pub struct GuestTable {
    /// The HANDLE_TABLE.
    pub header: u64,
    /// Entry pages, by page number.
    pages: Vec<u64>,
    /// Pages of pointers to entry pages (level 1 and 2), by number.
    mids: Vec<u64>,
    /// The page of pointers to `mids` once the table has two levels above its entries.
    top: u64,
}

/// Bytes before an object's body where its OBJECT_HEADER starts (Windows 7).
pub fn header_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x18,
        Arch::X64 => 0x30,
    }
}

/// HANDLE_TABLE_ENTRYs in one page.
pub fn entries_per_page(arch: Arch) -> u64 {
    PAGE / HANDLE_TABLE_ENTRY::STRUCT.size(arch)
}

fn pointers_per_page(arch: Arch) -> u64 {
    PAGE / arch.ptr_size()
}

/// Whether a handle value names the reserved first entry of a page (never given out).
pub fn reserved(arch: Arch, value: u32) -> bool {
    (value as u64 / 4).is_multiple_of(entries_per_page(arch))
}

/// Makes the handle tables of the processes the kernel boots with (System's first: the
/// kernel-handle table).
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let (system, user) = (k.ext().system.system_process, k.ext().system.user_process);
    create(k, system, crate::ps::SYSTEM_PID, true)?;
    create(k, user, crate::ps::USER_PID, false)
}

/// Makes the HANDLE_TABLE of a new process, with one entry page, and points
/// `EPROCESS.ObjectTable` at it. The System process's table (the kernel-handle table) has no
/// quota process, as on Windows.
pub(crate) fn create(k: &mut Kx, process: u64, pid: u64, system: bool) -> KResult<()> {
    let arch = k.arch();
    let header = super::body::alloc(k, HANDLE_TABLE::STRUCT.size(arch))?;
    let page = super::body::alloc(k, PAGE)?;
    let first = k.ext().handles.first_table;
    let mem = k.mem_mut();
    mem.set(header, HANDLE_TABLE::TableCode, page)?;
    mem.set(header, HANDLE_TABLE::QuotaProcess, if system { 0 } else { process })?;
    mem.set(header, HANDLE_TABLE::UniqueProcessId, pid)?;
    mem.set(header, HANDLE_TABLE::NextHandleNeedingPool, entries_per_page(arch) * 4)?;
    // Every table is on one circular list (Windows keeps a head in the kernel's data).
    let links = HANDLE_TABLE::HandleTableList.at(arch, header);
    if first == 0 {
        list::init(mem, links)?;
        k.ext_mut().handles.first_table = header;
    } else {
        list::insert_before(mem, HANDLE_TABLE::HandleTableList.at(arch, first), links)?;
    }
    k.mem_mut().set(process, EPROCESS::ObjectTable, header)?;
    let table = GuestTable { header, pages: vec![page], mids: Vec::new(), top: 0 };
    k.ext_mut().handles.guest.insert(process, table);
    // Handles opened before the table existed (at boot).
    for (value, entry) in k.ext().handles.entries_of(process) {
        sync(k, process, value, Some(&entry))?;
    }
    Ok(())
}

/// The entry page for page number `n` of `process`'s table, adding pages (and the levels
/// above them) as the table grows. None past what three levels hold.
fn page_for(k: &mut Kx, process: u64, n: u64) -> KResult<Option<u64>> {
    let arch = k.arch();
    let per = pointers_per_page(arch);
    if n >= per * per {
        return Ok(None);
    }
    loop {
        let Some(t) = k.ext().handles.guest.get(&process) else { return Ok(None) };
        if let Some(&p) = t.pages.get(n as usize) {
            return Ok(Some(p));
        }
        let (header, next) = (t.header, t.pages.len() as u64);
        let page = super::body::alloc(k, PAGE)?;
        // The first growth adds a level of pointers over the first page.
        if k.ext().handles.guest[&process].mids.is_empty() {
            let mid = super::body::alloc(k, PAGE)?;
            let first = k.ext().handles.guest[&process].pages[0];
            k.mem_mut().write_ptr(mid, first)?;
            k.mem_mut().set(header, HANDLE_TABLE::TableCode, mid | 1)?;
            k.ext_mut().handles.guest.get_mut(&process).expect("present").mids.push(mid);
        }
        let m = next / per;
        if m as usize >= k.ext().handles.guest[&process].mids.len() {
            // A second page of pointers needs the top level above both.
            if k.ext().handles.guest[&process].top == 0 {
                let top = super::body::alloc(k, PAGE)?;
                let mid0 = k.ext().handles.guest[&process].mids[0];
                k.mem_mut().write_ptr(top, mid0)?;
                k.mem_mut().set(header, HANDLE_TABLE::TableCode, top | 2)?;
                k.ext_mut().handles.guest.get_mut(&process).expect("present").top = top;
            }
            let mid = super::body::alloc(k, PAGE)?;
            let top = k.ext().handles.guest[&process].top;
            k.mem_mut().write_ptr(top + m * arch.ptr_size(), mid)?;
            k.ext_mut().handles.guest.get_mut(&process).expect("present").mids.push(mid);
        }
        let mid = k.ext().handles.guest[&process].mids[m as usize];
        k.mem_mut().write_ptr(mid + (next % per) * arch.ptr_size(), page)?;
        let t = k.ext_mut().handles.guest.get_mut(&process).expect("present");
        t.pages.push(page);
        let need = t.pages.len() as u64 * entries_per_page(arch) * 4;
        k.mem_mut().set(header, HANDLE_TABLE::NextHandleNeedingPool, need)?;
    }
}

/// Rewrites the guest entry of handle `value` in `process`'s table from the kernel's entry
/// (`None`: the handle closed), and the table's handle count.
pub(crate) fn sync(k: &mut Kx, process: u64, value: u32, entry: Option<&HandleEntry>) -> KResult<()> {
    let arch = k.arch();
    let Some(header) = k.ext().handles.guest.get(&process).map(|t| t.header) else { return Ok(()) };
    let index = value as u64 / 4;
    let per = entries_per_page(arch);
    let Some(page) = page_for(k, process, index / per)? else { return Ok(()) };
    let at = page + (index % per) * HANDLE_TABLE_ENTRY::STRUCT.size(arch);
    let (object, access) = match entry {
        Some(e) => {
            let inherit = if e.attributes & OBJ_INHERIT != 0 { OBJ_INHERIT as u64 } else { 0 };
            let protect = if e.protect_from_close { PROTECT_CLOSE_ACCESS } else { 0 };
            let object = arch.mask(e.object.wrapping_sub(header_size(arch))) | inherit | LOCK_BIT;
            (object, e.granted_access as u64 | protect)
        }
        None => (0, 0),
    };
    let count = k.ext().handles.count(process) as u64;
    let mem = k.mem_mut();
    mem.set(at, HANDLE_TABLE_ENTRY::Object, object)?;
    mem.set(at, HANDLE_TABLE_ENTRY::GrantedAccess, access)?;
    mem.set(header, HANDLE_TABLE::HandleCount, count)?;
    let high = mem.get(header, HANDLE_TABLE::HandleCountHighWatermark)?;
    mem.set(header, HANDLE_TABLE::HandleCountHighWatermark, high.max(count))?;
    Ok(())
}

/// The entry pages of a table as its TableCode says, by page number (a NULL pointer ends
/// the walk: pages are added in order).
fn entry_pages(k: &Kx, table: u64) -> KResult<Vec<u64>> {
    let arch = k.arch();
    let mem = k.mem();
    let code = mem.get(table, HANDLE_TABLE::TableCode)?;
    let base = code & !3;
    let per = pointers_per_page(arch);
    let pointers = |at: u64| -> KResult<Vec<u64>> {
        let mut raw = vec![0u8; PAGE as usize];
        mem.read(at, &mut raw)?;
        let size = arch.ptr_size() as usize;
        Ok(raw.chunks(size).map(|c| c.iter().rev().fold(0u64, |v, b| (v << 8) | *b as u64)).collect())
    };
    let mut pages = Vec::new();
    match code & 3 {
        0 if base != 0 => pages.push(base),
        1 if base != 0 => pages.extend(pointers(base)?.into_iter().take_while(|&p| p != 0)),
        2 if base != 0 => {
            'top: for mid in pointers(base)?.into_iter().take_while(|&p| p != 0) {
                for p in pointers(mid)? {
                    if p == 0 {
                        break 'top;
                    }
                    pages.push(p);
                }
            }
        }
        _ => {}
    }
    debug_assert!(pages.len() as u64 <= per * per);
    Ok(pages)
}

/// BOOLEAN ExEnumHandleTable(PHANDLE_TABLE HandleTable, EX_ENUMERATE_HANDLE_ROUTINE
/// EnumHandleProcedure, PVOID EnumParameter, PHANDLE Handle OPTIONAL): calls the procedure
/// for every entry in use, in handle order, with the entry locked, until it returns TRUE;
/// then stores that handle in *Handle and returns TRUE. FALSE once every entry was seen.
/// The procedure gets (entry, handle, parameter) as on Windows 7, and (table, entry, handle,
/// parameter) when the emulated Windows is 8 or later.
pub fn ExEnumHandleTable(k: &mut Kx, table: Ptr, procedure: Ptr, parameter: Ptr, handle: Ptr) -> KResult<Boolean> {
    let arch = k.arch();
    let size = HANDLE_TABLE_ENTRY::STRUCT.size(arch);
    let per = entries_per_page(arch);
    let v = k.ext().options.version;
    let table_first = (v.major, v.minor) >= (6, 2);
    let conv = CallConv::Stdcall.for_arch(arch);
    for (n, page) in entry_pages(k, table.0)?.into_iter().enumerate() {
        for i in 1..per {
            let at = page + i * size;
            let object = k.mem().get(at, HANDLE_TABLE_ENTRY::Object)?;
            if object == 0 {
                continue;
            }
            let value = (n as u64 * per + i) * 4;
            let locked = object & !LOCK_BIT;
            k.mem_mut().set(at, HANDLE_TABLE_ENTRY::Object, locked)?;
            let args: Vec<u64> =
                if table_first { vec![table.0, at, value, parameter.0] } else { vec![at, value, parameter.0] };
            let stop = k.call(procedure.0, &args, conv)? as u8 != 0;
            // Unlock, unless the procedure changed the entry (or unlocked it itself).
            if k.mem().get(at, HANDLE_TABLE_ENTRY::Object)? == locked {
                k.mem_mut().set(at, HANDLE_TABLE_ENTRY::Object, locked | LOCK_BIT)?;
            }
            if stop {
                if !handle.is_null() {
                    k.mem_mut().write_ptr(handle.0, value)?;
                }
                return Ok(Boolean(true));
            }
        }
    }
    Ok(Boolean(false))
}
