//! Handle tables, one per process, and the routines over them: `ZwClose`/`NtClose`/
//! `ObCloseHandle`, `ObReferenceObjectByHandle(WithTag)`, `ObOpenObjectByPointer`,
//! `ObReferenceObjectByPointer(WithTag)`.
//!
//! As on Windows: handle values are multiples of 4 from 4 up, per table; a handle opened with
//! `OBJ_KERNEL_HANDLE` lives in the System process's table and carries the kernel-handle bit
//! (the top bit of a 32-bit value, sign-extended on x64), so it means the same object in
//! whatever process context a driver uses it; `NtCurrentProcess()` (-1) and
//! `NtCurrentThread()` (-2) are pseudo-handles for the current process and thread. A
//! kernel-mode caller's access is not checked; a user-mode one's is, and a user-mode caller
//! cannot use kernel handles. Every open handle holds a reference on its object; handles a
//! driver leaves open are leaks.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::Arch;
use serde::Serialize;

use super::Owner;
pub use super::{OBJ_INHERIT, OBJ_KERNEL_HANDLE};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::types::{status, NtStatus, PoolTag, Ptr, HANDLE};
/// Attributes a handle keeps (OBJ_INHERIT | OBJ_PERMANENT | OBJ_EXCLUSIVE are the ones
/// OBJECT_HANDLE_INFORMATION reports; only OBJ_INHERIT means anything here).
const KEPT_ATTRIBUTES: u32 = OBJ_INHERIT;

/// PROCESS_ALL_ACCESS / THREAD_ALL_ACCESS (Windows Vista and later): what a pseudo-handle grants.
pub(crate) const ALL_ACCESS: u32 = 0x001F_FFFF;
/// GENERIC_ALL and the other generic bits, mapped to all access of the object here.
const GENERIC_MASK: u32 = 0xF000_0000;

/// KPROCESSOR_MODE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Kernel,
    User,
}

impl Mode {
    pub fn from_raw(v: u8) -> Mode {
        if v == 0 {
            Mode::Kernel
        } else {
            Mode::User
        }
    }
}

/// One open handle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandleEntry {
    pub object: u64,
    pub granted_access: u32,
    /// OBJ_INHERIT if set at open.
    pub attributes: u32,
    /// Opened with OBJ_KERNEL_HANDLE (the value carries the kernel-handle bit).
    pub kernel: bool,
    /// Who opened it, for leak reports.
    pub owner: Owner,
    /// OBJECT_HANDLE_FLAG_INFORMATION.ProtectFromClose: closing it fails.
    pub protect_from_close: bool,
}

/// The handles of one process.
#[derive(Clone, Debug, Default)]
pub struct HandleTable {
    entries: BTreeMap<u32, HandleEntry>,
}

impl HandleTable {
    /// The lowest free value, as Windows reuses them, skipping the values whose entries are
    /// the reserved first ones of a handle-table page ([`super::handle_table`]).
    fn free_value(&self, arch: Arch) -> u32 {
        let mut v = 4;
        for &used in self.entries.keys() {
            if used != v {
                break;
            }
            v += 4;
            if super::handle_table::reserved(arch, v) {
                v += 4;
            }
        }
        v
    }
}

/// Every process's handle table.
#[derive(Debug, Default)]
pub struct Handles {
    /// By EPROCESS address.
    tables: BTreeMap<u64, HandleTable>,
    /// Each process's HANDLE_TABLE in guest memory, by EPROCESS address.
    pub(crate) guest: BTreeMap<u64, super::handle_table::GuestTable>,
    /// The first guest table made (the System process's): the others join its list.
    pub(crate) first_table: u64,
}

/// A handle value split into where it lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    CurrentProcess,
    CurrentThread,
    /// (table's process, index value)
    Entry {
        kernel: bool,
        value: u32,
    },
}

fn kernel_bit(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x8000_0000,
        Arch::X64 => 0xFFFF_FFFF_8000_0000,
    }
}

pub(crate) fn classify(arch: Arch, raw: u64) -> Option<Resolved> {
    let raw = arch.mask(raw);
    let all = arch.mask(u64::MAX);
    if raw == all {
        return Some(Resolved::CurrentProcess);
    }
    if raw == all - 1 {
        return Some(Resolved::CurrentThread);
    }
    let bit = kernel_bit(arch);
    let kernel = raw & bit == bit;
    let low = if kernel { raw & !bit } else { raw };
    // Handle values are multiples of 4 below 2^31 (the low two bits are tag bits Windows
    // ignores); anything else names no entry.
    if !(4..0x8000_0000).contains(&low) {
        return None;
    }
    Some(Resolved::Entry { kernel, value: (low as u32) & !3 })
}

