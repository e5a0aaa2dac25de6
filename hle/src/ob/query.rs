//! What a handle says about its object, and changing handles: `ZwQueryObject`,
//! `ZwSetInformationObject`, `ObSetHandleAttributes`, `ObIsKernelHandle`, `ZwDuplicateObject`,
//! `ObMakeTemporaryObject`, `ZwMakeTemporaryObject`, `ObDereferenceObjectDeferDelete`.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use super::callbacks::{self, Operation};
use super::handles::{self, Mode, ALL_ACCESS};
use super::{ObjectKind, OBJ_INHERIT, OBJ_PERMANENT};
use crate::kernel::{KResult, Kx};
use crate::layout::UNICODE_STRING;
use crate::types::{status, Boolean, NtStatus, PoolTag, Ptr, HANDLE};

/// OBJECT_INFORMATION_CLASS values.
pub const OBJECT_BASIC_INFORMATION: u32 = 0;
pub const OBJECT_NAME_INFORMATION: u32 = 1;
pub const OBJECT_TYPE_INFORMATION: u32 = 2;
pub const OBJECT_TYPES_INFORMATION: u32 = 3;
pub const OBJECT_HANDLE_FLAG_INFORMATION: u32 = 4;

/// sizeof(OBJECT_BASIC_INFORMATION): twelve ULONGs and a LARGE_INTEGER on both architectures.
const BASIC_SIZE: u64 = 0x38;

/// DUPLICATE_* options.
pub const DUPLICATE_CLOSE_SOURCE: u32 = 1;
pub const DUPLICATE_SAME_ACCESS: u32 = 2;
pub const DUPLICATE_SAME_ATTRIBUTES: u32 = 4;

/// sizeof(OBJECT_TYPE_INFORMATION) before its name buffer.
fn type_info_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x60,
        Arch::X64 => 0x68,
    }
}

/// What ObjectTypeInformation reports for one type: (name, objects, handles, index).
fn type_facts(k: &Kx, kind: Option<ObjectKind>, def: &super::types::TypeDef) -> (String, u32, u32, u8) {
    let (mut objects, mut handles) = (0u32, 0u32);
    if let Some(kind) = kind {
        for o in k.ext().objects.objects().filter(|o| o.kind == kind) {
            objects += 1;
            handles += o.handles.max(0) as u32;
        }
    }
    (def.name.to_string(), objects, handles, def.index)
}

/// Writes one OBJECT_TYPE_INFORMATION at `at` with its name after it; returns the bytes used
/// (pointer-aligned).
fn write_type_information(k: &mut Kx, at: u64, facts: &(String, u32, u32, u8)) -> KResult<u64> {
    let arch = k.arch();
    let size = type_info_size(arch);
    let us = UNICODE_STRING::STRUCT.size(arch);
    k.mem_mut().write(at, &vec![0u8; size as usize])?;
    crate::ps::write_unicode(k, at, at + size, &facts.0)?;
    let mem = k.mem_mut();
    mem.write_u32(at + us, facts.1)?; // TotalNumberOfObjects
    mem.write_u32(at + us + 4, facts.2)?; // TotalNumberOfHandles
    mem.write_u32(at + us + 24, facts.1)?; // HighWaterNumberOfObjects
    mem.write_u32(at + us + 28, facts.2)?; // HighWaterNumberOfHandles
                                           // After InvalidAttributes, GenericMapping, ValidAccessMask and two BOOLEANs (left 0:
                                           // access is not checked per type here).
    mem.write_u8(at + us + 74, facts.3)?; // TypeIndex
    let name_bytes = (facts.0.encode_utf16().count() as u64 + 1) * 2;
    let ps = arch.ptr_size();
    Ok((size + name_bytes).div_ceil(ps) * ps)
}

fn type_def(kind: ObjectKind) -> &'static super::types::TypeDef {
    super::types::TYPES.iter().find(|d| d.kind == Some(kind)).expect("every kind has a type")
}