impl Handles {
    /// The entries of `process`'s table, by value.
    pub(crate) fn entries_of(&self, process: u64) -> Vec<(u32, HandleEntry)> {
        self.tables.get(&process).map_or(Vec::new(), |t| t.entries.iter().map(|(v, e)| (*v, e.clone())).collect())
    }

    /// How many handles `process`'s table holds.
    pub fn count(&self, process: u64) -> usize {
        self.tables.get(&process).map_or(0, |t| t.entries.len())
    }

    /// The open handles of every process: (process, the handle value as its opener saw it,
    /// entry).
    pub fn all(&self, arch: Arch) -> Vec<(u64, u64, &HandleEntry)> {
        let mut v = Vec::new();
        for (&process, t) in &self.tables {
            for (&value, e) in &t.entries {
                let shown = if e.kernel { value as u64 | kernel_bit(arch) } else { value as u64 };
                v.push((process, shown, e));
            }
        }
        v
    }
}

/// The table a handle of `kernel` kind lives in, in the current context.
fn table_process(k: &Kx, kernel: bool) -> KResult<u64> {
    Ok(if kernel { k.ext().system.system_process } else { crate::ps::current_process(k)? })
}

/// The owner of what the current call creates: the driver whose code made the call.
pub(crate) fn owner_of_call(k: &Kx) -> Owner {
    k.ext().driver_at(caller(k)).map(Owner::Driver).unwrap_or(Owner::Kernel)
}

/// GENERIC_ALL and the other generic bits become all access of the object.
fn mapped(access: u32) -> u32 {
    if access & GENERIC_MASK != 0 {
        (access & !GENERIC_MASK) | ALL_ACCESS
    } else {
        access
    }
}

/// Opens a handle to `object` (which must be a registered object) with `access`, in the
/// current process's table or, with OBJ_KERNEL_HANDLE in `attributes`, the System process's.
/// Returns the handle value the caller sees. (No object callbacks: see [`open_for`].)
pub fn open(k: &mut Kx, object: u64, access: u32, attributes: u32) -> KResult<u64> {
    let kernel = attributes & OBJ_KERNEL_HANDLE != 0;
    let process = table_process(k, kernel)?;
    let value = insert(k, process, object, access, attributes)?;
    let arch = k.arch();
    Ok(if kernel { value | kernel_bit(arch) } else { value })
}

/// Enters a handle in `process`'s table; returns its value (without the kernel bit).
fn insert(k: &mut Kx, process: u64, object: u64, access: u32, attributes: u32) -> KResult<u64> {
    let kernel = attributes & OBJ_KERNEL_HANDLE != 0;
    let owner = owner_of_call(k);
    let entry = HandleEntry {
        object,
        granted_access: mapped(access),
        attributes: attributes & KEPT_ATTRIBUTES,
        kernel,
        owner,
        protect_from_close: false,
    };
    let arch = k.arch();
    let table = k.ext_mut().handles.tables.entry(process).or_default();
    let value = table.free_value(arch);
    table.entries.insert(value, entry.clone());
    if let Some(o) = k.ext_mut().objects.get_mut(object) {
        o.handles += 1;
    }
    super::handle_table::sync(k, process, value, Some(&entry))?;
    Ok(value as u64)
}

/// Opens a handle for a caller in `mode` as the Ob*/Zw* open routines do: a user-mode caller
/// cannot make a kernel handle; process and thread handles go through the object callbacks
/// drivers registered, which may take access away. Returns (handle, granted access).
pub fn open_checked(k: &mut Kx, object: u64, access: u32, attributes: u32, mode: Mode) -> KResult<(u64, u32)> {
    let attributes = if mode == Mode::User { attributes & !OBJ_KERNEL_HANDLE } else { attributes };
    let access = mapped(access);
    let kernel = attributes & OBJ_KERNEL_HANDLE != 0;
    let kind = k.ext().objects.get(object).map(|o| o.kind);
    let op = super::callbacks::Operation::Create;
    let (access, contexts) = match kind {
        Some(kind) => super::callbacks::pre(k, op, object, kind, kernel, access, None)?,
        None => (access, Vec::new()),
    };
    let value = open(k, object, access, attributes)?;
    if let Some(kind) = kind {
        super::callbacks::post(k, op, object, kind, kernel, access, status::SUCCESS, contexts)?;
    }
    Ok((value, access))
}