/// NTSTATUS ZwQueryObject(HANDLE Handle, OBJECT_INFORMATION_CLASS ObjectInformationClass,
/// PVOID ObjectInformation, ULONG ObjectInformationLength, PULONG ReturnLength)
pub fn ZwQueryObject(
    k: &mut Kx,
    handle: HANDLE,
    class: u32,
    info: Ptr,
    length: u32,
    return_length: Ptr,
) -> KResult<NtStatus> {
    let arch = k.arch();
    let length = length as u64;
    let write_len = |k: &mut Kx, n: u64| -> KResult<()> {
        if !return_length.is_null() {
            k.mem_mut().write_u32(return_length.0, n as u32)?;
        }
        Ok(())
    };
    if class == OBJECT_TYPES_INFORMATION {
        // ULONG NumberOfTypes, then each OBJECT_TYPE_INFORMATION, pointer-aligned.
        let facts: Vec<_> = super::types::TYPES.iter().map(|d| type_facts(k, d.kind, d)).collect();
        let ps = arch.ptr_size();
        let mut need = ps;
        for f in &facts {
            need += (type_info_size(arch) + (f.0.encode_utf16().count() as u64 + 1) * 2).div_ceil(ps) * ps;
        }
        write_len(k, need)?;
        if length < need {
            return Ok(status::INFO_LENGTH_MISMATCH);
        }
        k.mem_mut().write_u32(info.0, facts.len() as u32)?;
        let mut at = info.0 + ps;
        for f in &facts {
            at += write_type_information(k, at, f)?;
        }
        return Ok(status::SUCCESS);
    }
    let Some((object, granted, attributes)) = handles::lookup(k, handle.0, Mode::Kernel)? else {
        return Ok(status::INVALID_HANDLE);
    };
    let Some(o) = k.ext().objects.get(object).cloned() else { return Ok(status::INVALID_HANDLE) };
    match class {
        OBJECT_BASIC_INFORMATION => {
            write_len(k, BASIC_SIZE)?;
            if length < BASIC_SIZE {
                return Ok(status::INFO_LENGTH_MISMATCH);
            }
            let name = super::name::object_name(k, object)?.unwrap_or_default();
            let name_info = if name.is_empty() { 0 } else { (name.encode_utf16().count() as u64 + 1) * 2 };
            let permanent = if o.permanent && !o.retained { OBJ_PERMANENT } else { 0 };
            let pointers = o.handles + o.references.max(0) + o.retained as i64;
            let mem = k.mem_mut();
            mem.write(info.0, &[0u8; BASIC_SIZE as usize])?;
            mem.write_u32(info.0, attributes | permanent)?;
            mem.write_u32(info.0 + 4, granted)?;
            mem.write_u32(info.0 + 8, o.handles.max(0) as u32)?;
            mem.write_u32(info.0 + 12, pointers as u32)?;
            mem.write_u32(info.0 + 36, name_info as u32)?; // NameInfoSize
            mem.write_u32(info.0 + 40, 0)?; // TypeInfoSize
            if o.kind == ObjectKind::SymbolicLink {
                let created = k.mem().read_u64(object)?;
                k.mem_mut().write_u64(info.0 + 48, created)?;
            }
            Ok(status::SUCCESS)
        }
        OBJECT_NAME_INFORMATION => {
            let name = super::name::object_name(k, object)?.unwrap_or_default();
            match super::name::write_name_information(k, info.0, length, &name)? {
                Ok(n) => {
                    write_len(k, n)?;
                    Ok(status::SUCCESS)
                }
                Err(n) => {
                    write_len(k, n)?;
                    Ok(status::INFO_LENGTH_MISMATCH)
                }
            }
        }
        OBJECT_TYPE_INFORMATION => {
            let facts = type_facts(k, Some(o.kind), type_def(o.kind));
            let need = type_info_size(arch) + (facts.0.encode_utf16().count() as u64 + 1) * 2;
            write_len(k, need)?;
            if length < need {
                return Ok(status::INFO_LENGTH_MISMATCH);
            }
            write_type_information(k, info.0, &facts)?;
            Ok(status::SUCCESS)
        }
        OBJECT_HANDLE_FLAG_INFORMATION => {
            write_len(k, 2)?;
            if length < 2 {
                return Ok(status::INFO_LENGTH_MISMATCH);
            }
            let protect = handles::entry_of(k, handle.0, Mode::Kernel)?
                .and_then(|(p, v)| handles::entry(k, p, v))
                .is_some_and(|e| e.protect_from_close);
            k.mem_mut().write(info.0, &[(attributes & OBJ_INHERIT != 0) as u8, protect as u8])?;
            Ok(status::SUCCESS)
        }
        _ => Ok(status::INVALID_INFO_CLASS),
    }
}