/// [`open_checked`], writing the handle to `out` (a handle that cannot be written out is
/// closed again).
pub fn open_for(k: &mut Kx, object: u64, access: u32, attributes: u32, mode: Mode, out: u64) -> KResult<NtStatus> {
    let (value, _) = open_checked(k, object, access, attributes, mode)?;
    if let Err(e) = k.mem_mut().write_ptr(out, value) {
        let _ = close(k, value, Mode::Kernel)?;
        return Err(e.into());
    }
    Ok(status::SUCCESS)
}

/// The entry a handle names in the current context, for a caller in `mode`: (the process
/// whose table holds it, its index value). Pseudo-handles and kernel handles for user-mode
/// callers name none.
pub(crate) fn entry_of(k: &Kx, handle: u64, mode: Mode) -> KResult<Option<(u64, u32)>> {
    match classify(k.arch(), handle) {
        Some(Resolved::Entry { kernel, value }) if !(kernel && mode == Mode::User) => {
            Ok(Some((table_process(k, kernel)?, value)))
        }
        _ => Ok(None),
    }
}

/// The entry of `value` in `process`'s table.
pub(crate) fn entry(k: &Kx, process: u64, value: u32) -> Option<&HandleEntry> {
    k.ext().handles.tables.get(&process).and_then(|t| t.entries.get(&value))
}

pub(crate) fn entry_mut(k: &mut Kx, process: u64, value: u32) -> Option<&mut HandleEntry> {
    k.ext_mut().handles.tables.get_mut(&process).and_then(|t| t.entries.get_mut(&value))
}

/// What a handle refers to, for a caller in `mode`: (object, granted access, attributes).
pub fn lookup(k: &Kx, handle: u64, mode: Mode) -> KResult<Option<(u64, u32, u32)>> {
    let Some(r) = classify(k.arch(), handle) else { return Ok(None) };
    Ok(match r {
        Resolved::CurrentProcess => Some((crate::ps::current_process(k)?, ALL_ACCESS, 0)),
        Resolved::CurrentThread => Some((crate::ps::current_thread(k)?, ALL_ACCESS, 0)),
        Resolved::Entry { .. } => match entry_of(k, handle, mode)? {
            Some((process, value)) => entry(k, process, value).map(|e| (e.object, e.granted_access, e.attributes)),
            None => None,
        },
    })
}

/// What a handle in `process`'s own table (not the current context's) refers to; kernel
/// handles always mean the System table.
pub(crate) fn lookup_in(k: &Kx, process: u64, handle: u64) -> Option<(u64, u32, u32)> {
    match classify(k.arch(), handle)? {
        Resolved::Entry { kernel, value } => {
            let table = if kernel { k.ext().system.system_process } else { process };
            entry(k, table, value).map(|e| (e.object, e.granted_access, e.attributes))
        }
        _ => None,
    }
}

/// Opens a handle in another process's table (no object callbacks); returns the value.
pub(crate) fn open_in(k: &mut Kx, process: u64, object: u64, access: u32, attributes: u32) -> KResult<u64> {
    if attributes & OBJ_KERNEL_HANDLE != 0 {
        let system = k.ext().system.system_process;
        let v = insert(k, system, object, access, attributes)?;
        return Ok(v | kernel_bit(k.arch()));
    }
    insert(k, process, object, access, attributes)
}

/// Closes a handle. Err(STATUS_INVALID_HANDLE) if there is none, STATUS_HANDLE_NOT_CLOSABLE
/// if it is protected from close; closing a pseudo-handle does nothing and succeeds, as on
/// Windows.
pub fn close(k: &mut Kx, handle: u64, mode: Mode) -> KResult<Result<(), NtStatus>> {
    let Some(r) = classify(k.arch(), handle) else { return Ok(Err(status::INVALID_HANDLE)) };
    if matches!(r, Resolved::CurrentProcess | Resolved::CurrentThread) {
        return Ok(Ok(()));
    }
    let Some((process, value)) = entry_of(k, handle, mode)? else { return Ok(Err(status::INVALID_HANDLE)) };
    close_entry(k, process, value)
}

/// Removes entry `value` of `process`'s table and lets its object go if that was the last
/// handle to a temporary object.
pub(crate) fn close_entry(k: &mut Kx, process: u64, value: u32) -> KResult<Result<(), NtStatus>> {
    match entry(k, process, value) {
        None => return Ok(Err(status::INVALID_HANDLE)),
        Some(e) if e.protect_from_close => return Ok(Err(status::HANDLE_NOT_CLOSABLE)),
        Some(_) => {}
    }
    let e = k.ext_mut().handles.tables.get_mut(&process).and_then(|t| t.entries.remove(&value)).expect("present");
    super::handle_table::sync(k, process, value, None)?;
    if let Some(o) = k.ext_mut().objects.get_mut(e.object) {
        o.handles -= 1;
    }
    super::handle_closed(k, e.object)?;
    Ok(Ok(()))
}