/// Applies OBJECT_HANDLE_FLAG_INFORMATION { BOOLEAN Inherit; BOOLEAN ProtectFromClose; }.
fn set_flags(k: &mut Kx, handle: u64, flags: Ptr, mode: Mode) -> KResult<NtStatus> {
    let mut b = [0u8; 2];
    k.mem().read(flags.0, &mut b)?;
    let Some((process, value)) = handles::entry_of(k, handle, mode)? else {
        return Ok(status::INVALID_HANDLE);
    };
    let Some(e) = handles::entry_mut(k, process, value) else { return Ok(status::INVALID_HANDLE) };
    e.attributes = if b[0] != 0 { e.attributes | OBJ_INHERIT } else { e.attributes & !OBJ_INHERIT };
    e.protect_from_close = b[1] != 0;
    let e = e.clone();
    super::handle_table::sync(k, process, value, Some(&e))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwSetInformationObject(HANDLE Handle, OBJECT_INFORMATION_CLASS
/// ObjectInformationClass, PVOID ObjectInformation, ULONG ObjectInformationLength): the
/// handle's flags (ObjectHandleFlagInformation).
pub fn ZwSetInformationObject(k: &mut Kx, handle: HANDLE, class: u32, info: Ptr, length: u32) -> KResult<NtStatus> {
    if class != OBJECT_HANDLE_FLAG_INFORMATION {
        return Ok(status::INVALID_INFO_CLASS);
    }
    if length != 2 {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    set_flags(k, handle.0, info, Mode::Kernel)
}

/// NTSTATUS ObSetHandleAttributes(HANDLE Handle, POBJECT_HANDLE_FLAG_INFORMATION HandleFlags,
/// KPROCESSOR_MODE PreviousMode)
pub fn ObSetHandleAttributes(k: &mut Kx, handle: HANDLE, flags: Ptr, previous_mode: u8) -> KResult<NtStatus> {
    set_flags(k, handle.0, flags, Mode::from_raw(previous_mode))
}

/// BOOLEAN ObIsKernelHandle(HANDLE Handle): whether the value is a kernel handle's.
pub fn ObIsKernelHandle(k: &mut Kx, handle: HANDLE) -> KResult<Boolean> {
    Ok(Boolean(handles::is_kernel_handle(k.arch(), handle.0)))
}

/// The process object a process handle refers to.
fn process_of(k: &Kx, handle: u64) -> KResult<Result<u64, NtStatus>> {
    match handles::lookup(k, handle, Mode::Kernel)? {
        None => Ok(Err(status::INVALID_HANDLE)),
        Some((o, _, _)) if k.ext().objects.get(o).map(|i| i.kind) == Some(ObjectKind::Process) => Ok(Ok(o)),
        Some(_) => Ok(Err(status::OBJECT_TYPE_MISMATCH)),
    }
}

/// NTSTATUS ZwDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle,
/// HANDLE TargetProcessHandle, PHANDLE TargetHandle, ACCESS_MASK DesiredAccess,
/// ULONG HandleAttributes, ULONG Options)
///
/// The source handle is looked up in the source process's table (`NtCurrentProcess()` there
/// means the source process itself); the copy goes into the target process's table (the
/// System one with OBJ_KERNEL_HANDLE) with the access and attributes asked for, or the
/// source's with DUPLICATE_SAME_ACCESS / _SAME_ATTRIBUTES. DUPLICATE_CLOSE_SOURCE closes the
/// source, whether or not the copy is made; without a target process that is all it does.
pub fn ZwDuplicateObject(
    k: &mut Kx,
    source_process: HANDLE,
    source_handle: HANDLE,
    target_process: HANDLE,
    target_handle: Ptr,
    access: u32,
    attributes: u32,
    options: u32,
) -> KResult<NtStatus> {
    let source = match process_of(k, source_process.0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    let current = crate::ps::current_process(k)?;
    let found = match handles::classify(k.arch(), source_handle.0) {
        Some(handles::Resolved::CurrentProcess) => Some((source, ALL_ACCESS, 0)),
        Some(handles::Resolved::CurrentThread) if source == current => {
            Some((crate::ps::current_thread(k)?, ALL_ACCESS, 0))
        }
        _ => handles::lookup_in(k, source, source_handle.0),
    };
    let close_source = |k: &mut Kx| -> KResult<()> {
        if options & DUPLICATE_CLOSE_SOURCE != 0 {
            if let Some(handles::Resolved::Entry { kernel, value }) = handles::classify(k.arch(), source_handle.0) {
                let table = if kernel { k.ext().system.system_process } else { source };
                let _ = handles::close_entry(k, table, value)?;
            }
        }
        Ok(())
    };
    let Some((object, granted, source_attributes)) = found else {
        return Ok(status::INVALID_HANDLE);
    };
    if target_process.0 == 0 {
        close_source(k)?;
        return Ok(if options & DUPLICATE_CLOSE_SOURCE != 0 { status::SUCCESS } else { status::INVALID_HANDLE });
    }
    let target = match process_of(k, target_process.0)? {
        Ok(p) => p,
        Err(st) => {
            close_source(k)?;
            return Ok(st);
        }
    };
    let access = if options & DUPLICATE_SAME_ACCESS != 0 { granted } else { access };
    let attributes = if options & DUPLICATE_SAME_ATTRIBUTES != 0 { source_attributes } else { attributes };
    let kind = k.ext().objects.get(object).map(|o| o.kind);
    let kernel = attributes & super::OBJ_KERNEL_HANDLE != 0;
    let (access, pending) = match kind {
        Some(kind) => callbacks::pre(k, Operation::Duplicate, object, kind, kernel, access, Some((source, target)))?,
        None => (access, Vec::new()),
    };
    let value = handles::open_in(k, target, object, access, attributes)?;
    if let Some(kind) = kind {
        callbacks::post(k, Operation::Duplicate, object, kind, kernel, access, status::SUCCESS, pending)?;
    }
    close_source(k)?;
    if !target_handle.is_null() {
        k.mem_mut().write_ptr(target_handle.0, value)?;
    }
    Ok(status::SUCCESS)
}

/// VOID ObMakeTemporaryObject(PVOID Object): the object loses its name when its last handle
/// closes (at once if it has none), and goes with its last reference.
pub fn ObMakeTemporaryObject(k: &mut Kx, object: Ptr) -> KResult<()> {
    let Some(o) = k.ext_mut().objects.get_mut(object.0) else {
        return Err(super::bad_reference(k, object.0, "ObMakeTemporaryObject"));
    };
    o.permanent = false;
    if o.handles == 0 {
        super::unname(k, object.0);
        super::release_if_unused(k, object.0)?;
    }
    Ok(())
}

/// NTSTATUS ZwMakeTemporaryObject(HANDLE Handle)
pub fn ZwMakeTemporaryObject(k: &mut Kx, handle: HANDLE) -> KResult<NtStatus> {
    let Some((object, _, _)) = handles::lookup(k, handle.0, Mode::Kernel)? else {
        return Ok(status::INVALID_HANDLE);
    };
    ObMakeTemporaryObject(k, Ptr(object))?;
    Ok(status::SUCCESS)
}

/// VOID ObDereferenceObjectDeferDelete(PVOID Object): ObDereferenceObject whose deletion, if
/// any, Windows leaves to a worker thread (the same here: nothing waits on it).
pub fn ObDereferenceObjectDeferDelete(k: &mut Kx, object: Ptr) -> KResult<()> {
    super::ObDereferenceObject(k, object)
}

/// VOID ObDereferenceObjectDeferDeleteWithTag(PVOID Object, ULONG Tag)
pub fn ObDereferenceObjectDeferDeleteWithTag(k: &mut Kx, object: Ptr, _tag: PoolTag) -> KResult<()> {
    super::ObDereferenceObject(k, object)
}