/// Whether a handle value carries the kernel-handle bit (and is no pseudo-handle).
pub(crate) fn is_kernel_handle(arch: Arch, handle: u64) -> bool {
    matches!(classify(arch, handle), Some(Resolved::Entry { kernel: true, .. }))
}

/// Closing a handle that is not one from kernel mode in the System process's context is the
/// bugcheck Windows raises (INVALID_KERNEL_HANDLE); elsewhere it is STATUS_INVALID_HANDLE.
fn close_with(k: &mut Kx, handle: HANDLE, mode: Mode, what: &str) -> KResult<NtStatus> {
    match close(k, handle.0, mode)? {
        Ok(()) => Ok(status::SUCCESS),
        Err(st) if st != status::INVALID_HANDLE => Ok(st),
        Err(st) => {
            let system = crate::ps::current_process(k)? == k.ext().system.system_process;
            if mode == Mode::Kernel && system {
                let b = Bugcheck {
                    code: 0x93,
                    name: "INVALID_KERNEL_HANDLE",
                    params: [k.arch().mask(handle.0), 1, 0, 0],
                    caller: caller(k),
                    reason: format!("{what} of {:#x}, which is not an open handle", handle.0),
                };
                return Err(KError::Stop(bugcheck_stop(k, b)));
            }
            Ok(st)
        }
    }
}

/// NTSTATUS ZwClose(HANDLE Handle): closes a handle (kernel-mode caller).
pub fn ZwClose(k: &mut Kx, handle: HANDLE) -> KResult<NtStatus> {
    close_with(k, handle, Mode::Kernel, "ZwClose")
}

/// NTSTATUS NtClose(HANDLE Handle): closes a handle with the current thread's previous mode
/// (user mode inside a request from a user program).
pub fn NtClose(k: &mut Kx, handle: HANDLE) -> KResult<NtStatus> {
    let mode = crate::ps::mode::previous_mode(k)?;
    close_with(k, handle, mode, "NtClose")
}

/// NTSTATUS ObCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode).
pub fn ObCloseHandle(k: &mut Kx, handle: HANDLE, previous_mode: u8) -> KResult<NtStatus> {
    close_with(k, handle, Mode::from_raw(previous_mode), "ObCloseHandle")
}

/// Takes a reference on `object` for the driver.
pub(crate) fn reference(k: &mut Kx, object: u64) {
    if let Some(o) = k.ext_mut().objects.get_mut(object) {
        o.references += 1;
    }
}

/// NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
/// POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode, PVOID *Object,
/// POBJECT_HANDLE_INFORMATION HandleInformation)
pub fn ObReferenceObjectByHandle(
    k: &mut Kx,
    handle: HANDLE,
    desired_access: u32,
    object_type: Ptr,
    access_mode: u8,
    object: Ptr,
    handle_information: Ptr,
) -> KResult<NtStatus> {
    let mode = Mode::from_raw(access_mode);
    let Some((target, granted, attributes)) = lookup(k, handle.0, mode)? else {
        return Ok(status::INVALID_HANDLE);
    };
    if !object_type.is_null() {
        let kind = k.ext().objects.get(target).map(|o| o.kind);
        if !kind.is_some_and(|kind| super::types::matches(k, kind, object_type.0)) {
            return Ok(status::OBJECT_TYPE_MISMATCH);
        }
    }
    if mode == Mode::User && desired_access & !GENERIC_MASK & !granted != 0 {
        return Ok(status::ACCESS_DENIED);
    }
    k.mem_mut().write_ptr(object.0, target)?;
    if !handle_information.is_null() {
        // OBJECT_HANDLE_INFORMATION { ULONG HandleAttributes; ACCESS_MASK GrantedAccess; }
        k.mem_mut().write_u32(handle_information.0, attributes)?;
        k.mem_mut().write_u32(handle_information.0 + 4, granted)?;
    }
    reference(k, target);
    Ok(status::SUCCESS)
}

/// ObReferenceObjectByHandleWithTag: the same, with a tag for reference tracing.
pub fn ObReferenceObjectByHandleWithTag(
    k: &mut Kx,
    handle: HANDLE,
    desired_access: u32,
    object_type: Ptr,
    access_mode: u8,
    _tag: PoolTag,
    object: Ptr,
    handle_information: Ptr,
) -> KResult<NtStatus> {
    ObReferenceObjectByHandle(k, handle, desired_access, object_type, access_mode, object, handle_information)
}

/// NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess,
/// POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode)
pub fn ObReferenceObjectByPointer(
    k: &mut Kx,
    object: Ptr,
    _desired_access: u32,
    object_type: Ptr,
    access_mode: u8,
) -> KResult<NtStatus> {
    let Some(kind) = k.ext().objects.get(object.0).map(|o| o.kind) else {
        return Err(not_an_object(k, object.0, "ObReferenceObjectByPointer"));
    };
    if !super::types::matches(k, kind, object_type.0) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    // A user-mode caller may not reference kernel-only (unnamed, handle-less) objects of
    // some types on Windows; every object here is one it may reference.
    let _ = access_mode;
    reference(k, object.0);
    Ok(status::SUCCESS)
}

/// ObReferenceObjectByPointerWithTag.
pub fn ObReferenceObjectByPointerWithTag(
    k: &mut Kx,
    object: Ptr,
    desired_access: u32,
    object_type: Ptr,
    access_mode: u8,
    _tag: PoolTag,
) -> KResult<NtStatus> {
    ObReferenceObjectByPointer(k, object, desired_access, object_type, access_mode)
}

/// NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes,
/// PACCESS_STATE PassedAccessState, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
/// KPROCESSOR_MODE AccessMode, PHANDLE Handle)
pub fn ObOpenObjectByPointer(
    k: &mut Kx,
    object: Ptr,
    handle_attributes: u32,
    _passed_access_state: Ptr,
    desired_access: u32,
    object_type: Ptr,
    access_mode: u8,
    handle: Ptr,
) -> KResult<NtStatus> {
    let Some(kind) = k.ext().objects.get(object.0).map(|o| o.kind) else {
        return Err(not_an_object(k, object.0, "ObOpenObjectByPointer"));
    };
    if !super::types::matches(k, kind, object_type.0) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    open_for(k, object.0, desired_access, handle_attributes, Mode::from_raw(access_mode), handle.0)
}

/// Referencing something that is not an object: REFERENCE_BY_POINTER, as Windows' object
/// header checks end.
fn not_an_object(k: &mut Kx, object: u64, what: &str) -> KError {
    let b = Bugcheck {
        code: 0x18,
        name: "REFERENCE_BY_POINTER",
        params: [0, object, 0, 0],
        caller: caller(k),
        reason: format!("{what} on {object:#x}, which is not a kernel object"),
    };
    KError::Stop(bugcheck_stop(k, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_values_split_into_kind_and_index() {
        assert_eq!(classify(Arch::X86, 0xFFFF_FFFF), Some(Resolved::CurrentProcess));
        assert_eq!(classify(Arch::X64, u64::MAX - 1), Some(Resolved::CurrentThread));
        assert_eq!(classify(Arch::X86, 0x8000_0004), Some(Resolved::Entry { kernel: true, value: 4 }));
        assert_eq!(classify(Arch::X64, 0xFFFF_FFFF_8000_0008), Some(Resolved::Entry { kernel: true, value: 8 }));
        assert_eq!(classify(Arch::X64, 0x8000_0008), None, "not sign-extended: no such handle");
        assert_eq!(classify(Arch::X64, 0x0C), Some(Resolved::Entry { kernel: false, value: 0xC }));
        assert_eq!(classify(Arch::X86, 0x0E), Some(Resolved::Entry { kernel: false, value: 0xC }), "tag bits");
        assert_eq!(classify(Arch::X86, 0), None);
    }

    #[test]
    fn free_values_are_reused_lowest_first() {
        let mut t = HandleTable::default();
        let e = HandleEntry {
            object: 1,
            granted_access: 0,
            attributes: 0,
            kernel: false,
            owner: Owner::Kernel,
            protect_from_close: false,
        };
        for v in [4, 8, 16] {
            t.entries.insert(v, e.clone());
        }
        assert_eq!(t.free_value(Arch::X64), 12);
        t.entries.insert(12, e.clone());
        assert_eq!(t.free_value(Arch::X64), 20);
        // 0x400 is the reserved first entry of the second page of 256 entries (x64).
        let mut full = HandleTable::default();
        for v in (4..0x400).step_by(4) {
            full.entries.insert(v, e.clone());
        }
        assert_eq!(full.free_value(Arch::X64), 0x404);
        assert_eq!(full.free_value(Arch::X86), 0x400, "x86 pages hold 512 entries");
    }
}
